/**
 * Bulk loading, shared by the seeder (lib/seed/load.ts) and the scan (lib/scan/alerts.ts, state.ts): rows as
 * tab-separated lines for `LOAD DATA LOCAL INFILE` — whose "file" is a stream handed to mysql2's
 * `infileStreamFactory`, never a file on disk — or, where the server or client refuses local infile (MySQL 8's
 * default `local_infile=OFF`, RDS without it in the parameter group), multi-row `INSERT … VALUES ?` batches.
 *
 * Lines are read as `FIELDS TERMINATED BY '\t' ESCAPED BY '\\' LINES TERMINATED BY '\n'`: tab, newline, carriage
 * return, backslash and NUL in text are escaped, `\N` is NULL.
 */
import { Readable } from 'node:stream';
import type { Connection, ResultSetHeader } from 'mysql2/promise';

/** A cell of a row: text, a number, or NULL. */
export type TsvCell = string | number | null;

const NEEDS_ESCAPE = /[\t\n\r\\\0]/;

/** Text as a TSV cell: the characters LOAD DATA would read as separators or escapes, escaped. */
export function tsvText(value: string): string {
  if (!NEEDS_ESCAPE.test(value)) return value;
  return value.replace(/[\t\n\r\\\0]/g, (c) =>
    c === '\t' ? '\\t' : c === '\n' ? '\\n' : c === '\r' ? '\\r' : c === '\0' ? '\\0' : '\\\\',
  );
}

const TSV_UNESCAPES: Record<string, string> = { t: '\t', n: '\n', r: '\r', '0': '\0', '\\': '\\' };

/** The text of a TSV cell tsvText wrote. */
export function fromTsvText(cell: string): string {
  return cell.includes('\\') ? cell.replace(/\\(.)/g, (_, c: string) => TSV_UNESCAPES[c] ?? c) : cell;
}

/** One LOAD DATA line of `row` (ending with its newline). */
export function tsvLine(row: readonly (TsvCell | undefined)[]): string {
  let line = '';
  for (let i = 0; i < row.length; i++) {
    const cell = row[i];
    if (i > 0) line += '\t';
    line +=
      cell === null || cell === undefined ? '\\N' : typeof cell === 'number' ? String(cell) : tsvText(cell);
  }
  return `${line}\n`;
}

/**
 * TSV lines appended to one buffer, reused from batch to batch (it grows when a batch needs more): what a LOAD DATA
 * batch sends, with no string or buffer per line left behind.
 */
export class TsvLines {
  private bytes: Buffer;
  private used = 0;
  count = 0;

  constructor(capacity: number) {
    this.bytes = Buffer.allocUnsafe(capacity);
  }

  /** Appends `line` (its cells already escaped, ending with a newline). */
  append(line: string): void {
    // At most 3 bytes per UTF-16 unit.
    if (this.used + line.length * 3 > this.bytes.length) {
      const bigger = Buffer.allocUnsafe(Math.max(this.bytes.length * 2, this.used + line.length * 3));
      this.bytes.copy(bigger, 0, 0, this.used);
      this.bytes = bigger;
    }
    this.used += this.bytes.write(line, this.used);
    this.count++;
  }

  clear(): void {
    this.used = 0;
    this.count = 0;
  }

  /** The bytes so far (valid until the next append or clear). */
  tsv(): Buffer {
    return this.bytes.subarray(0, this.used);
  }

  /** The lines back, split into their (still escaped) cells: for an INSERT fallback or a recount. */
  cells(): string[][] {
    const lines = this.bytes.toString('utf8', 0, this.used).split('\n');
    lines.pop();
    return lines.map((line) => line.split('\t'));
  }
}

/**
 * How a batch's cell reads back for the INSERT fallback: a number, a number or NULL (`\\N`), text (unescaped), or
 * base64 text as bytes.
 */
export type TsvCellKind = 'number' | 'nullable-number' | 'text' | 'base64';

const READ_CELL: Record<TsvCellKind, (cell: string) => number | string | Buffer | null> = {
  number: Number,
  'nullable-number': (cell) => (cell === '\\N' ? null : Number(cell)),
  text: fromTsvText,
  base64: (cell) => Buffer.from(cell, 'base64'),
};

/** The cells of a batch's lines by column, in their order, each with how it reads back. */
export type TsvCells = Readonly<Record<string, TsvCellKind>>;

/**
 * Rows written straight into LOAD DATA's TSV bytes as they are made (a subclass appends its lines, their cells in
 * the order of `cells`), reused once written (`reset`). The INSERT fallback (and a recount) take the rows back from
 * the bytes, each cell as `cells` says, which is never the common path.
 */
export class TsvBatch {
  protected readonly lines: TsvLines;
  private readonly kinds: readonly TsvCellKind[];

  constructor(cells: TsvCells, capacity: number) {
    this.lines = new TsvLines(capacity);
    this.kinds = Object.values(cells);
  }

  get size(): number {
    return this.lines.count;
  }

  reset(): this {
    this.lines.clear();
    return this;
  }

  /** The TSV bytes (valid until the next line or reset). */
  tsv(): Buffer {
    return this.lines.tsv();
  }

  /** The bytes as LOAD DATA's file. */
  file(): Readable {
    return Readable.from([this.tsv()]);
  }

  /** The rows back, each cell as its kind says. */
  rows(): Array<Array<number | string | Buffer | null>> {
    const read = this.kinds.map((kind) => READ_CELL[kind]);
    return this.lines.cells().map((cells) => cells.map((cell, i) => (read[i] ?? fromTsvText)(cell)));
  }
}

/** Where rows go: the table, the columns each line fills in order, and what a duplicate key does. */
export interface BulkTarget {
  table: string;
  columns: readonly string[];
  /** LOAD DATA's file name, as the server sees it (the stream is what it reads). */
  file: string;
  /** LOAD DATA only: the file's columns where they differ from `columns` (a `@variable`), and the SET clause. */
  load?: { columns: readonly string[]; set: string };
  /** A duplicate key: kept (IGNORE), replaced (REPLACE), or an error (unset). */
  onDuplicate?: 'IGNORE' | 'REPLACE';
  /** The INSERT fallback's statement (`… VALUES ?`) when it is not a plain INSERT [IGNORE] of `columns`. */
  insert?: string;
}

/** The rows of one load: as LOAD DATA's file, and as rows for INSERT (each asked for once, if at all). */
export interface BulkRows {
  file(): Readable;
  rows(): Iterable<ReadonlyArray<unknown>>;
}

const quoted = (column: string) => (column.startsWith('@') ? column : `\`${column}\``);

/** The LOAD DATA LOCAL statement for `target`. */
export function loadDataStatement(target: BulkTarget): string {
  const columns = target.load?.columns ?? target.columns;
  const list = columns.length ? ` (${columns.map(quoted).join(', ')})` : '';
  const set = target.load?.set ? ` SET ${target.load.set}` : '';
  return `LOAD DATA LOCAL INFILE '${target.file}' ${target.onDuplicate ?? ''} INTO TABLE \`${target.table}\`
    CHARACTER SET utf8mb4 FIELDS TERMINATED BY '\\t' ESCAPED BY '\\\\' LINES TERMINATED BY '\\n'${list}${set}`;
}

/** Loads `file` into `target` with LOAD DATA LOCAL on `conn`; resolves with the affected rows. */
export async function loadDataLocal(conn: Connection, target: BulkTarget, file: Readable): Promise<number> {
  const [result] = await conn.query<ResultSetHeader>({
    sql: loadDataStatement(target),
    infileStreamFactory: () => file,
  } as never);
  return result.affectedRows;
}

/**
 * Errors meaning "this server or client will not do LOAD DATA LOCAL": 1148 ER_NOT_ALLOWED_COMMAND (MySQL 5.7,
 * older MariaDB), 3948 ER_CLIENT_LOCAL_FILES_DISABLED / 2068 (MySQL 8), 4166 ER_LOAD_INFILE_CAPABILITY_DISABLED
 * (MariaDB 10.5+).
 */
const LOCAL_INFILE_REFUSED = new Set([
  'ER_NOT_ALLOWED_COMMAND',
  'ER_LOAD_INFILE_CAPABILITY_DISABLED',
  'ER_CLIENT_LOCAL_FILES_DISABLED',
]);
const LOCAL_INFILE_REFUSED_ERRNO = new Set([1148, 3948, 2068, 4166]);

export function isLocalInfileRefused(error: unknown): boolean {
  const e = error as { code?: string; errno?: number } | null;
  return Boolean(
    e && (LOCAL_INFILE_REFUSED.has(e.code ?? '') || LOCAL_INFILE_REFUSED_ERRNO.has(e.errno ?? 0)),
  );
}

/**
 * True when LOAD DATA LOCAL works on `conn`, false when the server or client refuses it: probed with an empty file
 * loaded into a real table (0 rows, no temporary-table privilege needed).
 */
export async function canLoadLocal(conn: Connection, table: string, file: string): Promise<boolean> {
  try {
    await loadDataLocal(conn, { table, columns: [], file }, Readable.from([]));
    return true;
  } catch (error) {
    if (isLocalInfileRefused(error)) return false;
    throw error;
  }
}

/** The plain INSERT of `target`'s columns, batch by batch. */
function insertStatement(target: BulkTarget): string {
  const ignore = target.onDuplicate === 'IGNORE' ? ' IGNORE' : '';
  return `INSERT${ignore} INTO \`${target.table}\` (${target.columns.map(quoted).join(', ')}) VALUES ?`;
}

/** Sends `rows` with multi-row INSERTs of `batchRows` rows; calls `onBatch` after each; resolves with the affected rows. */
export async function insertBatches(
  conn: Connection,
  target: BulkTarget,
  rows: Iterable<ReadonlyArray<unknown>>,
  batchRows: number,
  onBatch: (rows: number) => void = () => undefined,
): Promise<number> {
  const sql = target.insert ?? insertStatement(target);
  let batch: Array<ReadonlyArray<unknown>> = [];
  let affected = 0;
  const send = async () => {
    const [result] = await conn.query<ResultSetHeader>(sql, [batch]);
    affected += result.affectedRows;
    onBatch(batch.length);
    batch = [];
  };
  for (const row of rows) {
    batch.push(row);
    if (batch.length >= batchRows) await send();
  }
  if (batch.length > 0) await send();
  return affected;
}

/** How rows go in: LOAD DATA LOCAL, or INSERT batches. */
export type LoadMethod = 'load-data' | 'insert';

/** Whether a server refused LOAD DATA LOCAL to this process (`auto` then goes straight to INSERT). */
let localInfileRefused = false;

/**
 * Writes `rows` into `target` on `conn` — LOAD DATA LOCAL fed by their TSV stream, or INSERT batches of `batchRows`
 * — and resolves with the affected rows. `auto` (the default) loads where the server allows it and otherwise
 * inserts, and stops trying LOAD DATA in this process after the first refusal.
 *
 * @example await bulkLoad(conn, { table: 'alerts', columns, file: 'scan-alerts.tsv', onDuplicate: 'IGNORE' }, batch);
 */
export async function bulkLoad(
  conn: Connection,
  target: BulkTarget,
  rows: BulkRows,
  {
    method = 'auto',
    batchRows = 5_000,
    onBatch,
  }: { method?: LoadMethod | 'auto'; batchRows?: number; onBatch?: (rows: number) => void } = {},
): Promise<number> {
  if (method === 'load-data' || (method === 'auto' && !localInfileRefused)) {
    try {
      return await loadDataLocal(conn, target, rows.file());
    } catch (error) {
      if (method === 'load-data' || !isLocalInfileRefused(error)) throw error;
      localInfileRefused = true;
    }
  }
  return insertBatches(conn, target, rows.rows(), batchRows, onBatch);
}
