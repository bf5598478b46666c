/**
 * The anomaly scan: reads transactions, runs the rules (lib/rules), writes explained alerts. Shared by the
 * `scan-anomalies` Lambda and `npm run scan`.
 *
 * - **Incremental** (default): transactions with id above the `anomaly-scan` watermark, in chunks of `chunkSize`
 *   ids. Each chunk loads, for the clients it touches, their history back as far as the rules look (the longest
 *   lookback), runs the rules on those timelines and keeps the findings on new transactions — or on older ones
 *   when a new transaction completes their episode (the first transfers of a burst). The chunk's alerts, the
 *   watermark and the run's progress commit in one DB transaction, so a crash loses nothing and repeats nothing.
 * - **Full** (`mode: 'full'`): rebuilds the amount histogram and rescans every transaction, client by client;
 *   existing alerts are kept (duplicates are skipped); the watermark moves to the end with the last chunk.
 *
 * A server-wide named lock keeps two scans from overlapping: the second one records a `skipped` run and returns.
 * Cancelled transactions are read but never judged and never count as history (no money moved); pending ones are
 * judged like completed ones (an alert on a pending transfer is the most useful one — it can still be stopped).
 */

import { getPool, query, withNamedLock, withTransaction } from '../db/pool.js';
import { ConflictError } from '../errors.js';
import { logger } from '../log.js';
import { DEFAULT_RULES_CONFIG, type RulesConfig } from '../rules/config.js';
import { detectAll, type ScoredTransaction } from '../rules/index.js';
import { thresholdLookup, trailingMonths } from '../rules/percentiles.js';
import { assessRisk } from '../rules/risk.js';
import { DAY } from '../rules/stats.js';
import type { Finding, RuleContext, Txn } from '../rules/types.js';
import { groupByClient, readColumns } from './columns.js';
import {
  addToHistogram,
  buildTimelines,
  formatDateTime,
  type LoadedRows,
  loadAllAccounts,
  loadClientAccounts,
  loadHistogram,
  loadHistorySince,
  loadTransactions,
  loadTransactionTypes,
  parseDateTime,
  type ScanAccount,
  type TypeInfo,
} from './source.js';
import {
  type AlertCounts,
  type AlertRow,
  addCounts,
  alertRows,
  closeInterruptedRuns,
  emptyCounts,
  finishRun,
  HISTOGRAM_WATERMARK,
  insertAlerts,
  moveWatermark,
  readWatermark,
  recordProgress,
  recordSkippedRun,
  type ScanMode,
  setWatermark,
  startRun,
  WATERMARK,
  writeAlerts,
} from './writer.js';

export { SCAN_LOCK } from '../db/locks.js';

import { SCAN_LOCK } from '../db/locks.js';

const CONTEXT_READERS = 3;
/** Full scan: accounts judged at once (a slice of a write chunk). */
const JUDGE_ACCOUNTS = 200;

export interface ScanOptions {
  mode?: ScanMode;
  rules?: RulesConfig;
  /** New transactions per incremental chunk (each chunk commits on its own). */
  chunkSize?: number;
  /** Accounts per full-scan chunk (a client is never split). */
  accountsPerChunk?: number;
  /** How long to wait for another scan's lock before stepping aside. */
  lockWaitSeconds?: number;
  /** Full scan: rows kept in memory per pass (more rows ⇒ several passes over the table, each for some clients). */
  maxRowsInMemory?: number;
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

/** The longest history any rule looks at, in days (what an incremental chunk loads as context). */
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

async function scanLocked(mode: ScanMode, options: ScanOptions, started: number): Promise<ScanSummary> {
  const rules = options.rules ?? DEFAULT_RULES_CONFIG;
  const interrupted = await closeInterruptedRuns();
  if (interrupted) logger.warn('closed runs left unfinished by a crash', { interrupted });
  const watermark = await readWatermark(WATERMARK);
  const runId = await startRun(mode, rules, mode === 'full' ? 1 : watermark + 1);
  logger.info('anomaly scan started', { runId, mode, watermark });
  try {
    const [{ maxId }] = (await query<{ maxId: number | null }>(
      'SELECT COALESCE(MAX(id), 0) AS maxId FROM transactions',
    )) as [{ maxId: number }];
    const types = await loadTransactionTypes();
    const progress =
      mode === 'full'
        ? await fullScan(runId, Number(maxId), rules, types, options)
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

interface Progress {
  scanned: number;
  toId: number;
  chunks: number;
  counts: AlertCounts;
}

/** Scores every flagged transaction on all its findings, then keeps the findings `keep` accepts. */
function scoreChunk(
  findings: readonly Finding[],
  txns: ReadonlyMap<number, Txn>,
  rules: RulesConfig,
  keep: (f: Finding) => boolean,
): ScoredTransaction[] {
  const byTxn = new Map<number, Finding[]>();
  for (const f of findings) {
    const list = byTxn.get(f.transactionId);
    if (list) list.push(f);
    else byTxn.set(f.transactionId, [f]);
  }
  const scored: ScoredTransaction[] = [];
  for (const [id, list] of byTxn) {
    const kept = list.filter(keep);
    const txn = txns.get(id);
    if (kept.length === 0 || !txn) continue;
    scored.push({ txn, findings: kept, risk: assessRisk(list, txn, rules.risk) });
  }
  return scored;
}

function detectChunk(
  loaded: LoadedRows,
  accounts: ReadonlyMap<number, ScanAccount>,
  ctx: RuleContext,
  rules: RulesConfig,
  keep: (f: Finding) => boolean,
): ScoredTransaction[] {
  const findings: Finding[] = [];
  for (const timeline of buildTimelines(loaded.txns, accounts)) {
    for (const f of detectAll(timeline, ctx, rules)) findings.push(f);
  }
  if (findings.length === 0) return [];
  const byId = new Map<number, Txn>();
  const wanted = new Set(findings.map((f) => f.transactionId));
  for (const t of loaded.txns) if (wanted.has(t.id)) byId.set(t.id, t);
  return scoreChunk(findings, byId, rules, keep);
}

async function fullScan(
  runId: number,
  maxId: number,
  rules: RulesConfig,
  types: ReadonlyMap<number, TypeInfo>,
  options: ScanOptions,
): Promise<Progress> {
  let phaseStart = performance.now();
  /** Per-phase timings in the run's log (where a slow full scan spends its time). */
  const phase = (name: string, extra: Record<string, unknown> = {}) => {
    const now = performance.now();
    logger.info('full scan phase', { runId, phase: name, ms: Math.round(now - phaseStart), ...extra });
    phaseStart = now;
  };
  const accounts = await loadAllAccounts();
  phase('accounts', { accounts: accounts.length });
  const maxRows = options.maxRowsInMemory ?? 3_000_000;
  const passes = Math.max(1, Math.ceil(maxId / maxRows));
  const purpose = new RegExp(rules.risk.declaredPurpose, 'iu');
  const keepTitle = (title: string) => purpose.test(title);
  const progress: Progress = { scanned: 0, toId: maxId, chunks: 0, counts: emptyCounts() };
  const perChunk = options.accountsPerChunk ?? 2_000;
  let ctx: RuleContext | undefined;
  let pending: Promise<void> | undefined;
  let chunkIndex = 0;

  const write = (rows: AlertRow[], last: boolean) =>
    withTransaction(async (conn) => {
      const created = await writeAlerts(conn, rows, runId);
      const total = emptyCounts();
      addCounts(total, progress.counts);
      addCounts(total, created);
      if (last) await moveWatermark(conn, WATERMARK, maxId, runId);
      await recordProgress(runId, { scanned: progress.scanned, toId: maxId, counts: total }, conn);
      return created;
    }).then(async (created) => {
      addCounts(progress.counts, created);
      progress.chunks++;
      await options.onChunkCommitted?.({ index: progress.chunks - 1, toId: maxId });
    });

  for (let pass = 0; pass < passes; pass++) {
    const passClients = new Set<number>();
    const passAccounts = accounts.filter((a) => {
      const inPass = passes === 1 || a.clientId % passes === pass;
      if (inPass) passClients.add(a.clientId);
      return inPass;
    });
    const kept = new Set(passAccounts.map((a) => a.id));
    const conn = await (await getPool()).getConnection();
    let read: Awaited<ReturnType<typeof readColumns>>;
    try {
      read = await readColumns(
        conn,
        maxId,
        passes === 1 ? () => true : (id) => kept.has(id),
        keepTitle,
        Math.min(maxId, maxRows) + 1024,
      );
    } finally {
      conn.release();
    }
    phase('read', { pass, rows: read.rowCount });
    if (!ctx) {
      const histogram = read.histogram;
      progress.scanned = read.rowCount;
      await withTransaction(async (tx) => {
        await tx.query('DELETE FROM scan_amount_histogram');
        for (let i = 0; i < histogram.length; i += 5_000) {
          await tx.query(
            'INSERT INTO scan_amount_histogram (currency, direction, month, bucket, n) VALUES ?',
            [histogram.slice(i, i + 5_000).map((h) => [h.currency, h.direction, h.month, h.bucket, h.n])],
          );
        }
        await setWatermark(tx, HISTOGRAM_WATERMARK, maxId, runId);
      });
      ctx = {
        amountThresholds: thresholdLookup(histogram, rules['high-amount'].windowMonths),
        historySince: read.minTime,
      };
      phase('histogram', { rows: histogram.length });
    }
    const { order, clientStart, clientAccounts } = groupByClient(read.columns, passAccounts);
    phase('group', { pass, clients: clientAccounts.length });
    let c = 0;
    while (c < clientAccounts.length) {
      // A write chunk of `perChunk` accounts is judged in slices of JUDGE_ACCOUNTS, each turned into compact alert
      // rows at once: the Txn objects and findings of a slice are short-lived, only the rows wait for the write.
      const rows: AlertRow[] = [];
      let chunkSize = 0;
      while (c < clientAccounts.length && chunkSize < perChunk) {
        const sliceAccounts = new Map<number, ScanAccount>();
        const txns: Txn[] = [];
        while (
          c < clientAccounts.length &&
          sliceAccounts.size < Math.min(JUDGE_ACCOUNTS, perChunk - chunkSize)
        ) {
          for (const a of clientAccounts[c] as ScanAccount[]) sliceAccounts.set(a.id, a);
          for (let k = clientStart[c] as number; k < (clientStart[c + 1] as number); k++) {
            txns.push(read.columns.txn(order[k] as number, types));
          }
          c++;
        }
        chunkSize += sliceAccounts.size;
        const scored = detectChunk({ txns, rowCount: txns.length }, sliceAccounts, ctx, rules, () => true);
        for (const row of alertRows(scored, runId)) rows.push(row);
      }
      const last = pass === passes - 1 && c >= clientAccounts.length;
      // One write in flight while the next chunk is judged: the database and the JS work overlap.
      if (pending) await pending;
      pending = write(rows, last);
      pending.catch(() => undefined);
      chunkIndex++;
    }
  }
  if (pending) await pending;
  phase('judge and write', { chunks: progress.chunks, alerts: progress.counts.created });
  if (chunkIndex === 0 || progress.chunks === 0) {
    await withTransaction((conn) => moveWatermark(conn, WATERMARK, maxId, runId));
  }
  return progress;
}

/** Groups accounts (ordered by client) into chunks of about `size` accounts, never splitting a client. */
export function chunkByClient(accounts: readonly ScanAccount[], size: number): ScanAccount[][] {
  const chunks: ScanAccount[][] = [];
  let current: ScanAccount[] = [];
  for (let i = 0; i < accounts.length; i++) {
    const a = accounts[i] as ScanAccount;
    current.push(a);
    const nextClient = accounts[i + 1]?.clientId;
    if (current.length >= size && nextClient !== a.clientId) {
      chunks.push(current);
      current = [];
    }
  }
  if (current.length) chunks.push(current);
  return chunks;
}

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

  // Bring the amount histogram up to maxId (its own watermark; atomic with its counts).
  await withTransaction(async (conn) => {
    const counted = await readWatermark(HISTOGRAM_WATERMARK, conn, true);
    if (counted < maxId) {
      await addToHistogram(conn, counted, maxId);
      await setWatermark(conn, HISTOGRAM_WATERMARK, maxId, runId);
    }
  });
  const [range] = await query<{ first: string | null; last: string | null }>(
    'SELECT MIN(date) AS first, MAX(date) AS last FROM transactions WHERE id > ? AND id <= ?',
    [watermark, maxId],
  );
  if (!range?.first || !range.last) {
    await withTransaction((conn) => moveWatermark(conn, WATERMARK, maxId, runId));
    return { ...progress, toId: maxId };
  }
  const windowMonths = rules['high-amount'].windowMonths;
  const histogram = await loadHistogram(
    trailingMonths(range.first.slice(0, 7), windowMonths)[0],
    range.last.slice(0, 7),
  );
  const ctx: RuleContext = {
    amountThresholds: thresholdLookup(histogram, windowMonths),
    historySince: await loadHistorySince(),
  };
  const context = contextDays(rules) * DAY;

  let from = watermark;
  while (from < maxId) {
    const [edge] = await query<{ id: number }>(
      'SELECT id FROM transactions WHERE id > ? AND id <= ? ORDER BY id LIMIT 1 OFFSET ?',
      [from, maxId, chunkSize - 1],
    );
    const to = edge ? Number(edge.id) : maxId;
    const fresh = await query<{ account_id: number; first: string; n: number }>(
      'SELECT account_id, MIN(date) AS first, COUNT(*) AS n FROM transactions WHERE id > ? AND id <= ? GROUP BY account_id',
      [from, to],
    );
    const accounts = await loadClientAccounts(fresh.map((r) => Number(r.account_id)));
    const earliest = fresh.reduce(
      (min, r) => Math.min(min, parseDateTime(r.first)),
      Number.POSITIVE_INFINITY,
    );
    // The history is random reads through the (account_id, date) index: three queries at once keep the server busy.
    const ids = accounts.map((a) => a.id);
    const slice = Math.ceil(ids.length / CONTEXT_READERS);
    const parts = await Promise.all(
      Array.from({ length: CONTEXT_READERS }, (_, k) =>
        loadTransactions(
          ids.slice(k * slice, (k + 1) * slice),
          to,
          types,
          formatDateTime(earliest - context),
        ),
      ),
    );
    const loaded: LoadedRows = {
      txns: parts.flatMap((p) => p.txns),
      rowCount: parts.reduce((sum, p) => sum + p.rowCount, 0),
    };
    const after = from;
    const scored = detectChunk(
      loaded,
      new Map(accounts.map((a) => [a.id, a])),
      ctx,
      rules,
      (f) => f.transactionId > after || f.related.some((id) => id > after),
    );
    const scanned = fresh.reduce((sum, r) => sum + Number(r.n), 0);
    const counts = await withTransaction(async (conn) => {
      const current = await readWatermark(WATERMARK, conn, true);
      if (current !== after) {
        throw new ConflictError(`the watermark moved from ${after} to ${current} under this run; stopping`);
      }
      const created = await insertAlerts(conn, scored, runId);
      const total = emptyCounts();
      addCounts(total, progress.counts);
      addCounts(total, created);
      await moveWatermark(conn, WATERMARK, to, runId);
      await recordProgress(runId, { scanned: progress.scanned + scanned, toId: to, counts: total }, conn);
      return created;
    });
    addCounts(progress.counts, counts);
    progress.scanned += scanned;
    progress.toId = to;
    progress.chunks++;
    from = to;
    await options.onChunkCommitted?.({ index: progress.chunks - 1, toId: to });
  }
  return progress;
}
