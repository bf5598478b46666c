/**
 * The scan's writes: system alerts (idempotent on UNIQUE(transaction_id, rule_id)), the watermark, and the
 * scan_runs bookkeeping row. Alerts that already exist — earlier system alerts or anything an analyst changed —
 * are never updated: the load is `IGNORE` (a duplicate is skipped, never replaced), and duplicates are filtered
 * out first so the run's statistics count only what it created.
 */
import { Readable } from 'node:stream';
import type { PoolConnection, ResultSetHeader, RowDataPacket } from 'mysql2/promise';
import { isLocalInfileRefused } from '../db/bulk-load.js';
import { execute, getPool, query } from '../db/pool.js';
import { columnIndex } from '../db/row-columns.js';
import type { ScoredTransaction } from '../rules/index.js';
import type { RiskLevel, TransactionRisk } from '../rules/risk.js';
import { type Finding, RULE_IDS, RULE_REASONS, type RuleId } from '../rules/types.js';

export const WATERMARK = 'anomaly-scan';
export const HISTOGRAM_WATERMARK = 'anomaly-scan:histogram';

export interface AlertCounts {
  created: number;
  byRisk: Record<RiskLevel, number>;
  byReason: Record<string, number>;
}

export function emptyCounts(): AlertCounts {
  return { created: 0, byRisk: { Low: 0, Medium: 0, High: 0 }, byReason: {} };
}

export function addCounts(into: AlertCounts, more: AlertCounts): void {
  into.created += more.created;
  for (const level of ['Low', 'Medium', 'High'] as const) into.byRisk[level] += more.byRisk[level];
  for (const [reason, n] of Object.entries(more.byReason))
    into.byReason[reason] = (into.byReason[reason] ?? 0) + n;
}

/** The INSERT fallback's rows per statement (servers that refuse LOAD DATA LOCAL). */
const INSERT_BATCH = 5_000;
const ALERT_COLUMNS = 'transaction_id, reason, risk_level, flagged_by, rule_id, score, evidence, scan_run_id';
const NEEDS_ESCAPE = /[\t\n\r\\\0]/;

/** A TSV cell for LOAD DATA (ESCAPED BY '\\'): evidence JSON holds backslashes, titles may hold tabs. */
function tsvText(value: string): string {
  if (!NEEDS_ESCAPE.test(value)) return value;
  return value.replace(/[\t\n\r\\\0]/g, (c) =>
    c === '\t' ? '\\t' : c === '\n' ? '\\n' : c === '\r' ? '\\r' : c === '\0' ? '\\0' : '\\\\',
  );
}

const TSV_UNESCAPES: Record<string, string> = { t: '\t', n: '\n', r: '\r', '0': '\0', '\\': '\\' };

/** The text of a TSV cell tsvText wrote. */
function fromTsvText(cell: string): string {
  return cell.includes('\\') ? cell.replace(/\\(.)/g, (_, c: string) => TSV_UNESCAPES[c] ?? c) : cell;
}

/** One alert as written: transaction_id, reason, risk_level, flagged_by, rule_id, score, evidence, scan_run_id. */
export type AlertRow = [number, string, RiskLevel, 'system', string, number, string, number];

/**
 * Inserts the alerts of `scored` that do not exist yet, on `conn` (inside the chunk's transaction), and returns
 * what it created, by risk level and reason. Every alert of a transaction carries the transaction's risk level.
 *
 * The rows go in with one `LOAD DATA LOCAL INFILE … IGNORE` per chunk (a TSV stream built in memory: no SQL text to
 * escape and parse, one statement instead of hundreds), or with large `INSERT IGNORE` batches when the server
 * refuses local infile. Existing alerts are filtered out first, so the counts are what this run created; should
 * another writer have slipped one in meanwhile (IGNORE skips it), the counts are re-read from what this run owns.
 */
export async function insertAlerts(
  conn: PoolConnection,
  scored: readonly ScoredTransaction[],
  runId: number,
  options: { loadData?: boolean } = {},
): Promise<AlertCounts> {
  return writeAlerts(conn, alertRows(scored, runId), runId, options);
}

/**
 * The alert rows of `scored` (one per finding; evidence as compact JSON). The full scan turns each slice of
 * judged clients into rows at once, so the findings and their transactions die young.
 */
export function alertRows(scored: readonly ScoredTransaction[], runId: number): AlertRow[] {
  const values: AlertRow[] = [];
  for (const { txn, risk, findings } of scored) {
    for (const f of findings) {
      values.push([
        txn.id,
        RULE_REASONS[f.ruleId],
        risk.level,
        'system',
        f.ruleId,
        f.score,
        alertEvidence(f, risk),
        runId,
      ]);
    }
  }
  return values;
}

/** An alert's evidence as stored: the finding's, with its rule, related transactions and the transaction's risk. */
export function alertEvidence(f: Finding, risk: TransactionRisk): string {
  return JSON.stringify({
    rule: f.ruleId,
    ...f.evidence,
    relatedTransactionIds: (f.evidence.relatedTransactionIds as number[] | undefined) ?? f.related,
    risk,
  });
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
 * Alert rows written straight into LOAD DATA's TSV bytes as they are made, with their counts by risk and reason:
 * the full scan writes 100 000s of alerts, and rows kept as arrays of strings until their write — then copied into
 * TSV text, then into bytes — were most of its garbage and of its peak memory. A batch is reused once written
 * (`reset`); the INSERT fallback and a recount read the rows back from the bytes.
 */
export class AlertBatch {
  private readonly lines: TsvLines;
  counts = emptyCounts();

  constructor(capacity = 1 << 20) {
    this.lines = new TsvLines(capacity);
  }

  get size(): number {
    return this.lines.count;
  }

  reset(): this {
    this.lines.clear();
    this.counts = emptyCounts();
    return this;
  }

  add(
    transactionId: number,
    ruleId: RuleId,
    level: RiskLevel,
    score: number,
    evidence: string,
    runId: number,
  ): void {
    const reason = RULE_REASONS[ruleId];
    this.lines.append(
      `${transactionId}\t${reason}\t${level}\tsystem\t${ruleId}\t${score}\t${tsvText(evidence)}\t${runId}\n`,
    );
    this.counts.created++;
    this.counts.byRisk[level]++;
    this.counts.byReason[reason] = (this.counts.byReason[reason] ?? 0) + 1;
  }

  /** The TSV bytes (valid until the next add or reset). */
  tsv(): Buffer {
    return this.lines.tsv();
  }

  /** The rows back from the TSV (for the INSERT fallback and a recount; neither is the common path). */
  rows(): AlertRow[] {
    return this.lines
      .cells()
      .map((c) => [
        Number(c[0]),
        c[1] as string,
        c[2] as RiskLevel,
        'system',
        c[4] as string,
        Number(c[5]),
        fromTsvText(c[6] as string),
        Number(c[7]),
      ]);
  }
}

const ALERT_KEY = ['transaction_id', 'rule_id'] as const;
const KEY = columnIndex(ALERT_KEY);

/**
 * The (transaction, rule) pairs that have an alert, read once (the full scan asks about every transaction, so one
 * sequential read of the index beats a lookup per batch): per transaction, a bit per rule.
 */
export class ExistingAlerts {
  private readonly bits = new Map<number, number>();

  static async load(maxId: number): Promise<ExistingAlerts> {
    const known = new ExistingAlerts();
    const [rows] = await (await getPool()).query<RowDataPacket[]>({
      sql: `SELECT ${ALERT_KEY.join(', ')} FROM alerts WHERE rule_id IS NOT NULL AND transaction_id <= ?`,
      rowsAsArray: true,
      values: [maxId],
    });
    for (const row of rows as unknown as unknown[][]) {
      const id = Number(row[KEY.transaction_id]);
      const bit = RULE_BITS.get(row[KEY.rule_id] as string);
      if (bit !== undefined) known.bits.set(id, (known.bits.get(id) ?? 0) | bit);
    }
    return known;
  }

  has(transactionId: number, ruleId: string): boolean {
    const bit = RULE_BITS.get(ruleId);
    return bit !== undefined && ((this.bits.get(transactionId) ?? 0) & bit) !== 0;
  }
}

const RULE_BITS = new Map(RULE_IDS.map((id, i) => [id as string, 1 << i]));

/** Writes the rows of `rows` whose (transaction, rule) has no alert yet (see insertAlerts). */
export async function writeAlerts(
  conn: PoolConnection,
  rows: readonly AlertRow[],
  runId: number,
  { loadData = true }: { loadData?: boolean } = {},
): Promise<AlertCounts> {
  if (rows.length === 0) return emptyCounts();
  const existing = new Set<string>();
  const ids = [...new Set(rows.map((r) => r[0]))];
  for (let i = 0; i < ids.length; i += 5000) {
    const [found] = await conn.query<RowDataPacket[]>(
      'SELECT transaction_id, rule_id FROM alerts WHERE transaction_id IN (?) AND rule_id IS NOT NULL',
      [ids.slice(i, i + 5000)],
    );
    for (const r of found) existing.add(`${r.transaction_id}|${r.rule_id}`);
  }
  const batch = new AlertBatch(64 * 1024);
  for (const row of rows) {
    const key = `${row[0]}|${row[4]}`;
    if (existing.has(key)) continue;
    existing.add(key);
    batch.add(row[0], row[4] as RuleId, row[2], row[5], row[6], row[7]);
  }
  return writeAlertBatch(conn, batch, runId, { loadData });
}

/**
 * Writes `batch` (alerts that did not exist when it was made) on `conn` and returns what it created; should another
 * writer have slipped one of them in meanwhile (IGNORE skips it), the counts are re-read from what this run owns.
 */
export async function writeAlertBatch(
  conn: PoolConnection,
  batch: AlertBatch,
  runId: number,
  { loadData = true }: { loadData?: boolean } = {},
): Promise<AlertCounts> {
  if (batch.size === 0) return emptyCounts();
  const inserted = await writeAlertRows(conn, batch, loadData);
  return inserted === batch.size ? batch.counts : recount(conn, batch.rows(), runId);
}

/**
 * Every transaction_id was just read from transactions, and the only writer that deletes transactions — the seeder's
 * --reset — takes the scan lock first (lib/db/locks.ts), so none can vanish meanwhile. The per-row foreign key lookups — random reads all over the transactions table, which halved the full scan's write
 * speed — are skipped for the chunk's load and switched back on before the connection goes back to the pool.
 */
async function writeAlertRows(conn: PoolConnection, batch: AlertBatch, loadData: boolean): Promise<number> {
  await conn.query('SET SESSION foreign_key_checks = 0');
  try {
    return await bulkWrite(conn, {
      table: 'alerts',
      columns: ALERT_COLUMNS,
      tsv: [batch.tsv()],
      rows: () => batch.rows(),
      onDuplicate: 'IGNORE',
      fallback: `INSERT IGNORE INTO alerts (${ALERT_COLUMNS}) VALUES ?`,
      loadData,
    });
  } finally {
    await conn.query('SET SESSION foreign_key_checks = 1');
  }
}

/** A value of a row the INSERT fallback sends (a buffer goes in as bytes). */
type Cell = string | number | Buffer;

/** Whether the server takes LOAD DATA LOCAL (this process stops trying after the first refusal). */
let localInfile = true;

/**
 * Writes `rows` into `table` on `conn`: one `LOAD DATA LOCAL INFILE … IGNORE|REPLACE` fed by a TSV stream built in
 * memory (no SQL text to escape and parse) where the server allows it, else the `fallback` statement
 * (`… VALUES ?`) in batches of INSERT_BATCH rows. Returns the affected rows.
 */
export async function bulkWrite(
  conn: PoolConnection,
  options: {
    table: string;
    columns: string;
    /** The rows (or, when `tsv` carries them already, how to get them for the INSERT fallback). */
    rows: ReadonlyArray<ReadonlyArray<Cell>> | (() => ReadonlyArray<ReadonlyArray<Cell>>);
    tsv?: readonly Buffer[];
    /** LOAD DATA's column list and SET clause, where the file's columns differ from the table's. */
    load?: { columns: string; set: string };
    onDuplicate: 'IGNORE' | 'REPLACE';
    fallback: string;
    loadData?: boolean;
  },
): Promise<number> {
  const { table, columns, onDuplicate, fallback, loadData = true } = options;
  const rows = () => (typeof options.rows === 'function' ? options.rows() : options.rows);
  if (loadData && localInfile) {
    try {
      const tsv = options.tsv ?? tsvParts(rows() as ReadonlyArray<ReadonlyArray<string | number>>);
      return await loadTsv(conn, tsv, onDuplicate, table, options.load ?? { columns, set: '' });
    } catch (error) {
      if (!isLocalInfileRefused(error)) throw error;
      localInfile = false;
    }
  }
  const values = rows();
  let affected = 0;
  for (let i = 0; i < values.length; i += INSERT_BATCH) {
    const [result] = await conn.query<ResultSetHeader>(fallback, [values.slice(i, i + INSERT_BATCH)]);
    affected += result.affectedRows;
  }
  return affected;
}

/** TSV lines of `rows` (strings escaped), in buffers of about 256 KB. */
function tsvParts(rows: ReadonlyArray<ReadonlyArray<string | number>>): Buffer[] {
  const parts: Buffer[] = [];
  let text = '';
  for (const row of rows) {
    for (let i = 0; i < row.length; i++) {
      const cell = row[i] as string | number;
      text += (i ? '\t' : '') + (typeof cell === 'string' ? tsvText(cell) : String(cell));
    }
    text += '\n';
    if (text.length >= 256 * 1024) {
      parts.push(Buffer.from(text, 'utf8'));
      text = '';
    }
  }
  if (text) parts.push(Buffer.from(text, 'utf8'));
  return parts;
}

/** Loads TSV `parts` into `table` with LOAD DATA LOCAL (`IGNORE` keeps existing rows, `REPLACE` replaces them). */
async function loadTsv(
  conn: PoolConnection,
  parts: readonly Buffer[],
  onDuplicate: 'IGNORE' | 'REPLACE',
  table: string,
  load: { columns: string; set: string },
): Promise<number> {
  const [result] = await conn.query<ResultSetHeader>({
    sql: `LOAD DATA LOCAL INFILE 'scan-${table}.tsv' ${onDuplicate} INTO TABLE ${table} CHARACTER SET utf8mb4
            FIELDS TERMINATED BY '\\t' ESCAPED BY '\\\\' LINES TERMINATED BY '\\n'
            (${load.columns})${load.set ? ` SET ${load.set}` : ''}`,
    infileStreamFactory: () => Readable.from(parts),
  } as never);
  return result.affectedRows;
}

/** The counts of the rows of `values` that this run really owns (after IGNORE skipped someone else's). */
async function recount(
  conn: PoolConnection,
  values: readonly AlertRow[],
  runId: number,
): Promise<AlertCounts> {
  const counts = emptyCounts();
  const owned = new Set<string>();
  for (let i = 0; i < values.length; i += 5000) {
    const [rows] = await conn.query<RowDataPacket[]>(
      'SELECT transaction_id, rule_id FROM alerts WHERE scan_run_id = ? AND transaction_id IN (?)',
      [runId, [...new Set(values.slice(i, i + 5000).map((v) => v[0]))]],
    );
    for (const r of rows) owned.add(`${r.transaction_id}|${r.rule_id}`);
  }
  for (const [transactionId, reason, level, , ruleId] of values) {
    if (!owned.has(`${transactionId}|${ruleId}`)) continue;
    counts.created++;
    counts.byRisk[level]++;
    counts.byReason[reason] = (counts.byReason[reason] ?? 0) + 1;
  }
  return counts;
}

/** Reads a watermark (0 when it was never set); `forUpdate` locks the row inside a transaction. */
export async function readWatermark(name: string, conn?: PoolConnection, forUpdate = false): Promise<number> {
  const rows = await query<{ last_transaction_id: number }>(
    `SELECT last_transaction_id FROM scan_watermarks WHERE name = ?${forUpdate ? ' FOR UPDATE' : ''}`,
    [name],
    conn,
  );
  return Number(rows[0]?.last_transaction_id ?? 0);
}

async function writeWatermark(
  conn: PoolConnection,
  name: string,
  to: number,
  runId: number,
  forwardOnly: boolean,
): Promise<void> {
  const next = forwardOnly
    ? 'GREATEST(last_transaction_id, VALUES(last_transaction_id))'
    : 'VALUES(last_transaction_id)';
  await conn.query(
    `INSERT INTO scan_watermarks (name, last_transaction_id, last_run_id, updated_at) VALUES (?, ?, ?, NOW(3))
     ON DUPLICATE KEY UPDATE last_transaction_id = ${next},
       last_run_id = VALUES(last_run_id), updated_at = VALUES(updated_at)`,
    [name, to, runId],
  );
}

/** Moves a watermark forward (never back). */
export function moveWatermark(conn: PoolConnection, name: string, to: number, runId: number): Promise<void> {
  return writeWatermark(conn, name, to, runId, true);
}

/** Sets a watermark exactly (a full rebuild of the histogram). */
export function setWatermark(conn: PoolConnection, name: string, to: number, runId: number): Promise<void> {
  return writeWatermark(conn, name, to, runId, false);
}

export type ScanMode = 'incremental' | 'full';

export async function startRun(mode: ScanMode, thresholds: unknown, fromId: number | null): Promise<number> {
  const result = await execute(
    `INSERT INTO scan_runs (mode, status, started_at, from_transaction_id, thresholds, alerts_by_risk, alerts_by_reason)
     VALUES (?, 'running', NOW(3), ?, ?, ?, ?)`,
    [mode, fromId, JSON.stringify(thresholds), JSON.stringify(emptyCounts().byRisk), '{}'],
  );
  return result.insertId;
}

/** Records progress; inside a chunk's transaction so the row always matches the committed alerts. */
export async function recordProgress(
  runId: number,
  progress: { scanned: number; toId: number | null; counts: AlertCounts },
  conn?: PoolConnection,
): Promise<void> {
  await execute(
    `UPDATE scan_runs SET transactions_scanned = ?, to_transaction_id = ?, alerts_created = ?,
       alerts_by_risk = ?, alerts_by_reason = ? WHERE id = ?`,
    [
      progress.scanned,
      progress.toId,
      progress.counts.created,
      JSON.stringify(progress.counts.byRisk),
      JSON.stringify(progress.counts.byReason),
      runId,
    ],
    conn,
  );
}

export async function finishRun(
  runId: number,
  status: 'succeeded' | 'failed',
  error?: string,
): Promise<void> {
  await execute('UPDATE scan_runs SET status = ?, finished_at = NOW(3), error = ? WHERE id = ?', [
    status,
    error ?? null,
    runId,
  ]);
}

/** A run that found the lock taken: recorded so operators see overlaps. */
export async function recordSkippedRun(mode: ScanMode): Promise<number> {
  const result = await execute(
    `INSERT INTO scan_runs (mode, status, started_at, finished_at, error)
     VALUES (?, 'skipped', NOW(3), NOW(3), 'another scan held the lock')`,
    [mode],
  );
  return result.insertId;
}

/** Runs left 'running' by a crashed process (we hold the lock, so none is really running). */
export async function closeInterruptedRuns(): Promise<number> {
  const result = await execute(
    `UPDATE scan_runs SET status = 'failed', finished_at = COALESCE(finished_at, NOW(3)),
       error = COALESCE(error, 'interrupted: the process stopped before the run finished; the next run resumed')
     WHERE status = 'running'`,
  );
  return result.affectedRows;
}
