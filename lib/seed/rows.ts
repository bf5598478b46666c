/**
 * Row encoding for the bulk load: a row is an array of cells; LOAD DATA reads them as tab-separated lines
 * (`\N` for NULL, backslash escapes), the INSERT fallback sends them as parameter arrays. Money is kept as integer
 * cents while generating and formatted exactly here, never through floating-point decimals.
 */
export type Cell = string | number | null;
export type Row = Cell[];

/** Integer cents → '-1234.05'. */
export function formatCents(cents: number): string {
  const sign = cents < 0 ? '-' : '';
  const abs = Math.abs(Math.round(cents));
  const units = Math.floor(abs / 100);
  const rest = abs % 100;
  return `${sign}${units}.${rest < 10 ? '0' : ''}${rest}`;
}

const NEEDS_ESCAPE = /[\t\n\r\\\0]/;

function escapeText(value: string): string {
  if (!NEEDS_ESCAPE.test(value)) return value;
  return value.replace(/[\t\n\r\\\0]/g, (c) =>
    c === '\t' ? '\\t' : c === '\n' ? '\\n' : c === '\r' ? '\\r' : c === '\0' ? '\\0' : '\\\\',
  );
}

/** One LOAD DATA line (FIELDS TERMINATED BY '\t' ESCAPED BY '\\' LINES TERMINATED BY '\n'). */
export function tsvLine(row: Row): string {
  let line = '';
  for (let i = 0; i < row.length; i++) {
    const cell = row[i];
    if (i > 0) line += '\t';
    line +=
      cell === null || cell === undefined
        ? '\\N'
        : typeof cell === 'number'
          ? String(cell)
          : escapeText(cell);
  }
  return `${line}\n`;
}
