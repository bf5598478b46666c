/**
 * The incremental scan: transactions above the watermark in chunks of `chunkSize`. A chunk reads its rows by id
 * and, at the same time, the accounts of the clients they belong to and, on a connection of its own, those
 * clients' saved detection states (by primary key); opens its DB transaction; feeds the rows through the detectors
 * client by client as their states arrive (lib/scan/chunk.ts), while the alerts of new transactions go into the
 * transaction and the new states are written on two other connections (lib/scan/write-queue.ts); and commits the
 * alerts with the watermarks once the states are in.
 */
import type { PoolConnection } from 'mysql2/promise';
import { withTransaction } from '../db/pool.js';
import { ConflictError } from '../errors.js';
import { Deadline } from '../jobs/deadline.js';
import type { RulesConfig } from '../rules/config.js';
import { addToWindows, type HistogramRow, histogramOf, windowThresholdLookup } from '../rules/percentiles.js';
import type { RuleContext, Txn } from '../rules/types.js';
import { ActiveSuppressions } from '../suppressions/active.js';
import {
  type AlertCounts,
  addCounts,
  emptyCounts,
  sumCounts,
  type TransactionFindings,
  writeScoredFindings,
} from './alerts.js';
import { addCaseCounts, attachScanAlerts, type CaseCounts, emptyCaseCounts, lastAlertId } from './cases.js';
import { type ChunkClients, ChunkJudge, groupByClient } from './chunk.js';
import { detectNetworkChunk } from './network-stage.js';
import {
  HISTOGRAM_WATERMARK,
  type Progress,
  readWatermark,
  recordProgress,
  STATE_WATERMARK,
  setWatermark,
  WATERMARK,
} from './runs.js';
import type { ScanOptions } from './scan.js';
import {
  addToHistogram,
  loadChunkAccounts,
  loadChunkEnd,
  loadHistorySince,
  loadMonthsBetween,
  loadTransactionRange,
  loadWindowHistograms,
  sortByTime,
  type TypeInfo,
} from './source.js';
import { ChunkStates } from './state.js';
import { type Lap, stopwatch } from './stopwatch.js';
import { StateSlices } from './write-queue.js';

/**
 * The thresholds' context: each month of the new rows with its trailing window, summed by the server from the
 * amount histogram, and the start of the recorded history. `counting` is set when the chunk adds its own rows'
 * counts to the windows while the server counts them into the histogram (see prepareThresholds).
 */
interface ThresholdContext {
  windows: Map<string, HistogramRow[]>;
  historySince: number;
  counting: Promise<void> | undefined;
}

/** What every chunk of a run shares. */
interface IncrementalRun {
  runId: number;
  maxId: number;
  chunkSize: number;
  rules: RulesConfig;
  types: ReadonlyMap<number, TypeInfo>;
  context: Promise<ThresholdContext>;
  lap: Lap;
  progress: Progress;
  /** Active suppressions: the findings they cover are kept as suppressed. */
  suppressions: ActiveSuppressions;
  /** Attach the chunk's alerts to cases before it commits (ScanOptions.attachCases). */
  attachCases: boolean;
}

export async function incrementalScan(
  runId: number,
  watermark: number,
  maxId: number,
  rules: RulesConfig,
  types: ReadonlyMap<number, TypeInfo>,
  options: ScanOptions,
  suppressions = new ActiveSuppressions(),
): Promise<Progress> {
  const progress: Progress = {
    scanned: 0,
    toId: watermark,
    chunks: 0,
    counts: emptyCounts(),
    cases: emptyCaseCounts(),
    complete: true,
  };
  if (maxId <= watermark) return progress;
  const chunkSize = options.chunkSize ?? 20_000;
  const lap = stopwatch(runId, 'incremental scan step', 'step', 'debug');
  // Prepared while the first chunk is read.
  const context = prepareThresholds(runId, watermark, maxId, maxId - watermark <= chunkSize, rules);
  context.catch(() => undefined);
  const attachCases = options.attachCases ?? true;
  const run: IncrementalRun = {
    runId,
    maxId,
    chunkSize,
    rules,
    types,
    context,
    lap,
    progress,
    suppressions,
    attachCases,
  };
  const deadline = options.deadline ?? Deadline.none();
  let judged = false;
  try {
    let from = watermark;
    // A chunk starts only when it can end before the deadline; what is left is the next run's.
    while (from < maxId && deadline.hasTimeForStep()) {
      from = await deadline.step(async () => {
        const to = await scanChunk(run, from);
        await options.onChunkCommitted?.({ index: progress.chunks - 1, toId: to });
        return to;
      });
    }
    progress.complete = from >= maxId;
    judged = true;
    return progress;
  } finally {
    // The histogram's writes never outlive the run (and its lock); their failure fails a run that did not fail
    // already.
    const counting = (await context.catch(() => undefined))?.counting;
    if (counting) await (judged ? counting : counting.catch(() => undefined));
  }
}

/**
 * The thresholds' context, from the amount histogram (its own watermark, atomic with its counts). A replayed
 * client's older history gets no thresholds: its findings were raised before, and only those related to new rows
 * are kept. One chunk whose rows are exactly those the histogram lacks (`single`, the usual scheduled run): the
 * windows are read as the histogram stands and the chunk adds its own rows' counts (`counting` is then the server
 * counting them into the histogram meanwhile) — no wait for that write before judging. Otherwise the histogram is
 * brought up to `maxId` first.
 */
async function prepareThresholds(
  runId: number,
  watermark: number,
  maxId: number,
  single: boolean,
  rules: RulesConfig,
): Promise<ThresholdContext> {
  const windowMonths = rules['high-amount'].windowMonths;
  const [counted, months, historySince] = await Promise.all([
    readWatermark(HISTOGRAM_WATERMARK),
    loadMonthsBetween(watermark, maxId),
    loadHistorySince(),
  ]);
  if (single && counted === watermark) {
    const windows = await loadWindowHistograms(months, windowMonths);
    const counting = countNewRows(runId, maxId);
    counting.catch(() => undefined);
    return { windows, historySince, counting };
  }
  await countNewRows(runId, maxId);
  return { windows: await loadWindowHistograms(months, windowMonths), historySince, counting: undefined };
}

/** Brings the histogram up to maxId, in its own transaction. */
function countNewRows(runId: number, maxId: number): Promise<void> {
  return withTransaction(async (conn) => {
    const counted = await readWatermark(HISTOGRAM_WATERMARK, conn, true);
    if (counted < maxId) {
      await addToHistogram(conn, counted, maxId);
      await setWatermark(conn, HISTOGRAM_WATERMARK, maxId, runId);
    }
  });
}

/** A chunk's rule context: its thresholds (with its own rows' counts while the server counts them) and history start. */
function chunkContext(prepared: ThresholdContext, txns: readonly Txn[], windowMonths: number): RuleContext {
  const windows = prepared.counting
    ? addToWindows(prepared.windows, histogramOf(txns), windowMonths)
    : prepared.windows;
  return {
    amountThresholds: windowThresholdLookup(windows, windowMonths),
    historySince: prepared.historySince,
  };
}

/** What one chunk judges and commits. */
interface Chunk {
  from: number;
  to: number;
  rowCount: number;
  ctx: RuleContext;
  clients: ChunkClients;
  arriving: ChunkStates;
  states: StateSlices;
  /** The network rules' findings, worked out while the clients are judged. */
  network: Promise<TransactionFindings[]>;
}

/** Scans the chunk above `from` and commits it; resolves with the id it ends at. */
async function scanChunk(run: IncrementalRun, from: number): Promise<number> {
  const { lap, progress } = run;
  const to = await loadChunkEnd(from, run.maxId, run.chunkSize);
  lap('chunk edge');
  const network = detectNetworkChunk(from, to, run.rules);
  network.catch(() => undefined);
  // The new rows, the accounts they belong to (with their client and its country) and those clients' saved
  // states are read at the same time; the states keep arriving while the first clients are judged.
  const arriving = new ChunkStates(from, to);
  const [{ txns, rowCount }, accounts] = await Promise.all([
    loadTransactionRange(from, to, run.types),
    loadChunkAccounts(from, to),
  ]);
  sortByTime(txns);
  lap('rows and accounts', { rows: rowCount, accounts: accounts.length });
  const clients = groupByClient(accounts, txns);
  const ctx = chunkContext(await run.context, txns, run.rules['high-amount'].windowMonths);
  lap('context');
  const chunk: Chunk = { from, to, rowCount, ctx, clients, arriving, states: new StateSlices(to), network };
  let counts: AlertCounts;
  let cases: CaseCounts;
  try {
    ({ counts, cases } = await withTransaction((conn) => judgeAndCommit(conn, run, chunk)));
  } catch (error) {
    // No state write (nor read of the network stage) may outlive the run (and the lock).
    await chunk.states.stopped();
    await network.catch(() => undefined);
    throw error;
  }
  lap('commit', { created: counts.created });
  addCounts(progress.counts, counts);
  addCaseCounts(progress.cases, cases);
  progress.scanned += rowCount;
  progress.toId = to;
  progress.chunks++;
  return to;
}

/**
 * The chunk's DB transaction, opened before its clients are judged: its alerts go in while they are judged, then
 * they (and the earlier alerts its findings raised) are attached to cases, and once every state is in, the
 * watermarks move and the run's progress is recorded — all committed together.
 */
async function judgeAndCommit(
  conn: PoolConnection,
  run: IncrementalRun,
  chunk: Chunk,
): Promise<{ counts: AlertCounts; cases: CaseCounts }> {
  const { runId, rules, types, lap, progress, suppressions } = run;
  const { from, to } = chunk;
  const current = await readWatermark(WATERMARK, conn, true);
  if (current !== from) {
    throw new ConflictError(`the watermark moved from ${from} to ${current} under this run; stopping`);
  }
  const since = run.attachCases ? await lastAlertId(conn) : 0;
  const judge = new ChunkJudge(
    conn,
    { runId, rules, types, ctx: chunk.ctx, from, lap, suppressions },
    chunk.clients,
    chunk.states,
  );
  const created = await judge.judgeAll(chunk.arriving);
  const network = await writeScoredFindings(conn, await chunk.network, rules, runId, suppressions);
  addCounts(created, network);
  lap('network');
  const cases = run.attachCases
    ? await attachScanAlerts(conn, runId, since, [...judge.raised, ...network.raised])
    : emptyCaseCounts();
  lap('cases', { opened: cases.opened, touched: cases.touched });
  // The watermarks move once every state is in.
  await chunk.states.written();
  lap('states', { states: chunk.states.sent });
  const counts = sumCounts(progress.counts, created);
  await setWatermark(conn, WATERMARK, to, runId);
  await setWatermark(conn, STATE_WATERMARK, to, runId);
  await recordProgress(runId, { scanned: progress.scanned + chunk.rowCount, toId: to, counts }, conn);
  lap('watermarks');
  return { counts: created, cases: { opened: cases.opened, touched: cases.touched } };
}
