/**
 * The scan's alerts into cases (lib/cases/attach.ts). An incremental chunk attaches the alerts it wrote, and those a
 * later finding raised, in its own DB transaction before it commits: alerts and their cases commit together. A full
 * scan writes far more alerts, in many batches: it marks its run as having alerts pending (`markCasesPending`),
 * writes them, and then attaches them in a few large transactions (`attachPendingAlerts`) — set-based statements over
 * ten thousand alerts at a time instead of a round of them per write. A run that stops before that leaves its mark,
 * and the next scan attaches its alerts first. Re-runs, rescans and crashes half-way change nothing twice.
 */
import type { PoolConnection } from 'mysql2/promise';
import {
  type AttachResult,
  attachAlertsToCases,
  readTransactionFacts,
  type TransactionFacts,
} from '../cases/attach.js';
import { execute, query, streamRows, withTransaction } from '../db/pool.js';

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
  return attachAlertIds(conn, [...new Set([...written.map((r) => Number(r.id)), ...raised])]);
}

/**
 * Attaches the alerts `ids` in `conn`'s transaction, as the scan (with the facts of their `transactions` when known);
 * resolves with what that did.
 */
export async function attachAlertIds(
  conn: PoolConnection,
  ids: readonly number[],
  transactions?: ReadonlyMap<number, TransactionFacts>,
): Promise<CaseCounts & { result: AttachResult }> {
  const result = await attachAlertsToCases(conn, ids, SCAN_ACTOR, { transactions });
  return { opened: result.opened.length, touched: result.touched.length, result };
}

/** Alerts of a pending run attached per DB transaction. */
const PENDING_BATCH = 10_000;

/**
 * Marks run `runId` as one whose alerts join their cases later (attachPendingAlerts): every alert it writes from now
 * on has an id above the highest one now. Committed before its first alert, so no alert of it can be left outside
 * its case unnoticed.
 */
export async function markCasesPending(runId: number): Promise<void> {
  await execute(
    'UPDATE scan_runs SET cases_pending_after = (SELECT COALESCE(MAX(id), 0) FROM alerts) WHERE id = ?',
    [runId],
  );
}

/**
 * Attaches the alerts of every run marked pending — the full scan that just wrote them, or one that stopped before
 * attaching them — in id order, PENDING_BATCH alerts per DB transaction, each moving the run's mark past the alerts
 * it attached (and clearing it with the last). Called under the scan lock; resolves with what attaching did.
 */
export async function attachPendingAlerts(): Promise<CaseCounts> {
  const counts = emptyCaseCounts();
  const runs = await query<{ id: number }>(
    'SELECT id FROM scan_runs WHERE cases_pending_after IS NOT NULL ORDER BY id',
  );
  for (const { id } of runs) {
    const transactions = await pendingTransactions(Number(id));
    for (let more = true; more; ) {
      const batch = await withTransaction((tx) => attachPendingBatch(tx, Number(id), transactions));
      addCaseCounts(counts, batch);
      more = batch.more;
    }
  }
  return counts;
}

/**
 * The transactions of run `runId`'s pending alerts, read once for all of its batches in ascending id order — one pass
 * over the transactions table instead of one per batch (its alerts, client by client, are on rows all over it).
 */
async function pendingTransactions(runId: number): Promise<Map<number, TransactionFacts>> {
  const ids = new Set<number>();
  await streamRows(
    `SELECT a.transaction_id FROM scan_runs r JOIN alerts a ON a.id > r.cases_pending_after AND a.scan_run_id = r.id
     WHERE r.id = ?`,
    [runId],
    (row) => ids.add(Number(row[0])),
  );
  const sorted = [...ids].sort((a, b) => a - b);
  const facts = new Map<number, TransactionFacts>();
  for (let i = 0; i < sorted.length; i += PENDING_BATCH)
    for (const [id, f] of await readTransactionFacts(sorted.slice(i, i + PENDING_BATCH))) facts.set(id, f);
  return facts;
}

/**
 * The next batch of run `runId`'s pending alerts, attached in `tx` (with their `transactions`, read before); `more`
 * when some may be left.
 */
async function attachPendingBatch(
  tx: PoolConnection,
  runId: number,
  transactions: ReadonlyMap<number, TransactionFacts>,
): Promise<CaseCounts & { more: boolean }> {
  const [run] = await query<{ after: number | null }>(
    'SELECT cases_pending_after AS after FROM scan_runs WHERE id = ? FOR UPDATE',
    [runId],
    tx,
  );
  if (run?.after === null || run?.after === undefined) return { ...emptyCaseCounts(), more: false };
  const rows = await query<{ id: number }>(
    'SELECT id FROM alerts WHERE id > ? AND scan_run_id = ? ORDER BY id LIMIT ?',
    [run.after, runId, PENDING_BATCH],
    tx,
  );
  const ids = rows.map((r) => Number(r.id));
  const { opened, touched } = await attachAlertIds(tx, ids, transactions);
  const more = ids.length === PENDING_BATCH;
  await execute(
    'UPDATE scan_runs SET cases_pending_after = ? WHERE id = ?',
    [more ? ids.at(-1) : null, runId],
    tx,
  );
  return { opened, touched, more };
}
