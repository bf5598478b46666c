/**
 * The full scan's column store. A per-client read — through the (account_id, date) index — jumps around the whole
 * table, slow whenever the table is larger than the InnoDB buffer pool; so the full scan reads the table once,
 * sequentially in primary-key order (one streamed query, like a plain dump), into compact typed columns (about 55
 * bytes a row, never one object per row: nothing for the garbage collector to trace), counting the amount
 * histogram on the way, and then walks the clients from the columns, making the `Txn` objects the rules need one
 * client at a time. Strings are kept only where the rules read them: a title that declares a purpose (the risk
 * scoring's mitigation) and the IBAN of a payment abroad (the unusual-location evidence); every other recipient is
 * a country code and a hash.
 */
import { hasIbanCountry, normaliseIban, recipientKey } from '../rules/stats.js';
import type { Txn } from '../rules/types.js';
import { makeTxnFrom, type ScanAccount, TXN, type TypeInfo } from './source.js';

export class TxnColumns {
  length = 0;
  private id: Float64Array;
  private account: Int32Array;
  private type: Uint16Array;
  private time: Float64Array;
  private amount: Float64Array;
  /** NaN for NULL. */
  private balance: Float64Array;
  private flags: Uint8Array;
  private currency: Uint8Array;
  /** Recipient country as two packed letters (0: none) and the recipient's hash. */
  private country: Uint16Array;
  private key: Int32Array;
  private readonly currencies: string[] = [];
  private readonly currencyIndex = new Map<string, number>();
  private readonly titles = new Map<number, string>();
  private readonly ibans = new Map<number, string>();

  constructor(capacity: number) {
    const n = Math.max(1024, capacity);
    this.id = new Float64Array(n);
    this.account = new Int32Array(n);
    this.type = new Uint16Array(n);
    this.time = new Float64Array(n);
    this.amount = new Float64Array(n);
    this.balance = new Float64Array(n);
    this.flags = new Uint8Array(n);
    this.currency = new Uint8Array(n);
    this.country = new Uint16Array(n);
    this.key = new Int32Array(n);
  }

  private grow(): void {
    const n = this.id.length * 2;
    const copy = <T extends Float64Array | Int32Array | Uint16Array | Uint8Array>(old: T, next: T): T => {
      next.set(old as never);
      return next;
    };
    this.id = copy(this.id, new Float64Array(n));
    this.account = copy(this.account, new Int32Array(n));
    this.type = copy(this.type, new Uint16Array(n));
    this.time = copy(this.time, new Float64Array(n));
    this.amount = copy(this.amount, new Float64Array(n));
    this.balance = copy(this.balance, new Float64Array(n));
    this.flags = copy(this.flags, new Uint8Array(n));
    this.currency = copy(this.currency, new Uint8Array(n));
    this.country = copy(this.country, new Uint16Array(n));
    this.key = copy(this.key, new Int32Array(n));
  }

  currencyOf(code: string): number {
    let index = this.currencyIndex.get(code);
    if (index === undefined) {
      index = this.currencies.length;
      if (index > 255) throw new Error('more than 256 currencies in one scan');
      this.currencies.push(code);
      this.currencyIndex.set(code, index);
    }
    return index;
  }

  /**
   * Adds one row of `SELECT ${TXN_COLUMNS}` (as an array, not cancelled) booked at `time`. `clientCountry` is the
   * country of the account's client (a recipient elsewhere keeps its IBAN); `keepTitle` says whether a debit's title
   * matters to the risk scoring.
   */
  push(
    row: readonly unknown[],
    time: number,
    clientCountry: string,
    keepTitle: (title: string) => boolean,
  ): void {
    if (this.length === this.id.length) this.grow();
    const i = this.length++;
    const amount = Number(row[TXN.amount]);
    const balance = row[TXN.balance_after];
    this.id[i] = Number(row[TXN.id]);
    this.account[i] = Number(row[TXN.account_id]);
    this.type[i] = Number(row[TXN.transaction_type_id]);
    this.time[i] = time;
    this.amount[i] = amount;
    this.balance[i] = balance === null ? Number.NaN : Number(balance);
    this.flags[i] = row[TXN.status] === 'pending' ? 1 : 0;
    this.currency[i] = this.currencyOf(row[TXN.currency] as string);
    const iban = normaliseIban(row[TXN.recipient_account] as string | null);
    if (iban && hasIbanCountry(iban)) {
      this.country[i] = iban.charCodeAt(0) * 256 + iban.charCodeAt(1);
      this.key[i] = recipientKey(iban);
      if (
        iban.charCodeAt(0) !== clientCountry.charCodeAt(0) ||
        iban.charCodeAt(1) !== clientCountry.charCodeAt(1)
      )
        this.ibans.set(i, iban);
    } else {
      this.country[i] = 0;
      this.key[i] = iban ? recipientKey(iban) : 0;
      if (iban) this.ibans.set(i, iban);
    }
    const title = row[TXN.title] as string | null;
    if (amount < 0 && title && keepTitle(title)) this.titles.set(i, title);
  }

  /** Row `i` as the rules' Txn. */
  txn(i: number, types: ReadonlyMap<number, TypeInfo>): Txn {
    const packed = this.country[i] as number;
    const balance = this.balance[i] as number;
    const iban = this.ibans.get(i) ?? null;
    return makeTxnFrom(
      this.id[i] as number,
      this.account[i] as number,
      types.get(this.type[i] as number),
      this.time[i] as number,
      this.amount[i] as number,
      this.currencies[this.currency[i] as number] as string,
      Number.isNaN(balance) ? null : balance,
      iban,
      packed === 0 ? (iban ? iban.slice(0, 2) : null) : String.fromCharCode(packed >> 8, packed & 255),
      packed === 0 && !iban ? undefined : (this.key[i] as number),
      (this.flags[i] as number) === 1 ? 'pending' : 'completed',
      this.titles.get(i) ?? null,
    );
  }

  /**
   * Row indices grouped by client (in `accounts` order: by client), each client's rows in booking order, and where
   * each client's rows start — a counting sort, no per-row objects.
   */
  groupByClient(accounts: readonly ScanAccount[]): {
    order: Int32Array;
    clientStart: Int32Array;
    clientAccounts: ScanAccount[][];
  } {
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
    const clientOfRow = new Int32Array(this.length);
    for (let i = 0; i < this.length; i++) {
      const c = clientIndexOfAccount.get(this.account[i] as number) ?? -1;
      clientOfRow[i] = c;
      if (c >= 0) counts[c + 1] = (counts[c + 1] as number) + 1;
    }
    for (let c = 0; c < clients; c++) counts[c + 1] = (counts[c + 1] as number) + (counts[c] as number);
    const clientStart = counts.slice();
    const next = counts.slice(0, clients);
    const order = new Int32Array(counts[clients] as number);
    for (let i = 0; i < this.length; i++) {
      const c = clientOfRow[i] as number;
      if (c < 0) continue;
      order[next[c] as number] = i;
      next[c] = (next[c] as number) + 1;
    }
    // Rows arrive in id order, which is usually booking order already; sort a client's slice only when it is not
    // in booking order (time, then id).
    const { time, id } = this;
    for (let c = 0; c < clients; c++) {
      const from = clientStart[c] as number;
      const to = clientStart[c + 1] as number;
      let sorted = true;
      for (let k = from + 1; k < to && sorted; k++) {
        const a = order[k - 1] as number;
        const b = order[k] as number;
        const ta = time[a] as number;
        const tb = time[b] as number;
        // Rows read by account (a rescan's partition) may tie on time out of id order.
        if (ta > tb || (ta === tb && (id[a] as number) > (id[b] as number))) sorted = false;
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
}
