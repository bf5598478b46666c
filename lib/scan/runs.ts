/**
 * The scan's bookkeeping: its watermarks (scan_watermarks: how far each part of the scan has got) and its runs
 * (scan_runs: one row per run — mode, status, thresholds, progress and the alerts it created).
 */
import type { PoolConnection } from 'mysql2/promise';
import { execute, query } from '../db/pool.js';
import { type AlertCounts, emptyCounts } from './alerts.js';
import type { CaseCounts } from './cases.js';

/** The transactions judged and alerted on (the incremental scan starts above it). */
export const WATERMARK = 'anomaly-scan';
/** The transactions counted into scan_amount_histogram. */
export const HISTOGRAM_WATERMARK = 'anomaly-scan:histogram';
/** Follows the `anomaly-scan` watermark: the transactions the saved client states have seen. */
export const STATE_WATERMARK = 'anomaly-scan:state';

/** Reads a watermark (0 when it was never set); `forUpdate` locks the row inside a transaction. */
export async function readWatermark(name: string, conn?: PoolConnection, forUpdate = false): Promise<number> {
  const rows = await query<{ last_transaction_id: number }>(
    `SELECT last_transaction_id FROM scan_watermarks WHERE name = ?${forUpdate ? ' FOR UPDATE' : ''}`,
    [name],
    conn,
  );
  return Number(rows[0]?.last_transaction_id ?? 0);
}

/** Sets a watermark exactly (it may move back: a full rebuild of the histogram). */
export async function setWatermark(
  conn: PoolConnection,
  name: string,
  to: number,
  runId: number,
): Promise<void> {
  await conn.query(
    `INSERT INTO scan_watermarks (name, last_transaction_id, last_run_id, updated_at) VALUES (?, ?, ?, NOW(3))
     ON DUPLICATE KEY UPDATE last_transaction_id = VALUES(last_transaction_id),
       last_run_id = VALUES(last_run_id), updated_at = VALUES(updated_at)`,
    [name, to, runId],
  );
}

export type ScanMode = 'incremental' | 'full';

/** How far a run has got: the rows it read, the last id it covers, its commits and the alerts it created. */
export interface Progress {
  scanned: number;
  toId: number;
  chunks: number;
  counts: AlertCounts;
  /** What attaching the run's alerts to cases did (committed chunks only). */
  cases: CaseCounts;
  /** False when the run stopped at its deadline before the end (lib/jobs/deadline.ts): the next run goes on. */
  complete: boolean;
}

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
       findings_suppressed = ?, alerts_by_risk = ?, alerts_by_reason = ? WHERE id = ?`,
    [
      progress.scanned,
      progress.toId,
      progress.counts.created,
      progress.counts.suppressed,
      JSON.stringify(progress.counts.byRisk),
      JSON.stringify(progress.counts.byReason),
      runId,
    ],
    conn,
  );
}

/**
 * Closes a run: `succeeded`, `partial` (stopped at its deadline after committing what it finished; `note` says how
 * far it got) or `failed` (`note` is the error). On `conn` when given: a rescan's run ends in its last transaction.
 */
export async function finishRun(
  runId: number,
  status: 'succeeded' | 'partial' | 'failed',
  note?: string,
  conn?: PoolConnection,
): Promise<void> {
  await execute(
    'UPDATE scan_runs SET status = ?, finished_at = NOW(3), error = ? WHERE id = ?',
    [status, note ?? null, runId],
    conn,
  );
}

/** A run that found the lock taken: recorded so operators see overlaps, with who held it (`error`). */
export async function recordSkippedRun(mode: ScanMode, heldBy: string): Promise<number> {
  const result = await execute(
    `INSERT INTO scan_runs (mode, status, started_at, finished_at, error) VALUES (?, 'skipped', NOW(3), NOW(3), ?)`,
    [mode, heldBy],
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
