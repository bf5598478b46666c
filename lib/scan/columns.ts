/**
 * The full scan's reading strategy. Transactions arrive in booking order (ids follow time), and a per-client read
 * — through the (account_id, date) index — jumps around the whole table: slow whenever the table is larger than the
 * InnoDB buffer pool. So the full scan reads the table once, sequentially in primary-key order (one streamed query,
 * like a plain dump), into compact typed columns (~50 bytes a row: 1M rows ≈ 50 MB, never JS objects), builds the
 * amount histogram on the way, and then walks the clients from those columns, creating `Txn` objects for one chunk
 * of clients at a time. Memory is bounded by the column store, which grows with the table; above `maxRows` the scan
 * makes several passes, each keeping only a slice of the clients (client index modulo the number of passes).
 */
import type { PoolConnection } from 'mysql2/promise';
import { bucketOf, type HistogramRow, monthOf } from '../rules/percentiles.js';
import { ibanCountry, normaliseIban } from '../rules/stats.js';
import type { Txn } from '../rules/types.js';
import { parseDateTime, type ScanAccount, type TypeInfo } from './source.js';

const PENDING = 1;

/** Growable typed columns of the transactions of the clients in one pass. */
export class TxnColumns {
  length = 0;
  id = new Float64Array(0);
  account = new Int32Array(0);
  time = new Float64Array(0);
  amount = new Float64Array(0);
  balance = new Float64Array(0);
  type = new Uint16Array(0);
  currency = new Uint8Array(0);
  flags = new Uint8Array(0);
  /** Recipient country (two letters packed, 0 = none) and a 32-bit hash of the IBAN (the IBAN itself is not kept). */
  country = new Uint16Array(0);
  recipient = new Int32Array(0);
  /** Titles kept only where the risk scoring reads them (see keepTitle). */
  readonly titles = new Map<number, string>();
  readonly currencies: string[] = [];
  private readonly currencyIndex = new Map<string, number>();

  constructor(capacity: number) {
    this.grow(Math.max(1024, capacity));
  }

  private grow(capacity: number) {
    const copy = <T extends Float64Array | Int32Array | Uint16Array | Uint8Array>(
      old: T,
      make: (n: number) => T,
    ) => {
      const next = make(capacity);
      next.set(old.subarray(0, this.length) as never);
      return next;
    };
    this.id = copy(this.id, (n) => new Float64Array(n));
    this.account = copy(this.account, (n) => new Int32Array(n));
    this.time = copy(this.time, (n) => new Float64Array(n));
    this.amount = copy(this.amount, (n) => new Float64Array(n));
    this.balance = copy(this.balance, (n) => new Float64Array(n));
    this.type = copy(this.type, (n) => new Uint16Array(n));
    this.currency = copy(this.currency, (n) => new Uint8Array(n));
    this.flags = copy(this.flags, (n) => new Uint8Array(n));
    this.country = copy(this.country, (n) => new Uint16Array(n));
    this.recipient = copy(this.recipient, (n) => new Int32Array(n));
  }

  currencyOf(code: string): number {
    let index = this.currencyIndex.get(code);
    if (index === undefined) {
      index = this.currencies.length;
      this.currencies.push(code);
      this.currencyIndex.set(code, index);
    }
    return index;
  }

  push(
    id: number,
    account: number,
    time: number,
    amount: number,
    balance: number,
    type: number,
    currency: number,
    pending: boolean,
    iban: string | null,
  ): number {
    if (this.length === this.id.length) this.grow(this.length * 2);
    const i = this.length++;
    this.id[i] = id;
    this.account[i] = account;
    this.time[i] = time;
    this.amount[i] = amount;
    this.balance[i] = balance;
    this.type[i] = type;
    this.currency[i] = currency;
    this.flags[i] = pending ? PENDING : 0;
    const country = ibanCountry(iban);
    this.country[i] = country ? country.charCodeAt(0) * 256 + country.charCodeAt(1) : 0;
    this.recipient[i] = iban ? hash(iban) : 0;
    return i;
  }

  /** Row `i` as the rules' Txn. */
  txn(i: number, types: ReadonlyMap<number, TypeInfo>): Txn {
    const amount = this.amount[i] as number;
    const direction = amount < 0 ? 'debit' : 'credit';
    const packed = this.country[i] as number;
    const country = packed === 0 ? null : String.fromCharCode(packed >> 8, packed & 255);
    const type = types.get(this.type[i] as number);
    const balance = this.balance[i] as number;
    return {
      id: this.id[i] as number,
      accountId: this.account[i] as number,
      type: type?.type ?? 'unknown',
      direction,
      transfer: direction === 'debit' && (type ? type.transfer : country !== null),
      time: this.time[i] as number,
      amount,
      currency: this.currencies[this.currency[i] as number] as string,
      balanceAfter: Number.isNaN(balance) ? null : balance,
      recipient: null,
      recipientCountry: country,
      ...(country === null ? {} : { recipientKey: this.recipient[i] as number }),
      status: (this.flags[i] as number) & PENDING ? 'pending' : 'completed',
      title: this.titles.get(i) ?? null,
    };
  }
}

export interface ColumnRead {
  columns: TxnColumns;
  /** Rows read, cancelled included. */
  rowCount: number;
  histogram: HistogramRow[];
  /** The earliest booking time read (cancelled rows included), or 0. */
  minTime: number;
}

/**
 * Streams `SELECT … FROM transactions WHERE id <= maxId` in primary-key order into columns, keeping the rows of
 * accounts `keep` accepts, and counting every non-cancelled amount into the histogram (all rows, every pass).
 */
export async function readColumns(
  conn: PoolConnection,
  maxId: number,
  keep: (accountId: number) => boolean,
  keepTitle: (title: string) => boolean,
  capacity: number,
): Promise<ColumnRead> {
  const columns = new TxnColumns(capacity);
  // Numeric keys (currency, direction, month, bucket): no string is built per row.
  const histogram = new Map<number, HistogramRow>();
  let rowCount = 0;
  let minTime = Number.POSITIVE_INFINITY;
  const raw = (conn as unknown as { connection: { query: (o: object, p: unknown[]) => NodeJS.EventEmitter } })
    .connection;
  await new Promise<void>((resolve, reject) => {
    const q = raw.query(
      {
        sql: `SELECT id, account_id, transaction_type_id, date, amount, currency, balance_after, recipient_account, status, title
                FROM transactions WHERE id <= ? ORDER BY id`,
        rowsAsArray: true,
      },
      [maxId],
    );
    q.on('error', reject);
    q.on('end', () => resolve());
    q.on('result', (row: unknown[]) => {
      rowCount++;
      const time = parseDateTime(row[3] as string);
      if (time < minTime) minTime = time;
      const status = row[8] as string;
      if (status === 'cancelled') return;
      const amount = Number(row[4]);
      const currency = row[5] as string;
      if (amount !== 0) {
        const bucket = bucketOf(Math.abs(amount));
        const month = monthNumber(time);
        const key =
          ((columns.currencyOf(currency) * 2 + (amount < 0 ? 1 : 0)) * 100_000 + month) * 4096 +
          bucket +
          2048;
        const h = histogram.get(key);
        if (h) h.n++;
        else
          histogram.set(key, {
            currency,
            direction: amount < 0 ? 'debit' : 'credit',
            month: monthOf(time),
            bucket,
            n: 1,
          });
      }
      const account = Number(row[1]);
      if (!keep(account)) return;
      const balance = row[6] === null ? Number.NaN : Number(row[6]);
      const i = columns.push(
        Number(row[0]),
        account,
        time,
        amount,
        balance,
        Number(row[2]),
        columns.currencyOf(currency),
        status === 'pending',
        amount < 0 ? normaliseIban(row[7] as string | null) : null,
      );
      const title = row[9] as string | null;
      if (amount < 0 && title && keepTitle(title)) columns.titles.set(i, title);
    });
  });
  return {
    columns,
    rowCount,
    histogram: perMonth(histogram.values()),
    minTime: Number.isFinite(minTime) ? minTime : 0,
  };
}

const monthByDay = new Map<number, number>();

/** year × 12 + month of a time in ms (UTC), memoised per day. */
function monthNumber(time: number): number {
  const day = Math.floor(time / 86_400_000);
  let month = monthByDay.get(day);
  if (month === undefined) {
    const d = new Date(day * 86_400_000);
    month = d.getUTCFullYear() * 12 + d.getUTCMonth();
    monthByDay.set(day, month);
  }
  return month;
}

function perMonth(rows: Iterable<HistogramRow>): HistogramRow[] {
  const merged = new Map<string, HistogramRow>();
  for (const r of rows) {
    const key = `${r.currency}|${r.direction}|${r.month}|${r.bucket}`;
    const m = merged.get(key);
    if (m) m.n += r.n;
    else merged.set(key, { ...r });
  }
  return [...merged.values()];
}

/** FNV-1a, 32 bits: tells recipients apart in memory without keeping their IBANs. */
function hash(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h | 0;
}

/**
 * Row indices grouped by client (in `accounts` order), each client's rows in (time, id) order, and where each
 * client's rows start — a counting sort, no per-row objects.
 */
export function groupByClient(
  columns: TxnColumns,
  accounts: readonly ScanAccount[],
): { order: Int32Array; clientStart: Int32Array; clientAccounts: ScanAccount[][] } {
  const clientIndexOfAccount = new Map<number, number>();
  const clientAccounts: ScanAccount[][] = [];
  for (const a of accounts) {
    const last = clientAccounts[clientAccounts.length - 1];
    if (last && last[0]?.clientId === a.clientId) last.push(a);
    else clientAccounts.push([a]);
    clientIndexOfAccount.set(a.id, clientAccounts.length - 1);
  }
  const clients = clientAccounts.length;
  const counts = new Int32Array(clients + 1);
  const clientOfRow = new Int32Array(columns.length);
  for (let i = 0; i < columns.length; i++) {
    const c = clientIndexOfAccount.get(columns.account[i] as number) ?? -1;
    clientOfRow[i] = c;
    if (c >= 0) counts[c + 1] = (counts[c + 1] as number) + 1;
  }
  for (let c = 0; c < clients; c++) counts[c + 1] = (counts[c + 1] as number) + (counts[c] as number);
  const clientStart = counts.slice();
  const next = counts.slice(0, clients);
  const order = new Int32Array(counts[clients] as number);
  for (let i = 0; i < columns.length; i++) {
    const c = clientOfRow[i] as number;
    if (c < 0) continue;
    order[next[c] as number] = i;
    next[c] = (next[c] as number) + 1;
  }
  // Rows arrive in id order, which is usually time order already; sort each client's slice to be sure.
  const { time, id } = columns;
  for (let c = 0; c < clients; c++) {
    const from = clientStart[c] as number;
    const to = clientStart[c + 1] as number;
    let sorted = true;
    for (let k = from + 1; k < to && sorted; k++) {
      const a = order[k - 1] as number;
      const b = order[k] as number;
      if ((time[a] as number) > (time[b] as number)) sorted = false;
    }
    if (!sorted) {
      const slice = Array.from(order.subarray(from, to));
      slice.sort(
        (a, b) => (time[a] as number) - (time[b] as number) || (id[a] as number) - (id[b] as number),
      );
      order.set(slice, from);
    }
  }
  return { order, clientStart, clientAccounts };
}
