/**
 * A rescan's last step — only once every part has succeeded — and its way out when one cannot:
 * - **finalize** (under the scan lock): moves the staged alerts into `alerts` slice by slice, each slice attached to
 *   cases in its own transaction (existing alerts are skipped, as the full scan skips them; notifications come from
 *   attaching, so nobody is paged before this step), writes the network findings as the full scan does (scored with
 *   the alerts their transactions have), replaces the client states, and in one last transaction replaces the
 *   histogram, drops states no client of it has, moves the watermarks and marks the rescan and its run succeeded
 *   (lib/scan/full-scan.ts commitFullScan). Every move is idempotent: a finalize that failed half-way is retried
 *   and carries on; until its last transaction the watermarks have not moved.
 * - **abandon**: the rescan and its run are marked failed and its staging rows dropped; alerts, states, watermarks
 *   and cases are as they were (unless a finalize had begun moving them).
 */

import { SCAN_LOCK } from '../../db/locks.js';
import { query, withNamedLock, withTransaction } from '../../db/pool.js';
import { ConflictError } from '../../errors.js';
import { logger } from '../../log.js';
import { AmountHistogram } from '../../rules/percentiles.js';
import type { RiskLevel } from '../../rules/risk.js';
import { ActiveSuppressions } from '../../suppressions/active.js';
import { ALERT_LINE, type AlertCounts, addCounts, emptyCounts, sumCounts } from '../alerts.js';
import { addCaseCounts, attachScanAlerts, type CaseCounts, emptyCaseCounts, lastAlertId } from '../cases.js';
import { commitFullScan } from '../full-scan.js';
import { writeNetworkFull } from '../network-stage.js';
import { finishRun } from '../runs.js';
import { whoHoldsTheScanLock } from '../scan.js';
import { closeRescan } from './prepare.js';
import { finishRescan, loadRescan, type Rescan, type RescanLease, renewLease, withLease } from './rescans.js';
import { dropStaging, nextSliceEnd, stagedHistogram, stagedNetwork } from './staging.js';

/** What a finished rescan did. */
export interface RescanSummary {
  status: 'succeeded';
  rescanId: number;
  runId: number;
  toId: number;
  transactionsScanned: number;
  alerts: AlertCounts;
  cases: CaseCounts;
}

/** Alerts (and states) moved per transaction; network findings per write (as the full scan writes them). */
const MOVE_ROWS = 2_000;
const NETWORK_TRANSACTIONS = 2_000;

/**
 * Finalizes the rescan `lease` names (see the file's header). Throws a ConflictError when a part has not succeeded,
 * the lease is no longer the caller's, or another job holds the scan lock for more than a minute.
 */
export async function finalizeRescan(lease: RescanLease): Promise<RescanSummary> {
  const locked = await withNamedLock(SCAN_LOCK, () => finalizeLocked(lease), { waitSeconds: 60 });
  if (!locked.acquired || !locked.result)
    throw new ConflictError(`${await whoHoldsTheScanLock()}; rescan #${lease.rescanId} was not finalized`);
  return locked.result;
}

async function finalizeLocked(lease: RescanLease): Promise<RescanSummary> {
  const rescan = await loadRescan(lease.rescanId);
  await requireEveryPart(rescan.id);
  return withLease(lease, rescan.leaseSeconds, async () => {
    await query("UPDATE scan_rescans SET status = 'finalizing' WHERE id = ?", [rescan.id]);
    const cases = await moveAlerts(rescan);
    const network = await writeNetwork(rescan);
    addCaseCounts(cases, network.cases);
    await moveStates(rescan.id);
    const [counts, scanned, histogram] = await Promise.all([
      countMovedAlerts(rescan).then((moved) => sumCounts(moved, network.counts)),
      rowsCounted(rescan.id),
      stagedHistogram(rescan.id),
    ]);
    await commitFullScan(
      rescan.runId,
      rescan.maxId,
      AmountHistogram.of(histogram),
      { scanned, counts },
      async (tx) => {
        await renewLease(lease, tx);
        await finishRescan(rescan.id, 'succeeded', undefined, tx);
        await finishRun(rescan.runId, 'succeeded', undefined, tx);
      },
    );
    await dropStaging(rescan.id);
    logger.info('rescan finished', { rescanId: rescan.id, runId: rescan.runId, alerts: counts.created });
    return {
      status: 'succeeded',
      rescanId: rescan.id,
      runId: rescan.runId,
      toId: rescan.maxId,
      transactionsScanned: scanned,
      alerts: counts,
      cases,
    };
  });
}

/** Throws unless every part of the rescan has succeeded. */
async function requireEveryPart(rescanId: number): Promise<void> {
  const open = await query<{ kind: string; part: number; status: string }>(
    `SELECT kind, part, status FROM scan_rescan_parts WHERE rescan_id = ? AND status <> 'succeeded' ORDER BY kind, part`,
    [rescanId],
  );
  if (open.length)
    throw new ConflictError(
      `rescan #${rescanId} cannot finalize: ${open.length} parts have not succeeded (${open
        .slice(0, 5)
        .map((p) => `${p.kind} ${p.part}: ${p.status}`)
        .join(', ')})`,
    );
}

/**
 * The staged client alerts into `alerts`, partition by partition in the order they were judged (client by client,
 * as the full scan writes them: attaching a slice then touches few clients), each slice attached to cases in its
 * transaction.
 */
async function moveAlerts(rescan: Rescan): Promise<CaseCounts> {
  const cases = emptyCaseCounts();
  const parts = await query<{ part: number }>(
    "SELECT part FROM scan_rescan_parts WHERE rescan_id = ? AND kind = 'clients' ORDER BY part",
    [rescan.id],
  );
  // Attaching joins the alerts by transaction: with statistics of a much smaller alerts table (empty before a first
  // rescan) the server read the whole table for every slice (seconds each at 1M). They are renewed whenever the
  // slices moved have doubled the table, a few times per rescan.
  let analyzeAt = MOVE_ROWS;
  let moved = 0;
  for (const { part } of parts) {
    for (let after = 0; ; ) {
      const slices = { table: 'scan_rescan_alerts', key: 'seq', part } as const;
      const upTo = await nextSliceEnd(slices, rescan.id, after, MOVE_ROWS);
      if (upTo === undefined) break;
      if (moved >= analyzeAt) {
        await query('ANALYZE TABLE alerts');
        analyzeAt = moved * 2;
      }
      addCaseCounts(cases, await moveAlertSlice(rescan, part, after, upTo));
      moved += MOVE_ROWS;
      after = upTo;
    }
  }
  return cases;
}

/** One slice of a partition's staged alerts (after < seq ≤ upTo) into `alerts`, attached to cases, in one transaction. */
function moveAlertSlice(rescan: Rescan, part: number, after: number, upTo: number): Promise<CaseCounts> {
  const columns = ALERT_LINE.join(', ');
  return withTransaction(async (tx) => {
    const since = await lastAlertId(tx);
    // As the full scan loads its alerts: every transaction_id was read from transactions (see writeAlertBatch).
    await tx.query('SET SESSION foreign_key_checks = 0');
    try {
      await tx.query(
        `INSERT IGNORE INTO alerts (${columns}) SELECT ${columns} FROM scan_rescan_alerts
          WHERE rescan_id = ? AND part = ? AND seq > ? AND seq <= ? ORDER BY seq`,
        [rescan.id, part, after, upTo],
      );
    } finally {
      await tx.query('SET SESSION foreign_key_checks = 1');
    }
    return attachScanAlerts(tx, rescan.runId, since, []);
  });
}

/** The staged network findings, written as the full scan writes them (writeNetworkFull), in id order. */
async function writeNetwork(rescan: Rescan): Promise<{ counts: AlertCounts; cases: CaseCounts }> {
  const counts = emptyCounts();
  const cases = emptyCaseCounts();
  const suppressions = await ActiveSuppressions.load(undefined, rescan.startedAt);
  for (let after = 0; ; ) {
    const entries = await stagedNetwork(rescan.id, after, NETWORK_TRANSACTIONS);
    if (entries.length === 0) return { counts, cases };
    const written = await writeNetworkFull(entries, rescan.rules, rescan.runId, suppressions);
    addCounts(counts, written.counts);
    addCaseCounts(cases, written.cases);
    after = entries[entries.length - 1]?.id as number;
  }
}

/** The staged client states into scan_client_state (replacing each client's), slice by slice. */
async function moveStates(rescanId: number): Promise<void> {
  for (let after = 0; ; ) {
    const upTo = await nextSliceEnd(
      { table: 'scan_rescan_states', key: 'client_id' },
      rescanId,
      after,
      MOVE_ROWS,
    );
    if (upTo === undefined) return;
    await withTransaction((tx) =>
      tx.query(
        `INSERT INTO scan_client_state (client_id, state, as_of_transaction_id)
         SELECT client_id, state, as_of_transaction_id FROM scan_rescan_states
          WHERE rescan_id = ? AND client_id > ? AND client_id <= ?
         ON DUPLICATE KEY UPDATE state = VALUES(state), as_of_transaction_id = VALUES(as_of_transaction_id)`,
        [rescanId, after, upTo],
      ),
    );
    after = upTo;
  }
}

/**
 * The staged alerts the run created (those IGNORE did not skip), by the risk, reason and status they were created
 * with — as the full scan counts them: a network finding may raise an alert's risk afterwards.
 */
async function countMovedAlerts(rescan: Rescan): Promise<AlertCounts> {
  const rows = await query<{ risk_level: RiskLevel; reason: string; status: string; n: number }>(
    `SELECT s.risk_level, s.reason, s.status, COUNT(*) AS n
       FROM scan_rescan_alerts s JOIN alerts a ON a.transaction_id = s.transaction_id AND a.rule_id = s.rule_id
      WHERE s.rescan_id = ? AND a.scan_run_id = ? GROUP BY s.risk_level, s.reason, s.status`,
    [rescan.id, rescan.runId],
  );
  const counts = emptyCounts();
  for (const r of rows) {
    const n = Number(r.n);
    if (r.status === 'suppressed') {
      counts.suppressed += n;
      continue;
    }
    counts.created += n;
    counts.byRisk[r.risk_level] += n;
    counts.byReason[r.reason] = (counts.byReason[r.reason] ?? 0) + n;
  }
  return counts;
}

/** The transactions the rescan covered: the rows its histogram slices read. */
async function rowsCounted(rescanId: number): Promise<number> {
  const [row] = await query<{ n: number | null }>(
    `SELECT SUM(rows_read) AS n FROM scan_rescan_parts WHERE rescan_id = ? AND kind = 'histogram'`,
    [rescanId],
  );
  return Number(row?.n ?? 0);
}

/**
 * Abandons a rescan that cannot finish (a part failed for good): it and its run are marked failed, its staging
 * dropped. Only its owner may, or anyone once its lease ran out; one already finished is left as it is.
 */
export async function abandonRescan(lease: RescanLease, reason: string): Promise<void> {
  const rescan = await loadRescan(lease.rescanId);
  if (rescan.status === 'succeeded') return;
  if (rescan.status === 'failed') return dropStaging(rescan.id);
  if (rescan.owner !== lease.owner) {
    const [live] = await query<{ id: number }>(
      'SELECT id FROM scan_rescans WHERE id = ? AND lease_expires_at > NOW(3)',
      [rescan.id],
    );
    if (live)
      throw new ConflictError(`rescan #${rescan.id} is driven by ${rescan.owner}, not ${lease.owner}`);
  }
  await closeRescan(rescan.id, rescan.runId, reason);
}
