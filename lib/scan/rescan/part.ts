/**
 * One part of a rescan — what each Map item of the state machine, and each local worker, runs:
 * - **histogram slice**: counts the amounts of a transaction id range (a primary-key range read);
 * - **client partition**: judges the clients of a client id range exactly as the full scan does (lib/scan/full-scan.ts:
 *   its column store, judging and writer), reading only their rows — their accounts' transactions through the
 *   (account_id, date, id) index, the primary-key lookups sorted by the server (multi-range read) — and stages their
 *   alerts and states;
 * - **network stage**: the cross-client rules over the transfers (lib/scan/network-stage.ts), findings staged.
 * A part's run replaces what an earlier attempt of it staged; it commits as succeeded only while its owner holds the
 * lease. Each records the rows it read and the rows the server read for them.
 */
import type { PoolConnection } from 'mysql2/promise';
import { getPool, query, streamRows, withTransaction } from '../../db/pool.js';
import { ConflictError } from '../../errors.js';
import { AmountHistogram } from '../../rules/percentiles.js';
import { ActiveSuppressions } from '../../suppressions/active.js';
import { TxnColumns } from '../columns.js';
import { judgeClients, rowCollector, ruleContext, titleFilter } from '../full-scan.js';
import { detectNetworkFull } from '../network-stage.js';
import {
  loadClientRangeAccounts,
  loadTransactionTypes,
  parseDateTime,
  type ScanAccount,
  TXN_COLUMNS,
} from '../source.js';
import { FullScanWriter } from '../write-queue.js';
import type { PartKind, PartRef } from './prepare.js';
import { loadRescan, type Rescan, renewLease, withLease } from './rescans.js';
import { dropStagedClients, stagedHistogram, stageHistogram, stageNetwork, stagingSinks } from './staging.js';

/**
 * What a part did: the rows it read from transactions and those the server read for them (not counted for the
 * network stage, whose reads are lib/scan/network-stage.ts's own).
 */
export interface PartResult extends PartRef, Read {
  durationMs: number;
}

/** Accounts per read of a client partition's transactions (one IN list each). */
const ACCOUNTS_PER_READ = 5_000;

/**
 * Runs part `ref` of its rescan; throws (after recording the part as failed) when it fails or the lease is no
 * longer its owner's.
 *
 * @example await runRescanPart({ rescanId: 7, owner: 'exec-1', kind: 'clients', part: 3 });
 */
export async function runRescanPart(ref: PartRef): Promise<PartResult> {
  const started = performance.now();
  const rescan = await loadRescan(ref.rescanId);
  const range = await startPart(ref);
  try {
    const read = await withLease(ref, rescan.leaseSeconds, () => PART_RUNNERS[ref.kind](rescan, ref, range));
    return { ...ref, ...read, durationMs: Math.round(performance.now() - started) };
  } catch (error) {
    await query(
      `UPDATE scan_rescan_parts SET status = 'failed', finished_at = NOW(3), error = ?
        WHERE rescan_id = ? AND kind = ? AND part = ?`,
      [(error as Error).message.slice(0, 2000), ref.rescanId, ref.kind, ref.part],
    ).catch(() => undefined);
    throw error;
  }
}

interface Read {
  rowsRead: number | null;
  rowsExamined: number | null;
}

type PartRunner = (rescan: Rescan, ref: PartRef, range: { after: number; upTo: number }) => Promise<Read>;

const PART_RUNNERS: Record<PartKind, PartRunner> = {
  histogram: countHistogramSlice,
  clients: judgeClientPartition,
  network: detectNetworkPart,
};

/** Marks the part running (one attempt more) and returns its range. */
async function startPart(ref: PartRef): Promise<{ after: number; upTo: number }> {
  const [row] = await query<{ after_id: number; up_to_id: number }>(
    'SELECT after_id, up_to_id FROM scan_rescan_parts WHERE rescan_id = ? AND kind = ? AND part = ?',
    [ref.rescanId, ref.kind, ref.part],
  );
  if (!row) throw new ConflictError(`rescan #${ref.rescanId} has no ${ref.kind} part ${ref.part}`);
  await query(
    `UPDATE scan_rescan_parts SET status = 'running', attempts = attempts + 1, error = NULL
      WHERE rescan_id = ? AND kind = ? AND part = ?`,
    [ref.rescanId, ref.kind, ref.part],
  );
  return { after: Number(row.after_id), upTo: Number(row.up_to_id) };
}

/**
 * The part's last transaction: renews the lease first — so only its owner commits, and parts ending at once queue
 * on the rescan's row instead of deadlocking on each other's staging rows — then does `stage` and records the part
 * as succeeded with what it read.
 */
async function partSucceeded(
  ref: PartRef,
  read: Read,
  stage: (tx: PoolConnection) => Promise<void> = async () => undefined,
): Promise<void> {
  await withTransaction(async (tx) => {
    await renewLease(ref, tx);
    await stage(tx);
    await tx.query(
      `UPDATE scan_rescan_parts SET status = 'succeeded', finished_at = NOW(3), rows_read = ?, rows_examined = ?
      WHERE rescan_id = ? AND kind = ? AND part = ?`,
      [read.rowsRead, read.rowsExamined, ref.rescanId, ref.kind, ref.part],
    );
  });
}

/** Counts the amounts of transactions after < id ≤ upTo (cancelled and zero ones are not counted, as in the full scan). */
async function countHistogramSlice(
  _: Rescan,
  ref: PartRef,
  range: { after: number; upTo: number },
): Promise<Read> {
  const histogram = new AmountHistogram();
  const read = await readCounted(async (conn) => {
    let rows = 0;
    await streamRows(
      'SELECT amount, currency, date, status FROM transactions WHERE id > ? AND id <= ?',
      [range.after, range.upTo],
      (row) => {
        rows++;
        if (row[3] !== 'cancelled')
          histogram.addAmount(row[1] as string, Number(row[0]), parseDateTime(row[2] as string));
      },
      conn,
    );
    return rows;
  });
  await partSucceeded(ref, read, (tx) => stageHistogram(tx, ref.rescanId, ref.part, histogram.rows()));
  return read;
}

/** Judges the clients of after < client id ≤ upTo from the rescan's histogram and stages their alerts and states. */
async function judgeClientPartition(
  rescan: Rescan,
  ref: PartRef,
  range: { after: number; upTo: number },
): Promise<Read> {
  const [accounts, types, suppressions, histogramRows] = await Promise.all([
    loadClientRangeAccounts(range.after, range.upTo),
    loadTransactionTypes(),
    ActiveSuppressions.load(undefined, rescan.startedAt),
    histogramWhenCounted(rescan.id),
  ]);
  const { rules, maxId, runId } = rescan;
  const ctx = ruleContext(AmountHistogram.of(histogramRows), rules, rescan.historySince);
  const columns = new TxnColumns(1024);
  const collector = rowCollector(columns, accounts, undefined, titleFilter(rules));
  const read = await readCounted(async (conn) => {
    await readClientRows(conn, accounts, maxId, collector.onRow);
    return collector.rows();
  });
  await dropStagedClients(ref.rescanId, ref.part);
  const writer = new FullScanWriter(stagingSinks(ref.rescanId, ref.part));
  try {
    await judgeClients(
      { runId, maxId, rules, types, ctx, suppressions },
      columns,
      columns.groupByClient(accounts),
      writer,
    );
    await writer.written();
  } catch (error) {
    await writer.stopped();
    throw error;
  }
  await partSucceeded(ref, read);
  return read;
}

/** The whole table's histogram, once every slice of it is counted (client partitions judge with it). */
async function histogramWhenCounted(rescanId: number) {
  const [pending] = await query<{ n: number }>(
    `SELECT COUNT(*) AS n FROM scan_rescan_parts WHERE rescan_id = ? AND kind = 'histogram' AND status <> 'succeeded'`,
    [rescanId],
  );
  if (Number(pending?.n) > 0)
    throw new ConflictError(`rescan #${rescanId}: ${pending?.n} histogram slices are not counted yet`);
  return stagedHistogram(rescanId);
}

/**
 * Streams the transactions (id ≤ maxId) of `accounts` to `onRow`, on `conn`: through the (account_id, date, id)
 * index, the server sorting each batch's primary-key lookups (multi-range read: read in key order, they touch each
 * page once instead of once per row).
 */
async function readClientRows(
  conn: PoolConnection,
  accounts: readonly ScanAccount[],
  maxId: number,
  onRow: (row: unknown[]) => void,
): Promise<void> {
  await conn.query("SET SESSION optimizer_switch = 'mrr=on,mrr_cost_based=off,mrr_sort_keys=on'");
  await conn.query('SET SESSION mrr_buffer_size = 8388608');
  for (let i = 0; i < accounts.length; i += ACCOUNTS_PER_READ) {
    const ids = accounts.slice(i, i + ACCOUNTS_PER_READ).map((a) => a.id);
    await streamRows(
      `SELECT ${TXN_COLUMNS} FROM transactions FORCE INDEX (idx_transactions_account_date)
        WHERE account_id IN (?) AND id <= ?`,
      [ids, maxId],
      onRow,
      conn,
    );
  }
}

/** The network rules over every transfer up to the rescan's last id; their findings staged. */
async function detectNetworkPart(rescan: Rescan, ref: PartRef): Promise<Read> {
  const entries = await detectNetworkFull(rescan.maxId, rescan.rules);
  const read = { rowsRead: null, rowsExamined: null };
  await partSucceeded(ref, read, (tx) => stageNetwork(tx, ref.rescanId, entries));
  return read;
}

const HANDLER_READS = "SHOW SESSION STATUS LIKE 'Handler_read%'";

/**
 * Runs `read` on a pool connection of its own and returns the rows it reports with the rows the server read for it
 * (the session's Handler_read_* counters: index entries and table rows, however they were reached). The session's
 * optimizer settings go back to their defaults before the connection does to the pool.
 */
async function readCounted(
  read: (conn: PoolConnection) => Promise<number>,
): Promise<{ rowsRead: number; rowsExamined: number }> {
  const conn = await (await getPool()).getConnection();
  try {
    const before = await handlerReads(conn);
    const rowsRead = await read(conn);
    return { rowsRead, rowsExamined: (await handlerReads(conn)) - before };
  } finally {
    await conn
      .query('SET SESSION optimizer_switch = DEFAULT, mrr_buffer_size = DEFAULT')
      .catch(() => undefined);
    conn.release();
  }
}

async function handlerReads(conn: PoolConnection): Promise<number> {
  const [rows] = await conn.query<import('mysql2').RowDataPacket[]>(HANDLER_READS);
  return rows.reduce((sum, r) => sum + Number(r.Value), 0);
}
