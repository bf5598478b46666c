/**
 * The anomaly scan: reads transactions, runs the rules (lib/rules, through the streaming engine of
 * lib/rules/engine.ts), writes explained alerts. Shared by the `scan-anomalies` Lambda and `npm run scan`.
 *
 * - **Incremental** (default): transactions with id above the `anomaly-scan` watermark, in chunks of `chunkSize`
 *   ids. A chunk reads its rows, their accounts and the saved detection state of the clients they belong to
 *   (scan_client_state, by primary key), judges each client's new rows on top of its state — replaying from its
 *   history a client whose state cannot be trusted or whose new row was booked late — writes the clients' new
 *   states (each marked with the last id it has seen, so one left by a chunk that failed is replayed, not trusted),
 *   and commits the alerts, the watermarks and the run's progress in one DB transaction once the states are in: a
 *   crash loses nothing and repeats nothing.
 * - **Full** (`mode: 'full'`): reads the table once into typed columns, rebuilds the amount histogram, judges every
 *   client from an empty memory and saves its state; existing alerts are kept (duplicates are skipped); the
 *   watermarks move to the end with the last commit.
 *
 * Given a deadline (`ScanOptions.deadline`: the Lambda's remaining time, the CLI's --deadline-seconds), a run starts
 * no chunk (a full scan: no pass) that would not end before it, and is recorded as `partial`; the next run goes on
 * from the watermark (lib/jobs/deadline.ts).
 *
 * Both honour the suppressions active when the run starts (lib/suppressions/active.ts): a finding one covers is kept
 * as an alert with status `suppressed`, never raised.
 *
 * A server-wide named lock keeps two scans from overlapping, and scans from running while a seed or a migration changes
 * the tables (they take the same lock): a scan that finds it held — or finds a partitioned rescan's lease live
 * (lib/scan/rescan) — records a `skipped` run naming the holder, and returns. A database failure is thrown in the words of lib/db/failures.ts, which the CLI prints and the Lambda logs.
 * Cancelled transactions are read but never judged and never count as history (no money moved); pending ones are
 * judged like completed ones (an alert on a pending transfer is the most useful one — it can still be stopped).
 */

import { lockHeldWords } from '../db/failures.js';
import { findLockHolder, SCAN_LOCK, SCAN_LOCK_JOBS } from '../db/locks.js';
import { getPool, withNamedLock } from '../db/pool.js';
import { explainDbError, resolveDbSettings } from '../db/settings.js';
import type { Deadline } from '../jobs/deadline.js';
import { logger } from '../log.js';
import { DEFAULT_RULES_CONFIG, type RulesConfig } from '../rules/config.js';
import { ActiveSuppressions } from '../suppressions/active.js';
import { type AlertCounts, emptyCounts } from './alerts.js';
import { attachPendingAlerts, type CaseCounts, emptyCaseCounts } from './cases.js';
import { fullScan } from './full-scan.js';
import { incrementalScan } from './incremental-scan.js';
import { liveRescan, rescanHeldWords } from './rescan/rescans.js';
import {
  closeInterruptedRuns,
  finishRun,
  type Progress,
  readWatermark,
  recordSkippedRun,
  type ScanMode,
  STATE_WATERMARK,
  startRun,
  WATERMARK,
} from './runs.js';
import { loadLastTransactionId, loadTransactionTypes } from './source.js';

/** What a partial run's row says (scan_runs.error): how far it got and what happens next. */
function partialNote(mode: ScanMode, progress: Progress, maxId: number): string {
  return mode === 'incremental'
    ? `stopped at the deadline: transactions up to id ${progress.toId} of ${maxId} scanned and committed; the next run goes on from there`
    : "stopped at the deadline between passes: the judged clients' alerts and states are committed, the watermarks did not move; the next incremental run replays those clients, and the full scan must be run again where it has time";
}

export interface ScanOptions {
  mode?: ScanMode;
  rules?: RulesConfig;
  /** New transactions per incremental chunk (each chunk commits on its own). */
  chunkSize?: number;
  /** How long to wait for another scan's lock before stepping aside. */
  lockWaitSeconds?: number;
  /** Full scan: rows kept in memory per pass (more rows ⇒ several passes over the table, each for some clients). */
  maxRowsInMemory?: number;
  /** Full scan: stop at this transaction id instead of the last one (benches and tests rebuild a past state). */
  toId?: number;
  /**
   * Attach the alerts to cases as they are written (default true). Off only to measure what attaching costs
   * (bench/scan.ts): alerts written without it are never attached later.
   */
  attachCases?: boolean;
  /**
   * Stop before a chunk (a full scan: a pass) that would not end before it, and record the run as `partial`; the
   * next run goes on from the watermark. Default: none (lib/jobs/deadline.ts).
   */
  deadline?: Deadline;
  /** Called after each chunk commits (tests use it to stop a run half-way). */
  onChunkCommitted?: (chunk: { index: number; toId: number }) => void | Promise<void>;
}

export interface ScanSummary {
  /** `partial`: stopped at its deadline with what it finished committed; the next run goes on from there. */
  status: 'succeeded' | 'partial' | 'skipped';
  runId: number;
  mode: ScanMode;
  fromId: number;
  toId: number;
  transactionsScanned: number;
  chunks: number;
  alerts: AlertCounts;
  /** Cases the run's alerts opened (client and network cases) and cases that gained alerts or changed. */
  cases: CaseCounts;
  durationMs: number;
  /** Skipped runs: who held the scan lock, in words ("a seed is running on database fm (connection 42 …)"). */
  heldBy?: string;
}

/**
 * Runs one scan under the named lock. Resolves with what it did; throws (after recording a failed run) on error.
 *
 * @example const summary = await runScan(); // incremental, default thresholds
 */
export async function runScan(options: ScanOptions = {}): Promise<ScanSummary> {
  try {
    return await scanOrStepAside(options);
  } catch (error) {
    throw await explainDbError(error);
  }
}

async function scanOrStepAside(options: ScanOptions): Promise<ScanSummary> {
  const mode = options.mode ?? 'incremental';
  const started = performance.now();
  const locked = await withNamedLock(SCAN_LOCK, () => scanUnlessRescanning(mode, options, started), {
    waitSeconds: options.lockWaitSeconds ?? 0,
  });
  if (typeof locked.result === 'object') return locked.result;
  const heldBy = locked.result ?? (await whoHoldsTheScanLock());
  const runId = await recordSkippedRun(mode, heldBy);
  logger.warn(`${heldBy}; this scan stepped aside`, { runId, mode });
  return {
    status: 'skipped',
    runId,
    mode,
    fromId: 0,
    toId: 0,
    transactionsScanned: 0,
    chunks: 0,
    alerts: emptyCounts(),
    cases: emptyCaseCounts(),
    durationMs: Math.round(performance.now() - started),
    heldBy,
  };
}

/** Another scan, a seed or a migration, in words (the holder's marker, lib/db/locks.ts). */
export async function whoHoldsTheScanLock(): Promise<string> {
  const { database } = await resolveDbSettings();
  const holder = await findLockHolder(await getPool(), database, SCAN_LOCK, SCAN_LOCK_JOBS);
  return lockHeldWords({ lock: 'scan lock', database, holder, asker: SCAN_LOCK });
}

/** Scans — or, while a partitioned rescan holds its lease (lib/scan/rescan), says so in words instead. */
async function scanUnlessRescanning(
  mode: ScanMode,
  options: ScanOptions,
  started: number,
): Promise<ScanSummary | string> {
  const rescan = await liveRescan();
  return rescan ? rescanHeldWords(rescan) : scanLocked(mode, options, started);
}

async function scanLocked(requested: ScanMode, options: ScanOptions, started: number): Promise<ScanSummary> {
  const rules = options.rules ?? DEFAULT_RULES_CONFIG;
  const [interrupted, watermark, stateMark] = await Promise.all([
    closeInterruptedRuns(),
    readWatermark(WATERMARK),
    readWatermark(STATE_WATERMARK),
  ]);
  if (interrupted) logger.warn('closed runs left unfinished by a crash', { interrupted });
  let mode = requested;
  if (mode === 'incremental' && watermark > 0 && stateMark !== watermark) {
    // Alerts exist up to the watermark but no detection state does (first run after an upgrade, or a state
    // written by another version): judging new rows without their clients' history would raise false alerts.
    logger.warn('no detection state matches the watermark; rebuilding it with a full scan', { watermark });
    mode = 'full';
  }
  // The last id, the transaction types and the suppressions active now are read while the run's row is written.
  const reference = Promise.all([loadLastTransactionId(), loadTransactionTypes(), ActiveSuppressions.load()]);
  reference.catch(() => undefined);
  const runId = await startRun(mode, rules, mode === 'full' ? 1 : watermark + 1);
  logger.info('anomaly scan started', { runId, mode, watermark });
  try {
    const [maxId, types, suppressions] = await reference;
    // Alerts a full scan that stopped half-way left outside their cases join them first (lib/scan/cases.ts).
    const pending = options.attachCases === false ? emptyCaseCounts() : await attachPendingAlerts();
    const progress =
      mode === 'full'
        ? await fullScan(runId, Math.min(maxId, options.toId ?? maxId), rules, types, options, suppressions)
        : await incrementalScan(runId, watermark, maxId, rules, types, options, suppressions);
    const status = progress.complete ? 'succeeded' : 'partial';
    await finishRun(runId, status, progress.complete ? undefined : partialNote(mode, progress, maxId));
    const summary: ScanSummary = {
      status,
      runId,
      mode,
      fromId: mode === 'full' ? 1 : watermark + 1,
      toId: progress.toId,
      transactionsScanned: progress.scanned,
      chunks: progress.chunks,
      alerts: progress.counts,
      cases: {
        opened: progress.cases.opened + pending.opened,
        touched: progress.cases.touched + pending.touched,
      },
      durationMs: Math.round(performance.now() - started),
    };
    if (status === 'partial') logger.warn('anomaly scan stopped at its deadline', { ...summary });
    else logger.info('anomaly scan finished', { ...summary });
    return summary;
  } catch (error) {
    await finishRun(runId, 'failed', (error as Error).message?.slice(0, 2000)).catch(() => undefined);
    throw error;
  }
}
