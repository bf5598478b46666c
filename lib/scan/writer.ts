/**
 * The scan's writes: system alerts (idempotent on UNIQUE(transaction_id, rule_id)), the watermark, and the
 * scan_runs bookkeeping row. Alerts that already exist — earlier system alerts or anything an analyst changed —
 * are never updated: `ON DUPLICATE KEY UPDATE id = id` is a no-op on a duplicate, and duplicates are filtered out
 * first so the run's statistics count only what it created.
 */
import type { PoolConnection, ResultSetHeader, RowDataPacket } from 'mysql2/promise';
import { execute, query } from '../db/pool.js';
import type { ScoredTransaction } from '../rules/index.js';
import type { RiskLevel } from '../rules/risk.js';
import { RULE_REASONS } from '../rules/types.js';

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

const INSERT_BATCH = 500;

/**
 * Inserts the alerts of `scored` that do not exist yet, on `conn` (inside the chunk's transaction), and returns
 * what it created, by risk level and reason. Every alert of a transaction carries the transaction's risk level.
 */
export async function insertAlerts(
  conn: PoolConnection,
  scored: readonly ScoredTransaction[],
  runId: number,
): Promise<AlertCounts> {
  const counts = emptyCounts();
  if (scored.length === 0) return counts;
  const existing = new Set<string>();
  const ids = scored.map((s) => s.txn.id);
  for (let i = 0; i < ids.length; i += 5000) {
    const [rows] = await conn.query<RowDataPacket[]>(
      'SELECT transaction_id, rule_id FROM alerts WHERE transaction_id IN (?) AND rule_id IS NOT NULL',
      [ids.slice(i, i + 5000)],
    );
    for (const r of rows) existing.add(`${r.transaction_id}|${r.rule_id}`);
  }
  const values: unknown[][] = [];
  for (const { txn, risk, findings } of scored) {
    for (const f of findings) {
      if (existing.has(`${txn.id}|${f.ruleId}`)) continue;
      existing.add(`${txn.id}|${f.ruleId}`);
      const reason = RULE_REASONS[f.ruleId];
      const evidence = {
        rule: f.ruleId,
        ...f.evidence,
        relatedTransactionIds: (f.evidence.relatedTransactionIds as number[] | undefined) ?? f.related,
        risk,
      };
      values.push([txn.id, reason, risk.level, 'system', f.ruleId, f.score, JSON.stringify(evidence), runId]);
      counts.created++;
      counts.byRisk[risk.level]++;
      counts.byReason[reason] = (counts.byReason[reason] ?? 0) + 1;
    }
  }
  for (let i = 0; i < values.length; i += INSERT_BATCH) {
    await conn.query<ResultSetHeader>(
      `INSERT INTO alerts (transaction_id, reason, risk_level, flagged_by, rule_id, score, evidence, scan_run_id)
       VALUES ? ON DUPLICATE KEY UPDATE id = id`,
      [values.slice(i, i + INSERT_BATCH)],
    );
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

/** Moves a watermark forward (never back). */
export async function moveWatermark(
  conn: PoolConnection,
  name: string,
  to: number,
  runId: number,
): Promise<void> {
  await conn.query(
    `INSERT INTO scan_watermarks (name, last_transaction_id, last_run_id, updated_at) VALUES (?, ?, ?, NOW(3))
     ON DUPLICATE KEY UPDATE last_transaction_id = GREATEST(last_transaction_id, VALUES(last_transaction_id)),
       last_run_id = VALUES(last_run_id), updated_at = VALUES(updated_at)`,
    [name, to, runId],
  );
}

/** Sets a watermark exactly (a full rebuild of the histogram). */
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
