/**
 * The scan's reads (all SQL of the detector lives here, in state.ts, alerts.ts and runs.ts): reference data, the
 * amount histogram, and transactions by id range, decoded into the rules' `Txn` shape. Rows come as arrays (no
 * object per row) and are read by column name (lib/db/row-columns.ts). The detector never reads the seeder's
 * anomaly_labels table.
 */
import type { PoolConnection, RowDataPacket } from 'mysql2/promise';
import { getPool, type Queryable, query } from '../db/pool.js';
import { columnIndex } from '../db/row-columns.js';
import { TRANSACTION_COLUMNS, TRANSACTION_TYPES } from '../domain/bank.js';
import {
  BUCKETS_PER_DECADE,
  type HistogramRow,
  monthsBetween,
  trailingMonths,
} from '../rules/percentiles.js';
import { ibanCountry, normaliseIban, recipientKey } from '../rules/stats.js';
import type { AccountInfo, Txn, TxStatus } from '../rules/types.js';

export interface TypeInfo {
  type: string;
  transfer: boolean;
}

/** transaction_types by id; `transfer` from the domain list by name (an unknown type counts as a transfer when it has a recipient). */
export async function loadTransactionTypes(db?: Queryable): Promise<Map<number, TypeInfo>> {
  const rows = await query<{ id: number; type: string }>('SELECT id, type FROM transaction_types', [], db);
  const known = new Map(TRANSACTION_TYPES.map((t) => [t.type.toLowerCase(), t]));
  return new Map(
    rows.map((r) => [r.id, { type: r.type, transfer: known.get(r.type.toLowerCase())?.transfer ?? false }]),
  );
}

export interface ScanAccount extends AccountInfo {
  clientId: number;
  clientCountry: string;
}

const ACCOUNT_SELECT = ['a.id', 'a.client_id', 'a.currency', 'a.opening_date', 'c.country'] as const;
const ACCOUNT = columnIndex(ACCOUNT_SELECT);
const ACCOUNT_COLUMNS = `SELECT ${ACCOUNT_SELECT.join(', ')} FROM accounts a JOIN clients c ON c.id = a.client_id`;

/** A row of ACCOUNT_COLUMNS (as an array) → ScanAccount. */
function toAccount(r: readonly unknown[]): ScanAccount {
  return {
    id: Number(r[ACCOUNT.id]),
    clientId: Number(r[ACCOUNT.client_id]),
    currency: String(r[ACCOUNT.currency]),
    openedAt: parseDate(String(r[ACCOUNT.opening_date])),
    clientCountry: String(r[ACCOUNT.country]).toUpperCase(),
  };
}

async function accountRows(sql: string, params: unknown[] = []): Promise<ScanAccount[]> {
  const pool = await getPool();
  const [rows] = await pool.query<RowDataPacket[]>({ sql, rowsAsArray: true }, params);
  return (rows as unknown as unknown[][]).map(toAccount);
}

/** Every account (ordered by client id, then account id). */
export function loadAllAccounts(): Promise<ScanAccount[]> {
  return accountRows(`${ACCOUNT_COLUMNS} ORDER BY a.client_id, a.id`);
}

/** The accounts of clients after < client id ≤ upTo (ordered by client id, then account id): a rescan's partition. */
export function loadClientRangeAccounts(after: number, upTo: number): Promise<ScanAccount[]> {
  return accountRows(
    `${ACCOUNT_COLUMNS} WHERE a.client_id > ? AND a.client_id <= ? ORDER BY a.client_id, a.id`,
    [after, upTo],
  );
}

/** All accounts of `clientIds` (ordered by client id, then account id). */
export function loadAccountsOf(clientIds: readonly number[]): Promise<ScanAccount[]> {
  if (clientIds.length === 0) return Promise.resolve([]);
  return accountRows(`${ACCOUNT_COLUMNS} WHERE a.client_id IN (?) ORDER BY a.client_id, a.id`, [clientIds]);
}

/** The accounts with a transaction fromId < id ≤ toId (an incremental chunk's), with their client and its country. */
export function loadChunkAccounts(fromId: number, toId: number): Promise<ScanAccount[]> {
  if (toId <= fromId) return Promise.resolve([]);
  return accountRows(
    `${ACCOUNT_COLUMNS} WHERE a.id IN (SELECT account_id FROM transactions WHERE id > ? AND id <= ?)`,
    [fromId, toId],
  );
}

/** The transaction columns the scan reads (every column of the table): its SELECT list, and where each column is in a row read as an array. */
export const TXN_COLUMNS = TRANSACTION_COLUMNS.join(', ');
export const TXN = columnIndex(TRANSACTION_COLUMNS);

/** The id of the last transaction (0 when there is none). */
export async function loadLastTransactionId(): Promise<number> {
  const [row] = await query<{ maxId: number | null }>(
    'SELECT COALESCE(MAX(id), 0) AS maxId FROM transactions',
  );
  return Number(row?.maxId ?? 0);
}

/**
 * Where an incremental chunk starting above `fromId` ends: the id `chunkSize` rows on, or `maxId` when fewer rows
 * are left. Ids may have gaps: a span of at most chunkSize ids holds at most chunkSize rows.
 */
export async function loadChunkEnd(fromId: number, maxId: number, chunkSize: number): Promise<number> {
  if (maxId - fromId <= chunkSize) return maxId;
  const [edge] = await query<{ id: number }>(
    'SELECT id FROM transactions WHERE id > ? AND id <= ? ORDER BY id LIMIT 1 OFFSET ?',
    [fromId, maxId, chunkSize - 1],
  );
  return edge ? Number(edge.id) : maxId;
}

/** The booking months ('YYYY-MM') from the first to the last booking of the transactions with fromId < id ≤ toId. */
export async function loadMonthsBetween(fromId: number, toId: number): Promise<string[]> {
  const [range] = await query<{ first: string | null; last: string | null }>(
    'SELECT MIN(date) AS first, MAX(date) AS last FROM transactions WHERE id > ? AND id <= ?',
    [fromId, toId],
  );
  return range?.first && range.last ? monthsBetween(range.first.slice(0, 7), range.last.slice(0, 7)) : [];
}

/** Transactions with fromId < id ≤ toId, decoded (cancelled ones are counted, not kept). */
export async function loadTransactionRange(
  fromId: number,
  toId: number,
  types: ReadonlyMap<number, TypeInfo>,
): Promise<{ txns: Txn[]; rowCount: number }> {
  const pool = await getPool();
  const [rows] = await pool.query<RowDataPacket[]>(
    {
      sql: `SELECT ${TXN_COLUMNS} FROM transactions WHERE id > ? AND id <= ? ORDER BY id`,
      rowsAsArray: true,
    },
    [fromId, toId],
  );
  return { txns: decodeRows(rows as unknown as unknown[][], types), rowCount: rows.length };
}

/**
 * Transactions of `accountIds` with id ≤ `maxId` booked on or after `since` ('YYYY-MM-DD HH:MM:SS'), decoded (a
 * late-booked client's history, replayed by the incremental scan), through the (account_id, date) index.
 */
export async function loadAccountHistory(
  accountIds: readonly number[],
  maxId: number,
  since: string,
  types: ReadonlyMap<number, TypeInfo>,
): Promise<Txn[]> {
  if (accountIds.length === 0) return [];
  const pool = await getPool();
  const [rows] = await pool.query<RowDataPacket[]>(
    {
      sql: `SELECT ${TXN_COLUMNS} FROM transactions WHERE account_id IN (?) AND id <= ? AND date >= ?`,
      rowsAsArray: true,
    },
    [accountIds, maxId, since],
  );
  return decodeRows(rows as unknown as unknown[][], types);
}

/** Array rows of TXN_COLUMNS → Txns (cancelled ones left out). */
function decodeRows(rows: readonly unknown[][], types: ReadonlyMap<number, TypeInfo>): Txn[] {
  const txns: Txn[] = [];
  for (const row of rows) {
    const t = decodeRow(row, types);
    if (t) txns.push(t);
  }
  return txns;
}

/** Sorts transactions by booking time, then id (in place); cheap when they already are. */
export function sortByTime(txns: Txn[]): Txn[] {
  for (let i = 1; i < txns.length; i++) {
    const a = txns[i - 1] as Txn;
    const b = txns[i] as Txn;
    if (a.time > b.time || (a.time === b.time && a.id > b.id)) {
      txns.sort((x, y) => x.time - y.time || x.id - y.id);
      break;
    }
  }
  return txns;
}

/** One array row of TXN_COLUMNS → Txn (undefined for a cancelled transaction). */
export function decodeRow(row: readonly unknown[], types: ReadonlyMap<number, TypeInfo>): Txn | undefined {
  const status = row[TXN.status] as TxStatus;
  if (status === 'cancelled') return undefined;
  const balance = row[TXN.balance_after];
  const recipient = normaliseIban(row[TXN.recipient_account] as string | null);
  return makeTxnFrom(
    Number(row[TXN.id]),
    Number(row[TXN.account_id]),
    types.get(Number(row[TXN.transaction_type_id])),
    parseDateTime(row[TXN.date] as string),
    Number(row[TXN.amount]),
    row[TXN.currency] as string,
    balance === null ? null : Number(balance),
    recipient,
    ibanCountry(recipient),
    recipient === null ? undefined : recipientKey(recipient),
    status,
    row[TXN.title] as string | null,
  );
}

/** A Txn; every Txn has the same shape (one hidden class for the rules' hot loops). */
export function makeTxnFrom(
  id: number,
  accountId: number,
  type: TypeInfo | undefined,
  time: number,
  amount: number,
  currency: string,
  balanceAfter: number | null,
  recipient: string | null,
  recipientCountry: string | null,
  key: number | undefined,
  status: TxStatus,
  title: string | null,
): Txn {
  const direction = amount < 0 ? 'debit' : 'credit';
  return {
    id,
    accountId,
    type: type?.type ?? 'unknown',
    direction,
    transfer:
      direction === 'debit' && (type ? type.transfer : recipientCountry !== null || recipient !== null),
    time,
    amount,
    currency,
    balanceAfter,
    recipient,
    recipientCountry,
    recipientKey: key,
    status,
    title,
  };
}

const HISTOGRAM_SELECT = `SELECT currency, IF(amount < 0, 'debit', 'credit') AS direction,
    DATE_FORMAT(date, '%Y-%m') AS month, FLOOR(LOG10(ABS(amount)) * ${BUCKETS_PER_DECADE}) AS bucket, COUNT(*) AS n
  FROM transactions WHERE id > ? AND id <= ? AND status <> 'cancelled' AND amount <> 0
  GROUP BY currency, direction, month, bucket`;

/** Adds the counts of transactions with fromId < id ≤ toId to scan_amount_histogram. */
export async function addToHistogram(conn: PoolConnection, fromId: number, toId: number): Promise<void> {
  if (toId <= fromId) return;
  await conn.query(
    `INSERT INTO scan_amount_histogram (currency, direction, month, bucket, n)
     SELECT * FROM (${HISTOGRAM_SELECT}) AS h
     ON DUPLICATE KEY UPDATE n = scan_amount_histogram.n + VALUES(n)`,
    [fromId, toId],
  );
}

const WINDOW_SELECT = ['currency', 'direction', 'bucket', 'SUM(n) AS n'] as const;
const WINDOW = columnIndex(WINDOW_SELECT);

/**
 * For each month of `months` ('YYYY-MM'), the histogram of the `windowMonths` months ending with it, summed by the
 * server (a row per currency, direction and bucket, labelled with that month): what the thresholds of a chunk's
 * transactions need, a few thousand rows instead of every month's.
 */
export async function loadWindowHistograms(
  months: readonly string[],
  windowMonths: number,
): Promise<Map<string, HistogramRow[]>> {
  const pool = await getPool();
  const windows = await Promise.all(
    months.map(async (month) => {
      const [rows] = await pool.query<RowDataPacket[]>(
        {
          sql: `SELECT ${WINDOW_SELECT.join(', ')} FROM scan_amount_histogram
                 WHERE month BETWEEN ? AND ? GROUP BY currency, direction, bucket`,
          rowsAsArray: true,
        },
        [trailingMonths(month, windowMonths)[0], month],
      );
      return [
        month,
        (rows as unknown as unknown[][]).map(
          (r): HistogramRow => ({
            currency: r[WINDOW.currency] as string,
            direction: r[WINDOW.direction] as 'credit' | 'debit',
            month,
            bucket: Number(r[WINDOW.bucket]),
            n: Number(r[WINDOW.n]),
          }),
        ),
      ] as const;
    }),
  );
  return new Map(windows);
}

/** When the recorded history starts: the earliest booking time in transactions (ms; 0 when there is none). */
export async function loadHistorySince(): Promise<number> {
  const [row] = await query<{ first: string | null }>('SELECT MIN(date) AS first FROM transactions');
  return row?.first ? parseDateTime(row.first) : 0;
}

function digits(s: string, from: number, length: number): number {
  let value = 0;
  for (let i = from; i < from + length; i++) value = value * 10 + (s.charCodeAt(i) - 48);
  return value;
}

/** 'YYYY-MM-DD HH:MM:SS' (mysql2 dateStrings) → ms, read as UTC. */
export function parseDateTime(s: string): number {
  return Date.UTC(
    digits(s, 0, 4),
    digits(s, 5, 2) - 1,
    digits(s, 8, 2),
    s.length > 11 ? digits(s, 11, 2) : 0,
    s.length > 14 ? digits(s, 14, 2) : 0,
    s.length > 17 ? digits(s, 17, 2) : 0,
  );
}

/** 'YYYY-MM-DD' → ms at UTC midnight. */
export function parseDate(s: string): number {
  return Date.UTC(digits(s, 0, 4), digits(s, 5, 2) - 1, digits(s, 8, 2));
}

/** ms → 'YYYY-MM-DD HH:MM:SS' (UTC), for SQL parameters. */
export function formatDateTime(time: number): string {
  return new Date(time).toISOString().slice(0, 19).replace('T', ' ');
}
