/**
 * The scan's reads (all SQL of the detector lives here and in writer.ts): reference data, the amount histogram,
 * and transactions per group of accounts, decoded into the rules' `Txn` shape. The detector never reads the
 * seeder's anomaly_labels table.
 */
import type { PoolConnection, RowDataPacket } from 'mysql2/promise';
import { getPool, type Queryable, query } from '../db/pool.js';
import { TRANSACTION_TYPES } from '../domain/bank.js';
import { BUCKETS_PER_DECADE, type HistogramRow } from '../rules/percentiles.js';
import { ibanCountry, normaliseIban } from '../rules/stats.js';
import type { AccountInfo, ClientTimeline, Txn, TxStatus } from '../rules/types.js';

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

const ACCOUNT_COLUMNS =
  'SELECT a.id, a.client_id, a.currency, a.opening_date, c.country FROM accounts a JOIN clients c ON c.id = a.client_id';

function toAccount(r: RowDataPacket): ScanAccount {
  return {
    id: Number(r.id),
    clientId: Number(r.client_id),
    currency: String(r.currency),
    openedAt: parseDate(String(r.opening_date)),
    clientCountry: String(r.country).toUpperCase(),
  };
}

/** Every account, grouped by client (ordered by client id, then account id). */
export async function loadAllAccounts(): Promise<ScanAccount[]> {
  const rows = await query<RowDataPacket>(`${ACCOUNT_COLUMNS} ORDER BY a.client_id, a.id`);
  return rows.map(toAccount);
}

/** All accounts of the clients owning `accountIds`. */
export async function loadClientAccounts(accountIds: readonly number[]): Promise<ScanAccount[]> {
  if (accountIds.length === 0) return [];
  const rows = await query<RowDataPacket>(
    `${ACCOUNT_COLUMNS} WHERE a.client_id IN (SELECT client_id FROM accounts WHERE id IN (?)) ORDER BY a.client_id, a.id`,
    [accountIds],
  );
  return rows.map(toAccount);
}

const TXN_SQL =
  'SELECT id, account_id, transaction_type_id, date, amount, currency, balance_after, recipient_account, status, title FROM transactions';

export interface LoadedRows {
  txns: Txn[];
  /** Rows read, cancelled included (those are read but never judged). */
  rowCount: number;
}

/**
 * Transactions of `accountIds` with id ≤ `maxId` (and, when given, booked on or after `since`), decoded. Rows come
 * back as arrays (cheaper to decode than objects); cancelled transactions are dropped here.
 */
export async function loadTransactions(
  accountIds: readonly number[],
  maxId: number,
  types: ReadonlyMap<number, TypeInfo>,
  since?: string,
): Promise<LoadedRows> {
  if (accountIds.length === 0) return { txns: [], rowCount: 0 };
  const pool = await getPool();
  const sql = `${TXN_SQL} WHERE account_id IN (?) AND id <= ?${since ? ' AND date >= ?' : ''}`;
  const params: unknown[] = since ? [accountIds, maxId, since] : [accountIds, maxId];
  const [rows] = await pool.query<RowDataPacket[]>({ sql, rowsAsArray: true }, params);
  const txns: Txn[] = [];
  for (const row of rows as unknown as unknown[][]) {
    const t = decodeRow(row, types);
    if (t) txns.push(t);
  }
  return { txns, rowCount: rows.length };
}

/** One array row of TXN_SQL → Txn (undefined for a cancelled transaction). */
export function decodeRow(row: readonly unknown[], types: ReadonlyMap<number, TypeInfo>): Txn | undefined {
  const status = row[8] as TxStatus;
  if (status === 'cancelled') return undefined;
  const amount = Number(row[4]);
  const recipient = normaliseIban(row[7] as string | null);
  const type = types.get(Number(row[2]));
  const direction = amount < 0 ? 'debit' : 'credit';
  const balance = row[6];
  return {
    id: Number(row[0]),
    accountId: Number(row[1]),
    type: type?.type ?? 'unknown',
    direction,
    transfer: direction === 'debit' && (type ? type.transfer : recipient !== null),
    time: parseDateTime(row[3] as string),
    amount,
    currency: row[5] as string,
    balanceAfter: balance === null ? null : Number(balance),
    recipient,
    recipientCountry: ibanCountry(recipient),
    status,
    title: row[9] as string | null,
  };
}

/** Groups transactions into client timelines sorted by (time, id). */
export function buildTimelines(
  txns: readonly Txn[],
  accounts: ReadonlyMap<number, ScanAccount>,
): ClientTimeline[] {
  const byClient = new Map<number, { country: string; accounts: Map<number, AccountInfo>; txns: Txn[] }>();
  for (const a of accounts.values()) {
    let c = byClient.get(a.clientId);
    if (!c) {
      c = { country: a.clientCountry, accounts: new Map(), txns: [] };
      byClient.set(a.clientId, c);
    }
    c.accounts.set(a.id, a);
  }
  for (const t of txns) {
    const a = accounts.get(t.accountId);
    if (a) byClient.get(a.clientId)?.txns.push(t);
  }
  const timelines: ClientTimeline[] = [];
  for (const [clientId, c] of byClient) {
    if (c.txns.length === 0) continue;
    c.txns.sort((x, y) => x.time - y.time || x.id - y.id);
    timelines.push({ clientId, country: c.country, accounts: c.accounts, txns: c.txns });
  }
  return timelines;
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

/** The histogram rows of months `fromMonth`..`toMonth` ('YYYY-MM', inclusive); all months when omitted. */
export async function loadHistogram(fromMonth?: string, toMonth?: string): Promise<HistogramRow[]> {
  const rows = await query<{
    currency: string;
    direction: 'credit' | 'debit';
    month: string;
    bucket: number;
    n: number;
  }>(
    `SELECT currency, direction, month, bucket, n FROM scan_amount_histogram${fromMonth ? ' WHERE month BETWEEN ? AND ?' : ''}`,
    fromMonth ? [fromMonth, toMonth] : [],
  );
  return rows.map((r) => ({ ...r, bucket: Number(r.bucket), n: Number(r.n) }));
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
