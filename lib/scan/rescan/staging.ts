/**
 * A rescan's staging tables (migration 0080): what its parts found — histogram counts, alerts, client states and
 * network findings — kept apart from the live tables until finalize moves them. Every row carries the rescan's id
 * and its part's number, so a part's re-run replaces its own rows and an abandoned rescan drops all of its.
 */
import type { PoolConnection } from 'mysql2/promise';
import { type BulkTarget, bulkLoad } from '../../db/bulk-load.js';
import { execute, query, withTransaction } from '../../db/pool.js';
import type { HistogramRow } from '../../rules/percentiles.js';
import type { Finding } from '../../rules/types.js';
import { ALERT_LINE, type AlertBatch, type TransactionFindings } from '../alerts.js';
import type { StateBatch } from '../state.js';
import type { JudgedSinks } from '../write-queue.js';

/** Rows per statement when staging or moving rows. */
const ROWS_PER_STATEMENT = 2_000;

/** Where a client partition's alert lines go: the alerts' own columns, with the rescan and the part. */
function stagedAlerts(rescanId: number, part: number): BulkTarget {
  return {
    table: 'scan_rescan_alerts',
    columns: ALERT_LINE,
    file: 'rescan-alerts.tsv',
    load: { columns: ALERT_LINE, set: `rescan_id = ${rescanId}, part = ${part}` },
    // A transaction's second finding of one rule is skipped, as the full scan's load into alerts skips it.
    onDuplicate: 'IGNORE',
    insert: `INSERT IGNORE INTO scan_rescan_alerts (rescan_id, part, ${ALERT_LINE.join(', ')}) VALUES ?`,
  };
}

/** Where a client partition's state lines go (client id, the state as base64, as_of). */
function stagedStates(rescanId: number, part: number): BulkTarget {
  const columns = ['client_id', 'state', 'as_of_transaction_id'];
  return {
    table: 'scan_rescan_states',
    columns,
    file: 'rescan-states.tsv',
    load: {
      columns: ['client_id', '@state', 'as_of_transaction_id'],
      set: `state = FROM_BASE64(@state), rescan_id = ${rescanId}, part = ${part}`,
    },
    insert: `INSERT INTO scan_rescan_states (rescan_id, part, ${columns.join(', ')}) VALUES ?`,
  };
}

/** Loads `batch` into `target`, its rows (for the INSERT fallback) led by the rescan and the part. */
function loadStaged(
  conn: PoolConnection,
  target: BulkTarget,
  batch: AlertBatch | StateBatch,
  rescanId: number,
  part: number,
): Promise<number> {
  // An empty LOAD DATA file leaves the driver's connection out of step (the full scan's writes skip them too).
  if (batch.size === 0) return Promise.resolve(0);
  return bulkLoad(conn, target, {
    file: () => batch.file(),
    rows: () => batch.rows().map((row) => [rescanId, part, ...row]),
  });
}

/** The sinks of a client partition's judged batches: its staging rows (lib/scan/write-queue.ts FullScanWriter). */
export function stagingSinks(rescanId: number, part: number): JudgedSinks {
  const alerts = stagedAlerts(rescanId, part);
  const states = stagedStates(rescanId, part);
  return {
    async alerts(batch) {
      await withTransaction((tx) => loadStaged(tx, alerts, batch, rescanId, part));
    },
    async states(batch) {
      await withTransaction((tx) => loadStaged(tx, states, batch, rescanId, part));
    },
  };
}

/**
 * Drops what an earlier attempt of client partition `part` staged (a re-run starts clean). A first attempt deletes
 * nothing: a DELETE's gap locks would make the partitions writing beside it wait.
 */
export async function dropStagedClients(rescanId: number, part: number): Promise<void> {
  for (const table of ['scan_rescan_alerts', 'scan_rescan_states']) {
    const [staged] = await query(`SELECT 1 FROM ${table} WHERE rescan_id = ? AND part = ? LIMIT 1`, [
      rescanId,
      part,
    ]);
    if (staged) await execute(`DELETE FROM ${table} WHERE rescan_id = ? AND part = ?`, [rescanId, part]);
  }
}

/** Replaces histogram slice `part`'s counts, on `conn` (the slice's last transaction). */
export async function stageHistogram(
  conn: PoolConnection,
  rescanId: number,
  part: number,
  rows: readonly HistogramRow[],
): Promise<void> {
  await conn.query('DELETE FROM scan_rescan_histogram WHERE rescan_id = ? AND part = ?', [rescanId, part]);
  for (let i = 0; i < rows.length; i += ROWS_PER_STATEMENT) {
    await conn.query(
      'INSERT INTO scan_rescan_histogram (rescan_id, part, currency, direction, month, bucket, n) VALUES ?',
      [
        rows
          .slice(i, i + ROWS_PER_STATEMENT)
          .map((h) => [rescanId, part, h.currency, h.direction, h.month, h.bucket, h.n]),
      ],
    );
  }
}

/** The whole table's histogram: the slices' counts summed. */
export function stagedHistogram(rescanId: number): Promise<HistogramRow[]> {
  return query<HistogramRow & Record<string, unknown>>(
    `SELECT currency, direction, month, bucket, CAST(SUM(n) AS UNSIGNED) AS n FROM scan_rescan_histogram
      WHERE rescan_id = ? GROUP BY currency, direction, month, bucket`,
    [rescanId],
  ).then((rows) => rows.map((r) => ({ ...r, bucket: Number(r.bucket), n: Number(r.n) })));
}

/** Replaces the network findings, on `conn` (the cross-client stage's last transaction). */
export async function stageNetwork(
  conn: PoolConnection,
  rescanId: number,
  entries: readonly TransactionFindings[],
): Promise<void> {
  await conn.query('DELETE FROM scan_rescan_network WHERE rescan_id = ?', [rescanId]);
  for (let i = 0; i < entries.length; i += ROWS_PER_STATEMENT) {
    await conn.query('INSERT INTO scan_rescan_network (rescan_id, transaction_id, findings) VALUES ?', [
      entries.slice(i, i + ROWS_PER_STATEMENT).map((e) => [rescanId, e.id, JSON.stringify(e.findings)]),
    ]);
  }
}

/** The network findings of transactions above `after`, in id order, `limit` transactions at most. */
export async function stagedNetwork(
  rescanId: number,
  after: number,
  limit: number,
): Promise<TransactionFindings[]> {
  const rows = await query<{ transaction_id: number; findings: string | Finding[] }>(
    `SELECT transaction_id, findings FROM scan_rescan_network WHERE rescan_id = ? AND transaction_id > ?
      ORDER BY transaction_id LIMIT ?`,
    [rescanId, after, limit],
  );
  return rows.map((r) => ({
    id: Number(r.transaction_id),
    findings: typeof r.findings === 'string' ? (JSON.parse(r.findings) as Finding[]) : r.findings,
  }));
}

/** Where finalize reads staged rows slice by slice: client states by client, a partition's alerts as judged. */
export type StagedSlices =
  | { table: 'scan_rescan_states'; key: 'client_id' }
  | { table: 'scan_rescan_alerts'; key: 'seq'; part: number };

/**
 * The key that ends the next slice of staged rows after `after` in key order (`rows` rows on, or the last one), or
 * undefined when none is left: finalize moves rows slice by slice.
 */
export async function nextSliceEnd(
  slices: StagedSlices,
  rescanId: number,
  after: number,
  rows = ROWS_PER_STATEMENT,
): Promise<number | undefined> {
  const { table, key } = slices;
  const where = `rescan_id = ?${'part' in slices ? ' AND part = ?' : ''} AND ${key} > ?`;
  const params = 'part' in slices ? [rescanId, slices.part, after] : [rescanId, after];
  const [edge] = await query<{ id: number }>(
    `SELECT ${key} AS id FROM ${table} WHERE ${where} ORDER BY ${key} LIMIT 1 OFFSET ?`,
    [...params, rows - 1],
  );
  if (edge) return Number(edge.id);
  const [last] = await query<{ id: number | null }>(
    `SELECT MAX(${key}) AS id FROM ${table} WHERE ${where}`,
    params,
  );
  return last?.id == null ? undefined : Number(last.id);
}

const STAGING_TABLES = [
  'scan_rescan_alerts',
  'scan_rescan_states',
  'scan_rescan_histogram',
  'scan_rescan_network',
] as const;

/** Drops every staging row of a rescan (once it succeeded or was abandoned). */
export async function dropStaging(rescanId: number): Promise<void> {
  for (const table of STAGING_TABLES) await execute(`DELETE FROM ${table} WHERE rescan_id = ?`, [rescanId]);
}

/**
 * Drops staging rows of rescans that are over (a part of an abandoned rescan still running when it was abandoned
 * may have staged rows after the drop).
 */
export async function dropStaleStaging(): Promise<void> {
  for (const table of STAGING_TABLES)
    await execute(
      `DELETE s FROM ${table} s JOIN scan_rescans r ON r.id = s.rescan_id WHERE r.status IN ('succeeded', 'failed')`,
    );
}
