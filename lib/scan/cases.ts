/**
 * The scan's alerts into cases: every DB transaction of the scan that writes alerts — an incremental chunk, a batch
 * of the full scan, a batch of the full scan's network stage — attaches the alerts it wrote, and those a later
 * finding raised, to cases (lib/cases/attach.ts) before it commits. Alerts and their cases commit together, once per
 * transaction (a chunk's alerts in one set-based pass); re-runs, rescans and crashes half-way change nothing twice.
 */
import type { PoolConnection } from 'mysql2/promise';
import { type AttachResult, attachAlertsToCases } from '../cases/attach.js';
import { query } from '../db/pool.js';

/** Who the scan's case changes are recorded as (case_history.changed_by). */
const SCAN_ACTOR = 'scan';

/** What attaching did over a run: cases opened (client and network) and those that gained alerts or changed. */
export interface CaseCounts {
  opened: number;
  touched: number;
}

export function emptyCaseCounts(): CaseCounts {
  return { opened: 0, touched: 0 };
}

export function addCaseCounts(into: CaseCounts, more: CaseCounts): void {
  into.opened += more.opened;
  into.touched += more.touched;
}

/**
 * The highest alert id as the transaction `conn` sees it, read before it writes alerts: every alert it then writes
 * has a higher id (ids only grow), so `attachScanAlerts` finds them by primary key.
 */
export async function lastAlertId(conn: PoolConnection): Promise<number> {
  const [row] = await query<{ id: number | null }>('SELECT MAX(id) AS id FROM alerts', [], conn);
  return Number(row?.id ?? 0);
}

/**
 * Attaches to cases, in `conn`'s transaction, the alerts run `runId` wrote in it (ids above `since`) and the earlier
 * alerts it raised (`raised`); resolves with what that did (the AttachResult — cases opened, became High, opened only
 * by history — is where notifications hook in).
 *
 * @example const since = await lastAlertId(tx); …write alerts…; await attachScanAlerts(tx, runId, since, raised)
 */
export async function attachScanAlerts(
  conn: PoolConnection,
  runId: number,
  since: number,
  raised: readonly number[],
): Promise<CaseCounts & { result: AttachResult }> {
  const written = await query<{ id: number }>(
    'SELECT id FROM alerts WHERE id > ? AND scan_run_id = ?',
    [since, runId],
    conn,
  );
  const ids = [...new Set([...written.map((r) => Number(r.id)), ...raised])];
  const result = await attachAlertsToCases(conn, ids, SCAN_ACTOR);
  return { opened: result.opened.length, touched: result.touched.length, result };
}
