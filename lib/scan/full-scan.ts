/**
 * The full scan. The network rules judge the bank's transfers first (lib/scan/network-stage.ts; their findings are
 * written after the clients' alerts). One streamed read of the table in id order fills the column store
 * (lib/scan/columns.ts) and the amount histogram; then every client is judged on its own, from an empty memory, in booking order — all its
 * findings settle at once, so its alerts carry their final risk — and its detection state is saved. Alert rows and
 * states are written in batches by one DB transaction at a time while the next clients are judged
 * (lib/scan/write-queue.ts). Once every alert is written they join their cases, ten thousand at a time
 * (lib/scan/cases.ts: the run is marked pending before its first alert, so a run that stops before then has its
 * alerts attached by the next scan). States carry the id they were computed up to (`as_of_transaction_id`); the last
 * transaction moves the watermarks, replaces the histogram and drops the states of clients no longer there. Should
 * the run stop before that, the watermarks stay where they were and the incremental scan replays the clients whose
 * state is newer than the watermark. Above `maxRowsInMemory` rows the scan makes several passes, each keeping a
 * slice of the clients. Given a deadline, it starts no pass that would not end before it (a pass takes about as long
 * as the one before): stopped there, it is partial in just that way — the judged clients' alerts and states are in,
 * the network findings and the watermarks wait for a whole rescan.
 */
import type { PoolConnection } from 'mysql2/promise';
import { streamRows, withTransaction } from '../db/pool.js';
import { Deadline } from '../jobs/deadline.js';
import type { RulesConfig } from '../rules/config.js';
import { ClientDetector } from '../rules/engine.js';
import { AmountHistogram, thresholdLookup } from '../rules/percentiles.js';
import type { RuleContext, Txn } from '../rules/types.js';
import { ActiveSuppressions } from '../suppressions/active.js';
import { addCounts, addSettledAlerts, ExistingAlerts, emptyCounts } from './alerts.js';
import { addCaseCounts, attachPendingAlerts, emptyCaseCounts, markCasesPending } from './cases.js';
import { TxnColumns } from './columns.js';
import { detectNetworkFull, writeNetworkFull } from './network-stage.js';
import {
  HISTOGRAM_WATERMARK,
  type Progress,
  recordProgress,
  STATE_WATERMARK,
  setWatermark,
  WATERMARK,
} from './runs.js';
import type { ScanOptions } from './scan.js';
import {
  loadAllAccounts,
  loadHistorySince,
  parseDateTime,
  type ScanAccount,
  TXN,
  TXN_COLUMNS,
  type TypeInfo,
} from './source.js';
import { dropStatesNotAsOf } from './state.js';
import { type Lap, stopwatch } from './stopwatch.js';
import { FullScanWriter, liveSinks } from './write-queue.js';

/** Alert rows (or client states) gathered before a write is queued (one write runs while the next clients are judged). */
const WRITE_ROWS = 2_000;
const WRITE_STATES = 2_000;

/** What judging a client needs, the same for every client of the run. */
export interface FullScanJudging {
  runId: number;
  maxId: number;
  rules: RulesConfig;
  types: ReadonlyMap<number, TypeInfo>;
  ctx: RuleContext;
  /** Alerts that exist already (an earlier scan's, or one an analyst worked on): never written again. */
  known?: ExistingAlerts;
  /** Active suppressions: the findings they cover are kept as suppressed. */
  suppressions: ActiveSuppressions;
}

export async function fullScan(
  runId: number,
  maxId: number,
  rules: RulesConfig,
  types: ReadonlyMap<number, TypeInfo>,
  options: ScanOptions,
  suppressions = new ActiveSuppressions(),
): Promise<Progress> {
  const phase = stopwatch(runId, 'full scan phase', 'phase', 'info');
  const histogram = new AmountHistogram();
  const progress: Progress = {
    scanned: 0,
    toId: maxId,
    chunks: 0,
    counts: emptyCounts(),
    cases: emptyCaseCounts(),
    complete: false,
  };
  const deadline = options.deadline ?? Deadline.none();
  const attachCases = options.attachCases ?? true;
  if (attachCases) await markCasesPending(runId);
  // The network rules first: their window is gone before the clients' rows are read, and where the scan's memory
  // peaks (at the end of judging) it has none of the window's garbage on top of the column store.
  const findings = await deadline.step(() => detectNetworkFull(maxId, rules));
  phase('network', { transactions: findings.length });
  const judged = await judgeEveryClient(
    runId,
    maxId,
    rules,
    types,
    options,
    suppressions,
    histogram,
    progress,
    phase,
    deadline,
  );
  // Stopped at the deadline between passes: the watermarks stay; the network findings wait for a whole rescan.
  if (!judged) return progress;
  const network = await writeNetworkFull(findings, rules, runId, suppressions, attachCases);
  addCounts(progress.counts, network.counts);
  addCaseCounts(progress.cases, network.cases);
  phase('network alerts', { alerts: network.counts.created });
  if (attachCases) {
    addCaseCounts(progress.cases, await attachPendingAlerts());
    phase('cases', { ...progress.cases });
  }
  const histogramRows = await commitFullScan(runId, maxId, histogram, progress);
  progress.chunks++;
  await options.onChunkCommitted?.({ index: progress.chunks - 1, toId: maxId });
  phase('final write', { histogram: histogramRows });
  progress.complete = true;
  return progress;
}

/**
 * Judges every client, in as many passes as the rows in memory allow, counting the histogram on the first, and
 * writes their alerts and states; resolves false when it stopped before a pass that would not end before the
 * deadline (each pass's alerts and states are committed by then). What it holds (the accounts, the column store) is
 * unreachable once it returns.
 */
async function judgeEveryClient(
  runId: number,
  maxId: number,
  rules: RulesConfig,
  types: ReadonlyMap<number, TypeInfo>,
  options: ScanOptions,
  suppressions: ActiveSuppressions,
  histogram: AmountHistogram,
  progress: Progress,
  phase: Lap,
  deadline: Deadline,
): Promise<boolean> {
  const [accounts, historySince, known] = await Promise.all([
    loadAllAccounts(),
    loadHistorySince(),
    ExistingAlerts.load(maxId),
  ]);
  phase('accounts', { accounts: accounts.length });
  const maxRows = options.maxRowsInMemory ?? 3_000_000;
  const passes = Math.max(1, Math.ceil(maxId / maxRows));
  const keepTitle = titleFilter(rules);
  const ctx = ruleContext(histogram, rules, historySince);
  const judging: FullScanJudging = { runId, maxId, rules, types, ctx, known, suppressions };
  const writer = new FullScanWriter(liveSinks(runId, maxId, progress, options.onChunkCommitted));
  try {
    for (let pass = 0; pass < passes; pass++) {
      if (!deadline.hasTimeForStep()) {
        phase('stopped at the deadline', { pass, passes });
        return false;
      }
      const passAccounts = accounts.filter((a) => passes === 1 || a.clientId % passes === pass);
      const rows = await deadline.step(() =>
        scanPass(
          judging,
          passAccounts,
          Math.min(maxId, maxRows) + 1024,
          pass === 0 ? histogram : undefined,
          keepTitle,
          writer,
          (name, extra) => phase(name, { pass, ...extra }),
        ),
      );
      if (pass === 0) progress.scanned = rows;
      phase('judge and write', { pass, alerts: progress.counts.created });
    }
    return true;
  } catch (error) {
    // No write may outlive the run (and the lock): a late state write could replace a newer run's state.
    await writer.stopped();
    throw error;
  }
}

/** Whether a debit's title matters to the risk scoring (it declares a purpose or a payroll): kept in the column store. */
export function titleFilter(rules: RulesConfig): (title: string) => boolean {
  const purpose = new RegExp(rules.risk.declaredPurpose, 'iu');
  const payroll = new RegExp(rules.risk.declaredPayroll, 'iu');
  return (title) => purpose.test(title) || payroll.test(title);
}

/** The rules' context of a full judging: the amount thresholds from the whole table's histogram, and where history starts. */
export function ruleContext(
  histogram: AmountHistogram,
  rules: RulesConfig,
  historySince: number,
): RuleContext {
  return { amountThresholds: thresholdLookup(histogram, rules['high-amount'].windowMonths), historySince };
}

/**
 * What takes each row of `SELECT ${TXN_COLUMNS}` (as an array) into `columns` — those of `accounts` that are not
 * cancelled — counting every amount into `histogram` when there is one (the first pass); `rows()` says how many
 * rows it was handed.
 */
export function rowCollector(
  columns: TxnColumns,
  accounts: readonly ScanAccount[],
  histogram: AmountHistogram | undefined,
  keepTitle: (title: string) => boolean,
): { onRow: (row: unknown[]) => void; rows: () => number } {
  const countryOfAccount = new Map(accounts.map((a) => [a.id, a.clientCountry]));
  let rows = 0;
  const onRow = (row: unknown[]) => {
    rows++;
    if (row[TXN.status] === 'cancelled') return;
    const time = parseDateTime(row[TXN.date] as string);
    if (histogram) {
      const amount = Number(row[TXN.amount]);
      if (amount !== 0) histogram.addAmount(row[TXN.currency] as string, amount, time);
    }
    // Rows of accounts created after the accounts were read are left to the next scan.
    const country = countryOfAccount.get(Number(row[TXN.account_id]));
    if (country !== undefined) columns.push(row, time, country, keepTitle);
  };
  return { onRow, rows: () => rows };
}

/** Reads the rows up to `maxId` into `columns` (see rowCollector); resolves with the rows read. */
async function readPass(
  columns: TxnColumns,
  accounts: readonly ScanAccount[],
  maxId: number,
  histogram: AmountHistogram | undefined,
  keepTitle: (title: string) => boolean,
): Promise<number> {
  const collector = rowCollector(columns, accounts, histogram, keepTitle);
  await streamRows(
    `SELECT ${TXN_COLUMNS} FROM transactions WHERE id <= ? ORDER BY id`,
    [maxId],
    collector.onRow,
  );
  return collector.rows();
}

/**
 * One pass: reads the rows of `accounts` into a column store (counting the histogram when given), groups them by
 * client, judges them and waits for their writes; resolves with the rows read. In a function of its own: the
 * pass's column store and grouping (60 MB at 1M rows, most of it typed arrays outside the heap) are unreachable
 * once it returns — kept in the scan's own async function they stayed alive in its suspended frame through the
 * network stage, where the scan's memory peaks.
 */
async function scanPass(
  judging: FullScanJudging,
  accounts: readonly ScanAccount[],
  capacity: number,
  histogram: AmountHistogram | undefined,
  keepTitle: (title: string) => boolean,
  writer: FullScanWriter,
  phase: Lap,
): Promise<number> {
  const columns = new TxnColumns(capacity);
  const rows = await readPass(columns, accounts, judging.maxId, histogram, keepTitle);
  phase('read', { rows, kept: columns.length });
  const clients = columns.groupByClient(accounts);
  phase('group', { clients: clients.clientAccounts.length });
  await judgeClients(judging, columns, clients, writer);
  await writer.written();
  return rows;
}

/**
 * Judges every client of `clients` from an empty memory, its rows in booking order, and queues its alerts and its
 * state (encoded at once: one flat string per client instead of an object graph waiting for the write).
 */
export async function judgeClients(
  { runId, maxId, rules, types, ctx, known, suppressions }: FullScanJudging,
  columns: TxnColumns,
  { order, clientStart, clientAccounts }: ReturnType<TxnColumns['groupByClient']>,
  writer: FullScanWriter,
): Promise<void> {
  let alertBatch = writer.alertBatch();
  let stateBatch = writer.stateBatch();
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
    // Skipped: alerts the transaction has for that rule already (never overwritten).
    const suppressed = suppressions.forClient(first.clientId);
    for (const s of d.judge(txns)) addSettledAlerts(alertBatch, s, rules, runId, known, suppressed);
    stateBatch.add(first.clientId, d.saveBase64(), maxId);
    if (alertBatch.size >= WRITE_ROWS || stateBatch.size >= WRITE_STATES) {
      await writer.enqueue(alertBatch, stateBatch);
      alertBatch = writer.alertBatch();
      stateBatch = writer.stateBatch();
    }
  }
  if (alertBatch.size || stateBatch.size) await writer.enqueue(alertBatch, stateBatch);
}

/**
 * The full scan's last transaction: replaces the amount histogram, drops the states of clients no longer there,
 * moves the three watermarks to `maxId`, records the run's progress and does `alsoInIt` (a rescan marks itself
 * done). Resolves with the histogram's rows.
 */
export async function commitFullScan(
  runId: number,
  maxId: number,
  histogram: AmountHistogram,
  progress: Pick<Progress, 'scanned' | 'counts'>,
  alsoInIt?: (tx: PoolConnection) => Promise<void>,
): Promise<number> {
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
    await alsoInIt?.(tx);
  });
  return histogramRows.length;
}
