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
 * A server-wide named lock keeps two scans from overlapping: the second one records a `skipped` run and returns.
 * Cancelled transactions are read but never judged and never count as history (no money moved); pending ones are
 * judged like completed ones (an alert on a pending transfer is the most useful one — it can still be stopped).
 */

import { query, streamRows, withNamedLock, withTransaction } from '../db/pool.js';
import { ConflictError } from '../errors.js';
import { logger } from '../log.js';
import { DEFAULT_RULES_CONFIG, type RulesConfig } from '../rules/config.js';
import { ClientDetector, type Settled } from '../rules/engine.js';
import type { ScoredTransaction } from '../rules/index.js';
import {
  AmountHistogram,
  addToWindows,
  histogramOf,
  monthsBetween,
  thresholdLookup,
  windowThresholdLookup,
} from '../rules/percentiles.js';
import { assessRisk } from '../rules/risk.js';
import { DAY } from '../rules/stats.js';
import type { Finding, RuleContext, RuleId, Txn } from '../rules/types.js';
import { TxnColumns } from './columns.js';
import {
  addToHistogram,
  formatDateTime,
  loadAccountHistory,
  loadAccountsOf,
  loadAllAccounts,
  loadChunkAccounts,
  loadHistorySince,
  loadTransactionRange,
  loadTransactionTypes,
  loadWindowHistograms,
  parseDateTime,
  type ScanAccount,
  sortByTime,
  TXN,
  TXN_COLUMNS,
  type TypeInfo,
} from './source.js';
import {
  ChunkStates,
  dropStatesNotAsOf,
  STATE_WATERMARK,
  StateBatch,
  saveStates,
  writeStateBatch,
} from './state.js';
import {
  AlertBatch,
  type AlertCounts,
  type AlertRow,
  addCounts,
  alertEvidence,
  alertRows,
  closeInterruptedRuns,
  ExistingAlerts,
  emptyCounts,
  finishRun,
  HISTOGRAM_WATERMARK,
  readWatermark,
  recordProgress,
  recordSkippedRun,
  type ScanMode,
  setWatermark,
  startRun,
  WATERMARK,
  writeAlertBatch,
  writeAlerts,
} from './writer.js';

export { SCAN_LOCK } from '../db/locks.js';

import { SCAN_LOCK } from '../db/locks.js';

/** Full scan: alert rows (or client states) gathered before a write is queued (one write runs while the next clients are judged). */
const WRITE_ROWS = 2_000;
const WRITE_STATES = 2_000;
/** Incremental scan: client states per write (written while the next clients are judged). */
const STATE_SLICE = 2_000;
/** Incremental scan: alerts of new transactions per write (written while the next clients are judged). */
const ALERT_SLICE = 500;

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
  /** Called after each chunk commits (tests use it to stop a run half-way). */
  onChunkCommitted?: (chunk: { index: number; toId: number }) => void | Promise<void>;
}

export interface ScanSummary {
  status: 'succeeded' | 'skipped';
  runId: number;
  mode: ScanMode;
  fromId: number;
  toId: number;
  transactionsScanned: number;
  chunks: number;
  alerts: AlertCounts;
  durationMs: number;
}

/**
 * Runs one scan under the named lock. Resolves with what it did; throws (after recording a failed run) on error.
 *
 * @example const summary = await runScan(); // incremental, default thresholds
 */
export async function runScan(options: ScanOptions = {}): Promise<ScanSummary> {
  const mode = options.mode ?? 'incremental';
  const started = performance.now();
  const locked = await withNamedLock(SCAN_LOCK, () => scanLocked(mode, options, started), {
    waitSeconds: options.lockWaitSeconds ?? 0,
  });
  if (locked.acquired && locked.result) return locked.result;
  const runId = await recordSkippedRun(mode);
  logger.warn('another anomaly scan holds the lock; this run stepped aside', { runId, mode });
  return {
    status: 'skipped',
    runId,
    mode,
    fromId: 0,
    toId: 0,
    transactionsScanned: 0,
    chunks: 0,
    alerts: emptyCounts(),
    durationMs: Math.round(performance.now() - started),
  };
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
  // The last id and the transaction types are read while the run's row is written.
  const reference = Promise.all([
    query<{ maxId: number | null }>('SELECT COALESCE(MAX(id), 0) AS maxId FROM transactions'),
    loadTransactionTypes(),
  ]);
  reference.catch(() => undefined);
  const runId = await startRun(mode, rules, mode === 'full' ? 1 : watermark + 1);
  logger.info('anomaly scan started', { runId, mode, watermark });
  try {
    const [[{ maxId }], types] = (await reference) as [[{ maxId: number }], Map<number, TypeInfo>];
    const progress =
      mode === 'full'
        ? await fullScan(runId, Math.min(Number(maxId), options.toId ?? Number(maxId)), rules, types, options)
        : await incrementalScan(runId, watermark, Number(maxId), rules, types, options);
    await finishRun(runId, 'succeeded');
    const summary: ScanSummary = {
      status: 'succeeded',
      runId,
      mode,
      fromId: mode === 'full' ? 1 : watermark + 1,
      toId: progress.toId,
      transactionsScanned: progress.scanned,
      chunks: progress.chunks,
      alerts: progress.counts,
      durationMs: Math.round(performance.now() - started),
    };
    logger.info('anomaly scan finished', { ...summary });
    return summary;
  } catch (error) {
    await finishRun(runId, 'failed', (error as Error).message?.slice(0, 2000)).catch(() => undefined);
    throw error;
  }
}

/** The smallest of `values` (no spread: a chunk may replay tens of thousands of clients). */
function earliestOf(values: Iterable<number>): number {
  let earliest = Number.POSITIVE_INFINITY;
  for (const v of values) if (v < earliest) earliest = v;
  return earliest;
}

/**
 * A lap timer for the run's log: each call logs `message` with the lap's name (under `key`), the milliseconds since
 * the previous call and the process's memory — where a run spends its time.
 */
function stopwatch(runId: number, message: string, key: 'phase' | 'step', level: 'info' | 'debug') {
  let mark = performance.now();
  return (name: string, extra: Record<string, unknown> = {}) => {
    const now = performance.now();
    const m = process.memoryUsage();
    logger[level](message, {
      runId,
      [key]: name,
      ms: Math.round(now - mark),
      heapMb: Math.round(m.heapUsed / 1e6),
      rssMb: Math.round(m.rss / 1e6),
      ...extra,
    });
    mark = now;
  };
}

/** Waits for every write to finish, then fails with the first failure: none is left running behind an error. */
async function allWritten(writes: readonly Promise<unknown>[]): Promise<void> {
  const results = await Promise.allSettled(writes);
  const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
  if (failed) throw failed.reason;
}

/** The longest history any rule looks at, in days (how far back a replayed client's history is read). */
export function contextDays(rules: RulesConfig): number {
  return (
    Math.max(
      rules['high-amount'].ownHistoryDays,
      rules['client-baseline'].lookbackDays,
      rules['unusual-location'].lookbackDays,
      rules['dormant-reactivation'].lookbackDays,
      rules.structuring.windowHours / 24,
      rules['unusual-pattern'].windowMinutes / 1440,
      rules['rapid-transfers'].maxGapMinutes / 1440,
    ) + 1
  );
}

interface Progress {
  scanned: number;
  toId: number;
  chunks: number;
  counts: AlertCounts;
}

/**
 * Adds a settled transaction's alerts to `batch`: one per finding, each carrying the transaction's risk — except
 * for the rules `existing` says the transaction has an alert for already.
 */
function addSettledAlerts(
  batch: AlertBatch,
  s: Settled,
  rules: RulesConfig,
  runId: number,
  existing?: { has(transactionId: number, ruleId: string): boolean },
): void {
  const risk = assessRisk(s.findings, s.txn, rules.risk);
  for (const f of s.findings) {
    if (!existing?.has(s.id, f.ruleId))
      batch.add(s.id, f.ruleId, risk.level, f.score, alertEvidence(f, risk), runId);
  }
}

/**
 * Alert rows for settled transactions: each transaction's findings (plus, in an incremental run, the scores of the
 * alerts it already has from earlier runs) make its risk; every finding becomes one alert carrying that risk.
 */
export function scoreSettled(
  settled: readonly Settled[],
  rules: RulesConfig,
  runId: number,
  earlier?: ReadonlyMap<number, ReadonlyArray<{ ruleId: RuleId; score: number }>>,
): AlertRow[] {
  const scored: ScoredTransaction[] = [];
  for (const entry of settled) {
    let all: Finding[] = entry.findings;
    const before = earlier?.get(entry.id);
    if (before) {
      const fired = new Set(all.map((f) => f.ruleId));
      const extra = before
        .filter((b) => !fired.has(b.ruleId))
        .map((b) => ({
          transactionId: entry.id,
          time: entry.time,
          ruleId: b.ruleId,
          score: b.score,
          evidence: {},
          related: [],
        }));
      if (extra.length) all = [...all, ...extra];
    }
    scored.push({
      txn: entry.txn ?? { id: entry.id },
      findings: entry.findings,
      risk: assessRisk(all, entry.txn, rules.risk),
    });
  }
  return alertRows(scored, runId);
}

/**
 * The full scan. One streamed read of the table in id order fills the column store (lib/scan/columns.ts) and the
 * amount histogram; then every client is judged on its own, from an empty memory, in booking order — all its
 * findings settle at once, so its alerts carry their final risk — and its detection state is saved. Alert rows and
 * states are written in batches by one DB transaction at a time while the next clients are judged. States carry
 * the id they were computed up to (`as_of_transaction_id`); the last transaction moves the watermarks, replaces
 * the histogram and drops the states of clients no longer there. Should the run stop before that, the watermarks
 * stay where they were and the incremental scan replays the clients whose state is newer than the watermark.
 * Above `maxRowsInMemory` rows the scan makes several passes, each keeping a slice of the clients.
 */
async function fullScan(
  runId: number,
  maxId: number,
  rules: RulesConfig,
  types: ReadonlyMap<number, TypeInfo>,
  options: ScanOptions,
): Promise<Progress> {
  const phase = stopwatch(runId, 'full scan phase', 'phase', 'info');
  const [accounts, historySince, known] = await Promise.all([
    loadAllAccounts(),
    loadHistorySince(),
    ExistingAlerts.load(maxId),
  ]);
  phase('accounts', { accounts: accounts.length });
  const maxRows = options.maxRowsInMemory ?? 3_000_000;
  const passes = Math.max(1, Math.ceil(maxId / maxRows));
  const purpose = new RegExp(rules.risk.declaredPurpose, 'iu');
  const keepTitle = (title: string) => purpose.test(title);
  const histogram = new AmountHistogram();
  const ctx: RuleContext = {
    amountThresholds: thresholdLookup(histogram, rules['high-amount'].windowMonths),
    historySince,
  };
  const progress: Progress = { scanned: 0, toId: maxId, chunks: 0, counts: emptyCounts() };
  // Two writers, each one transaction at a time on its own connection: alerts (with the run's progress) and
  // client states. They need not commit together: a state says which transactions it has seen (as_of), and
  // alerts are idempotent.
  let alertWrites: Promise<void> = Promise.resolve();
  let stateWrites: Promise<void> = Promise.resolve();
  // Each queued batch's writes (its alerts and its states), oldest first.
  const pending: Promise<unknown>[] = [];
  // Alert batches are reused once written (a batch's buffer is its rows' TSV bytes).
  const free: AlertBatch[] = [];
  const freeStates: StateBatch[] = [];
  const enqueue = async (batch: AlertBatch, states: StateBatch) => {
    alertWrites = alertWrites.then(async () => {
      const created = await withTransaction(async (tx) => {
        const made = await writeAlertBatch(tx, batch, runId);
        const total = emptyCounts();
        addCounts(total, progress.counts);
        addCounts(total, made);
        await recordProgress(runId, { scanned: progress.scanned, toId: maxId, counts: total }, tx);
        return made;
      });
      addCounts(progress.counts, created);
      free.push(batch.reset());
      progress.chunks++;
      await options.onChunkCommitted?.({ index: progress.chunks - 1, toId: maxId });
    });
    stateWrites = stateWrites.then(async () => {
      await withTransaction((tx) => writeStateBatch(tx, states));
      freeStates.push(states.reset());
    });
    const written = Promise.all([alertWrites, stateWrites]);
    written.catch(() => undefined);
    pending.push(written);
    // Batches are written while the next ones are judged; the judging waits only when two are still queued (a
    // failed write stops it at once).
    while (pending.length > 2) await pending.shift();
  };
  const writes = () => allWritten([alertWrites, stateWrites]);

  try {
    for (let pass = 0; pass < passes; pass++) {
      const inPass = (clientId: number) => passes === 1 || clientId % passes === pass;
      const passAccounts = accounts.filter((a) => inPass(a.clientId));
      const clientOfAccount = new Map(passAccounts.map((a) => [a.id, a.clientCountry]));
      const columns = new TxnColumns(Math.min(maxId, maxRows) + 1024);
      let rows = 0;
      await streamRows(
        `SELECT ${TXN_COLUMNS} FROM transactions WHERE id <= ? ORDER BY id`,
        [maxId],
        (row) => {
          rows++;
          if (row[TXN.status] === 'cancelled') return;
          const time = parseDateTime(row[TXN.date] as string);
          if (pass === 0) {
            const amount = Number(row[TXN.amount]);
            if (amount !== 0) histogram.addAmount(row[TXN.currency] as string, amount, time);
          }
          // Rows of accounts created after the accounts were read are left to the next scan.
          const country = clientOfAccount.get(Number(row[TXN.account_id]));
          if (country !== undefined) columns.push(row, time, country, keepTitle);
        },
      );
      if (pass === 0) progress.scanned = rows;
      phase('read', { pass, rows, kept: columns.length });
      const { order, clientStart, clientAccounts } = columns.groupByClient(passAccounts);
      phase('group', { pass, clients: clientAccounts.length });

      let alertBatch = free.pop() ?? new AlertBatch();
      let stateBatch = freeStates.pop() ?? new StateBatch();
      for (let c = 0; c < clientAccounts.length; c++) {
        const clientAccountList = clientAccounts[c] as ScanAccount[];
        const first = clientAccountList[0] as ScanAccount;
        const from = clientStart[c] as number;
        const to = clientStart[c + 1] as number;
        if (from === to) continue;
        const d = new ClientDetector(first.clientId, first.clientCountry, rules, ctx);
        for (const a of clientAccountList) d.describeAccount(a);
        const txns: Txn[] = [];
        for (let k = from; k < to; k++) txns.push(columns.txn(order[k] as number, types));
        // Skipped: alerts the transaction has for that rule already (an earlier scan's, or one an analyst worked
        // on: never overwritten).
        for (const s of d.judge(txns)) addSettledAlerts(alertBatch, s, rules, runId, known);
        // Encoded at once: one flat string per client instead of an object graph waiting for the write.
        stateBatch.add(first.clientId, d.saveBase64(), maxId);
        if (alertBatch.size >= WRITE_ROWS || stateBatch.size >= WRITE_STATES) {
          await enqueue(alertBatch, stateBatch);
          alertBatch = free.pop() ?? new AlertBatch();
          stateBatch = freeStates.pop() ?? new StateBatch();
        }
      }
      if (alertBatch.size || stateBatch.size) await enqueue(alertBatch, stateBatch);
      await writes();
      phase('judge and write', { pass, alerts: progress.counts.created });
    }
  } catch (error) {
    // No write may outlive the run (and the lock): a late state write could replace a newer run's state.
    await Promise.allSettled([alertWrites, stateWrites]);
    throw error;
  }

  const histogramRows = histogram.rows();
  await withTransaction(async (tx) => {
    await tx.query('DELETE FROM scan_amount_histogram');
    for (let i = 0; i < histogramRows.length; i += 5_000) {
      await tx.query('INSERT INTO scan_amount_histogram (currency, direction, month, bucket, n) VALUES ?', [
        histogramRows.slice(i, i + 5_000).map((h) => [h.currency, h.direction, h.month, h.bucket, h.n]),
      ]);
    }
    await dropStatesNotAsOf(tx, maxId);
    await setWatermark(tx, HISTOGRAM_WATERMARK, maxId, runId);
    await setWatermark(tx, WATERMARK, maxId, runId);
    await setWatermark(tx, STATE_WATERMARK, maxId, runId);
    await recordProgress(runId, { scanned: progress.scanned, toId: maxId, counts: progress.counts }, tx);
  });
  progress.chunks++;
  await options.onChunkCommitted?.({ index: progress.chunks - 1, toId: maxId });
  phase('final write', { histogram: histogramRows.length });
  return progress;
}

/**
 * The incremental scan: transactions above the watermark in chunks of `chunkSize`. A chunk reads its rows by id
 * and, at the same time, the accounts of the clients they belong to and, on a connection of its own, those
 * clients' saved detection states (by primary key); opens its DB transaction; feeds the rows through the detectors
 * client by client as their states arrive (then the clients without one, then those replayed), emitting every
 * episode still open as it stands, while the alerts of new transactions go into the transaction and the new states
 * are written on two other connections; and commits the alerts with the watermarks once the states are in.
 * Findings on earlier transactions (the first transfers of a burst the new rows complete) are scored at the end
 * together with the alerts those transactions already have.
 */
async function incrementalScan(
  runId: number,
  watermark: number,
  maxId: number,
  rules: RulesConfig,
  types: ReadonlyMap<number, TypeInfo>,
  options: ScanOptions,
): Promise<Progress> {
  const progress: Progress = { scanned: 0, toId: watermark, chunks: 0, counts: emptyCounts() };
  if (maxId <= watermark) return progress;
  const chunkSize = options.chunkSize ?? 20_000;

  const lap = stopwatch(runId, 'incremental scan step', 'step', 'debug');
  // The thresholds' context: each month of the new rows with its trailing window, summed by the server from the
  // amount histogram (its own watermark, atomic with its counts), and the start of the recorded history; prepared
  // while the first chunk is read. A replayed client's older history gets no thresholds: its findings were raised
  // before, and only those related to new rows are kept.
  const windowMonths = rules['high-amount'].windowMonths;
  const single = maxId - watermark <= chunkSize;
  // Brings the histogram up to maxId, in its own transaction.
  const countNewRows = () =>
    withTransaction(async (conn) => {
      const counted = await readWatermark(HISTOGRAM_WATERMARK, conn, true);
      if (counted < maxId) {
        await addToHistogram(conn, counted, maxId);
        await setWatermark(conn, HISTOGRAM_WATERMARK, maxId, runId);
      }
    });
  const context = (async () => {
    const [counted, [range], historySince] = await Promise.all([
      readWatermark(HISTOGRAM_WATERMARK),
      query<{ first: string | null; last: string | null }>(
        'SELECT MIN(date) AS first, MAX(date) AS last FROM transactions WHERE id > ? AND id <= ?',
        [watermark, maxId],
      ),
      loadHistorySince(),
    ]);
    const months =
      range?.first && range.last ? monthsBetween(range.first.slice(0, 7), range.last.slice(0, 7)) : [];
    // One chunk whose rows are exactly those the histogram lacks (the usual scheduled run): the windows are read
    // as the histogram stands and the chunk adds its own rows' counts (`counting` is then the server counting
    // them into the histogram meanwhile) — no wait for that write before judging.
    if (single && counted === watermark) {
      const windows = await loadWindowHistograms(months, windowMonths);
      const counting = countNewRows();
      counting.catch(() => undefined);
      return { windows, historySince, counting };
    }
    await countNewRows();
    return { windows: await loadWindowHistograms(months, windowMonths), historySince, counting: undefined };
  })();
  context.catch(() => undefined);
  let judged = false;
  try {
    const result = await chunks();
    judged = true;
    return result;
  } finally {
    // The histogram's writes never outlive the run (and its lock); their failure fails a run that did not fail
    // already.
    const counting = (await context.catch(() => undefined))?.counting;
    if (counting) await (judged ? counting : counting.catch(() => undefined));
  }

  async function chunks(): Promise<Progress> {
    let from = watermark;
    while (from < maxId) {
      // Ids may have gaps: a span of at most chunkSize ids holds at most chunkSize rows.
      const [edge] =
        maxId - from <= chunkSize
          ? []
          : await query<{ id: number }>(
              'SELECT id FROM transactions WHERE id > ? AND id <= ? ORDER BY id LIMIT 1 OFFSET ?',
              [from, maxId, chunkSize - 1],
            );
      const to = edge ? Number(edge.id) : maxId;
      lap('chunk edge');
      // The new rows, the accounts they belong to (with their client and its country) and those clients' saved
      // states are read at the same time; the states keep arriving while the first clients are judged.
      const arriving = new ChunkStates(from, to);
      const [{ txns, rowCount }, accounts] = await Promise.all([
        loadTransactionRange(from, to, types),
        loadChunkAccounts(from, to),
      ]);
      sortByTime(txns);
      lap('rows and accounts', { rows: rowCount, accounts: accounts.length });
      const clients = new Map<number, ChunkClient>();
      const clientOf = new Map<number, ChunkClient>();
      for (const a of accounts) {
        let c = clients.get(a.clientId);
        if (!c) {
          c = { accounts: [], txns: [] };
          clients.set(a.clientId, c);
        }
        c.accounts.push(a);
        clientOf.set(a.id, c);
      }
      for (const t of txns) clientOf.get(t.accountId)?.txns.push(t);
      const prepared = await context;
      const ctx: RuleContext = {
        amountThresholds: windowThresholdLookup(
          prepared.counting
            ? addToWindows(prepared.windows, histogramOf(txns), windowMonths)
            : prepared.windows,
          windowMonths,
        ),
        historySince: prepared.historySince,
      };
      lap('context');
      const after = from;
      // States are written while the next clients are judged, in slices, each in its own transaction and before the
      // watermarks move: a state says which transaction it has seen (as_of = this chunk's last id), so one committed
      // by a chunk that then fails is newer than the watermark and its client is replayed next time.
      let saved: Array<readonly [number, Buffer]> = [];
      let statesWritten = 0;
      const stateWrites: Promise<unknown>[] = [];
      const writeStates = () => {
        const slice = saved;
        saved = [];
        statesWritten += slice.length;
        // Two chains of slices (two connections), each slice after the one before it in its chain.
        const write = (stateWrites[stateWrites.length - 2] ?? Promise.resolve()).then(() =>
          withTransaction((tx) => saveStates(tx, slice, to)),
        );
        write.catch(() => undefined);
        stateWrites.push(write);
      };
      let counts: AlertCounts;
      try {
        // The chunk's alerts and its watermarks are one DB transaction, opened before the clients are judged: the
        // alerts of new transactions go in, slice by slice, while the next clients are judged. Findings on earlier
        // transactions (the first transfers of a burst the new rows complete) are scored at the end, together with
        // the alerts those transactions already have.
        counts = await withTransaction(async (conn) => {
          const current = await readWatermark(WATERMARK, conn, true);
          if (current !== after) {
            throw new ConflictError(
              `the watermark moved from ${after} to ${current} under this run; stopping`,
            );
          }
          const created = emptyCounts();
          let fresh: Settled[] = [];
          const older: Settled[] = [];
          let settledCount = 0;
          let alertWrites: Promise<void> = Promise.resolve();
          // Alerts of new transactions go straight into LOAD DATA bytes, with no look-up of existing ones first:
          // a chunk's alerts commit with its watermark, so only a full scan that stopped before its last commit
          // can have left some above it — IGNORE skips those, and the counts are then re-read (writeAlertBatch).
          const writeFresh = () => {
            const batch = new AlertBatch(256 * 1024);
            for (const s of fresh) addSettledAlerts(batch, s, rules, runId);
            fresh = [];
            alertWrites = alertWrites.then(async () =>
              addCounts(created, await writeAlertBatch(conn, batch, runId)),
            );
            alertWrites.catch(() => undefined);
          };
          /**
           * Restores a client's detector (or starts an empty one), feeds its new rows (after its history when
           * replayed), emits what is still open as it stands, settles everything and saves it; true when a slice of
           * states or alerts is due (the caller then lets the writes go out). Each detector dies young.
           */
          const judgeClient = (clientId: number, c: ChunkClient, state?: Buffer, past?: Txn[]): boolean => {
            const first = c.accounts[0] as ScanAccount;
            const d = state
              ? ClientDetector.restore(clientId, first.clientCountry, rules, ctx, state)
              : new ClientDetector(clientId, first.clientCountry, rules, ctx);
            for (const a of c.accounts) d.describeAccount(a);
            const feed = past ? sortByTime([...past, ...c.txns]) : c.txns;
            for (const s of d.judge(feed)) {
              settledCount++;
              if (s.id > after) fresh.push(s);
              else {
                // Findings that only concern transactions judged before (a replayed history) were raised then.
                const findings = s.findings.filter((f) => f.related.some((id) => id > after));
                if (findings.length) older.push({ ...s, findings });
              }
            }
            saved.push([clientId, d.save()]);
            const statesDue = saved.length >= STATE_SLICE;
            const alertsDue = fresh.length >= ALERT_SLICE;
            if (statesDue) writeStates();
            if (alertsDue) writeFresh();
            return statesDue || alertsDue;
          };
          // Let the writes go out (LOAD DATA LOCAL streams its rows when the server asks) before judging on.
          const yieldToWrites = () => new Promise((resolve) => setImmediate(resolve));
          try {
            // A client is replayed — its history within the rules' reach read again and judged in booking order
            // with the new rows — when a new transaction was booked before the latest one its state has seen (a
            // late booking), when its state has seen transactions beyond the watermark (left by a full scan or a
            // chunk that stopped half-way), or when its state is of another format. The others are judged as their
            // state arrives.
            const replayed = new Map<number, number>();
            for await (const clientId of arriving.clients()) {
              const c = clients.get(clientId);
              const first = c?.txns[0];
              if (!c || !first) continue;
              const state = arriving.states.get(clientId);
              if (!state || state.asOf > from || first.time < state.latest)
                replayed.set(clientId, first.time);
              else if (judgeClient(clientId, c, state.saved)) await yieldToWrites();
            }
            lap('judged as their states arrived', { states: arriving.states.size });
            // A client without a state has no judged transaction before these (every client judged gets one,
            // written before the watermark moves): it starts from an empty memory.
            for (const [clientId, c] of clients) {
              if (c.txns.length === 0 || arriving.states.has(clientId) || arriving.outdated.has(clientId))
                continue;
              if (judgeClient(clientId, c)) await yieldToWrites();
            }
            if (replayed.size) {
              const history = await replayHistory(replayed, clients, clientOf, from, rules, types);
              logger.info('replayed clients', { runId, clients: replayed.size, history: history.rows });
              for (const clientId of replayed.keys()) {
                const c = clients.get(clientId) as ChunkClient;
                if (judgeClient(clientId, c, undefined, history.byClient.get(clientId) ?? []))
                  await yieldToWrites();
              }
            }
            if (saved.length) writeStates();
            if (fresh.length) writeFresh();
            lap('judge', { settled: settledCount });
            const earlier = await earlierScores(older.map((s) => s.id));
            const rows = scoreSettled(older, rules, runId, earlier);
            await alertWrites;
            addCounts(created, await writeAlerts(conn, rows, runId));
            lap('alerts', { alerts: created.created });
          } catch (error) {
            // Nothing may still be writing on the connection when the transaction rolls back.
            await alertWrites.catch(() => undefined);
            throw error;
          }
          // The watermarks move once every state is in.
          await allWritten(stateWrites);
          lap('states', { states: statesWritten });
          const total = emptyCounts();
          addCounts(total, progress.counts);
          addCounts(total, created);
          await setWatermark(conn, WATERMARK, to, runId);
          await setWatermark(conn, STATE_WATERMARK, to, runId);
          await recordProgress(
            runId,
            { scanned: progress.scanned + rowCount, toId: to, counts: total },
            conn,
          );
          lap('watermarks');
          return created;
        });
      } catch (error) {
        // No state write may outlive the run (and the lock).
        await Promise.allSettled(stateWrites);
        throw error;
      }
      lap('commit', { created: counts.created });
      addCounts(progress.counts, counts);
      progress.scanned += rowCount;
      progress.toId = to;
      progress.chunks++;
      from = to;
      await options.onChunkCommitted?.({ index: progress.chunks - 1, toId: to });
    }
    return progress;
  }
}

/** A client an incremental chunk touches: its accounts and its new transactions (in booking order). */
interface ChunkClient {
  accounts: ScanAccount[];
  txns: Txn[];
}

/**
 * The history of the clients to replay (client id → its earliest new booking), within the rules' reach and below
 * the chunk (id ≤ `from`), per client; every account of theirs joins `clients` first, since their history may be on
 * accounts without a new row.
 */
async function replayHistory(
  replayed: ReadonlyMap<number, number>,
  clients: ReadonlyMap<number, ChunkClient>,
  clientOf: Map<number, ChunkClient>,
  from: number,
  rules: RulesConfig,
  types: ReadonlyMap<number, TypeInfo>,
): Promise<{ byClient: Map<number, Txn[]>; rows: number }> {
  const all = await loadAccountsOf([...replayed.keys()]);
  for (const a of all) {
    const c = clients.get(a.clientId);
    if (c && !clientOf.has(a.id)) {
      c.accounts.push(a);
      clientOf.set(a.id, c);
    }
  }
  const rows = await loadAccountHistory(
    all.map((a) => a.id),
    from,
    formatDateTime(earliestOf(replayed.values()) - contextDays(rules) * DAY),
    types,
  );
  const byClient = new Map<number, Txn[]>();
  for (const t of rows) {
    const clientId = clientOf.get(t.accountId)?.accounts[0]?.clientId;
    if (clientId === undefined) continue;
    const list = byClient.get(clientId);
    if (list) list.push(t);
    else byClient.set(clientId, [t]);
  }
  return { byClient, rows: rows.length };
}

/** The system alerts earlier runs raised on `ids` (rule and score), for scoring findings that complete an episode. */
async function earlierScores(
  ids: readonly number[],
): Promise<Map<number, Array<{ ruleId: RuleId; score: number }>>> {
  const byId = new Map<number, Array<{ ruleId: RuleId; score: number }>>();
  for (let i = 0; i < ids.length; i += 5_000) {
    const rows = await query<{ transaction_id: number; rule_id: RuleId; score: string | null }>(
      "SELECT transaction_id, rule_id, score FROM alerts WHERE transaction_id IN (?) AND flagged_by = 'system' AND rule_id IS NOT NULL",
      [ids.slice(i, i + 5_000)],
    );
    for (const r of rows) {
      const list = byId.get(Number(r.transaction_id)) ?? [];
      list.push({ ruleId: r.rule_id, score: Number(r.score ?? 0) });
      byId.set(Number(r.transaction_id), list);
    }
  }
  return byId;
}
