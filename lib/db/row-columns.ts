/**
 * Rows read as arrays (mysql2's `rowsAsArray`: no object per row, what the hot reads use), their cells still read
 * by column name: one list of select expressions gives both the SELECT and each column's position, so reordering
 * the list moves every reader with it.
 *
 * @example
 * const ACCOUNT = ['a.id', 'c.country'] as const;
 * const at = columnIndex(ACCOUNT); // { id: 0, country: 1 }
 * const sql = `SELECT ${ACCOUNT.join(', ')} FROM accounts a JOIN clients c ON c.id = a.client_id`;
 * // … row[at.country]
 */

/** The name a select expression's column goes by: its alias (`SUM(n) AS n`), else the column without its table. */
export type ColumnName<S extends string> = S extends `${string} AS ${infer Alias}`
  ? Alias
  : S extends `${string}.${infer Column}`
    ? Column
    : S;

/** Each column's position in a row of the list it came from. */
export type ColumnIndex<S extends string> = { readonly [K in S as ColumnName<K>]: number };

/** The position of each column of `selectList` (by its name: see ColumnName) in a row read as an array. */
export function columnIndex<const L extends readonly string[]>(selectList: L): ColumnIndex<L[number]> {
  const index: Record<string, number> = {};
  selectList.forEach((expression, position) => {
    const name = / AS (\w+)$/.exec(expression)?.[1] ?? expression.slice(expression.lastIndexOf('.') + 1);
    if (name in index) throw new Error(`column ${name} is listed twice`);
    index[name] = position;
  });
  return Object.freeze(index) as ColumnIndex<L[number]>;
}
