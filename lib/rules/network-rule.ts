/**
 * The contract of the network rules: rules that judge money moving between clients — many clients paying one
 * account, money going round a chain of the bank's own accounts — which no single client's history shows. Where a
 * client rule (rule.ts) keeps a memory per client, a network rule reads one shared picture of the bank's recent
 * transfers, the `TransferWindow`, kept by the network detector (network.ts) in booking order across all clients.
 *
 * A network rule is one module exporting one `NetworkRule`, listed in registry.ts like the client rules (its id,
 * reason and settings live where theirs do). For each transfer, in booking order, the detector first adds it to the
 * window and then asks every enabled network rule to `judge` it: a rule looks at the window as it stands — nothing
 * booked later is in it yet — and emits findings when this transfer completes a pattern (on every transfer of the
 * pattern, so each carries the evidence). The same transfers in the same order give the same findings, which is
 * what makes the full and the incremental scan agree (lib/scan/network-stage.ts).
 *
 * Nothing of the window is saved between scans: the incremental scan reads the transfers within the rules' reach
 * back from the table, so no IBAN, hashed or not, is ever written to a scan state.
 */
import type { Finding } from './types.js';

/** Every network rule's settings have an on/off switch; the rest is the rule's own. */
export interface NetworkRuleSettings {
  enabled: boolean;
}

/**
 * One outgoing transfer as the network rules see it: from an account of the bank (debit side) to an IBAN, which may
 * be another account of the bank (then `toAccount` and `toClient` are set).
 */
export interface Transfer {
  /** The debit's transaction id. */
  id: number;
  /** Booking time (ms, the DATETIME read as UTC). */
  time: number;
  account: number;
  client: number;
  /** The sending account's IBAN (normalised). */
  from: string;
  /** The recipient IBAN (normalised: upper case, no spaces). */
  to: string;
  /** The recipient's account and client when the IBAN is the bank's own, else 0. */
  toAccount: number;
  toClient: number;
  /** What left the account, positive, in `currency`. */
  amount: number;
  currency: string;
}

export interface NetworkRule<S extends NetworkRuleSettings = NetworkRuleSettings> {
  readonly id: string;
  readonly reason: string;
  readonly scope: 'network';
  readonly defaults: S;
  /** Rules measuring the same thing share a signal (see lib/rules/risk.ts). */
  readonly signal?: string;
  /** How far back (days) before a transfer the rule looks: how much of the past the window must hold. */
  reachDays(settings: S): number;
  /**
   * How far back (days) before a transfer `t` judging it may read *anything* in the window. Beyond that, up to
   * `reachDays`, the rule reads only the chains of `t`'s own keys: the transfers to its recipient
   * (`window.paidTo(t.to, …)`), those to its sending account (`paidTo(t.from, …)`) and those from it
   * (`paidFrom(t.account, …)`). The incremental scan reads back every transfer within the longest of these of the
   * enabled rules, and only the transfers of those keys beyond it (lib/scan/network-stage.ts) — the known payers
   * of 35 days that most rules look at are a few rows per recipient, the whole bank's are 40 000. Declare it only
   * as short as true, or findings go missing there. Default: `reachDays` (anything, as far back as it reaches).
   */
  anyReachDays?(settings: S): number;
  /** Judges `t`, the transfer just added to `window` (its latest), and emits the findings it completes. */
  judge(t: Transfer, window: TransferWindow, settings: S, out: Finding[]): void;
}

/** Declares a network rule, keeping its literal id and settings' type (the registry derives RuleId from it). */
export function defineNetworkRule<const Id extends string, S extends NetworkRuleSettings>(
  rule: NetworkRule<S> & { id: Id },
): NetworkRule<S> & { id: Id } {
  return rule;
}

const NONE = -1;

/**
 * Per key (a recipient IBAN, a sending account, a client): the sequence numbers of its oldest and its latest kept
 * transfer. A key holds a chain number while it has transfers in the window (numbers are reused), and the two
 * sequence numbers sit in typed arrays at it: the map from keys sees one insert when a key's chain starts and one
 * delete when it ends, never an update. (Two maps, head and tail, updated at every transfer, rehashed their tables
 * of tens of thousands of churning keys over and over: most of what the network stage left for the old generation's
 * collector.)
 */
class Chains<K> {
  private readonly numberOf = new Map<K, number>();
  private head = new Float64Array(1024);
  private tail = new Float64Array(1024);
  /** Chain numbers free for reuse, and the next never used. */
  private readonly free: number[] = [];
  private fresh = 0;

  /** The sequence number of `key`'s oldest kept transfer (undefined when it has none). */
  first(key: K): number | undefined {
    const c = this.numberOf.get(key);
    return c === undefined ? undefined : this.head[c];
  }

  /** Adds transfer `seq` (the latest) to `key`'s chain; `next` holds, by slot, the next of each transfer's chain. */
  append(key: K, seq: number, next: Float64Array, mask: number): void {
    next[seq & mask] = NONE;
    let c = this.numberOf.get(key);
    if (c === undefined) {
      c = this.free.pop() ?? this.number();
      this.numberOf.set(key, c);
      this.head[c] = seq;
    } else next[(this.tail[c] as number) & mask] = seq;
    this.tail[c] = seq;
  }

  /** `seq`, the oldest transfer of `key`'s chain, leaves it (and the chain ends when it was the last). */
  dropOldest(key: K, seq: number, next: Float64Array, mask: number): void {
    const c = this.numberOf.get(key) as number;
    if (this.tail[c] === seq) {
      this.numberOf.delete(key);
      this.free.push(c);
    } else this.head[c] = next[seq & mask] as number;
  }

  private number(): number {
    const c = this.fresh++;
    if (c === this.head.length) {
      const grown = (old: Float64Array) => {
        const bigger = new Float64Array(old.length * 2);
        bigger.set(old);
        return bigger;
      };
      this.head = grown(this.head);
      this.tail = grown(this.tail);
    }
    return c;
  }
}

/** The numeric fields of a Transfer, each kept in a column of the window's ring. */
const NUMBERS = ['id', 'time', 'account', 'client', 'toAccount', 'toClient', 'amount'] as const;
type NumberField = (typeof NUMBERS)[number];

/**
 * The bank's recent transfers, in booking order, indexed by recipient IBAN (who paid it), by sending account (where
 * an account's money went) and by sending client (where any of a client's money went). Holds what the enabled rules'
 * reach asks for and forgets the rest as it goes.
 *
 * Laid out for a scan of a year of a bank's transfers (its network stage had the heap peak 120 MB above the rest of
 * the scan, nearly all of it transfers and per-recipient lists that lived a few weeks and died in the old
 * generation): the kept transfers sit in a ring of columns in the order added, numbered by a sequence number, and
 * each recipient's, each account's and each client's transfers are a chain through the ring (per slot, the number of
 * the next one to the same recipient / from the same account / client). The Transfer objects the rules read are made
 * as they read them, and die young: a rule compares transfers by id, never by identity. A transfer older than the
 * reach leaves the front of the ring, where it is also the oldest of its three chains.
 */
export class TransferWindow {
  private mask = 1023;
  private readonly numbers = {} as Record<NumberField, Float64Array>;
  private from: string[] = new Array(1024);
  private to: string[] = new Array(1024);
  private currency: string[] = new Array(1024);
  private nextTo = new Float64Array(1024);
  private nextFrom = new Float64Array(1024);
  private nextClient = new Float64Array(1024);
  /** Sequence numbers: of the oldest transfer kept, and of the next one added. */
  private first = 0;
  private end = 0;
  private readonly toChains = new Chains<string>();
  private readonly fromChains = new Chains<number>();
  private readonly clientChains = new Chains<number>();
  /** The latest booking time added. */
  now = Number.NEGATIVE_INFINITY;

  constructor(private readonly reachMs: number) {
    for (const field of NUMBERS) this.numbers[field] = new Float64Array(1024);
  }

  add(t: Transfer): void {
    if (t.time > this.now) this.now = t.time;
    if (this.end - this.first > this.mask) this.grow();
    const seq = this.end++;
    const slot = seq & this.mask;
    const n = this.numbers;
    n.id[slot] = t.id;
    n.time[slot] = t.time;
    n.account[slot] = t.account;
    n.client[slot] = t.client;
    n.toAccount[slot] = t.toAccount;
    n.toClient[slot] = t.toClient;
    n.amount[slot] = t.amount;
    this.from[slot] = t.from;
    this.to[slot] = t.to;
    this.currency[slot] = t.currency;
    this.toChains.append(t.to, seq, this.nextTo, this.mask);
    this.fromChains.append(t.account, seq, this.nextFrom, this.mask);
    this.clientChains.append(t.client, seq, this.nextClient, this.mask);
    this.forgetOld();
  }

  /** Transfers to `iban` booked at or after `since`, oldest first. */
  paidTo(iban: string, since: number): Iterable<Transfer> {
    return this.chain(this.toChains.first(iban), this.nextTo, since);
  }

  /** Transfers from account `account` booked at or after `since`, oldest first. */
  paidFrom(account: number, since: number): Iterable<Transfer> {
    return this.chain(this.fromChains.first(account), this.nextFrom, since);
  }

  /** Transfers from any account of client `client` booked at or after `since`, oldest first. */
  paidByClient(client: number, since: number): Iterable<Transfer> {
    return this.chain(this.clientChains.first(client), this.nextClient, since);
  }

  private *chain(head: number | undefined, next: Float64Array, since: number): Generator<Transfer> {
    const { time } = this.numbers;
    for (let seq = head ?? NONE; seq !== NONE; seq = next[seq & this.mask] as number) {
      const slot = seq & this.mask;
      if ((time[slot] as number) >= since) yield this.transferAt(slot);
    }
  }

  private transferAt(slot: number): Transfer {
    const n = this.numbers;
    return {
      id: n.id[slot] as number,
      time: n.time[slot] as number,
      account: n.account[slot] as number,
      client: n.client[slot] as number,
      from: this.from[slot] as string,
      to: this.to[slot] as string,
      toAccount: n.toAccount[slot] as number,
      toClient: n.toClient[slot] as number,
      amount: n.amount[slot] as number,
      currency: this.currency[slot] as string,
    };
  }

  /** Forgets the transfers booked before the reach (the rules read by time: what is kept longer changes nothing). */
  private forgetOld(): void {
    const since = this.now - this.reachMs;
    const { time, account, client } = this.numbers;
    while (this.first < this.end) {
      const slot = this.first & this.mask;
      if ((time[slot] as number) >= since) return;
      this.toChains.dropOldest(this.to[slot] as string, this.first, this.nextTo, this.mask);
      this.fromChains.dropOldest(account[slot] as number, this.first, this.nextFrom, this.mask);
      this.clientChains.dropOldest(client[slot] as number, this.first, this.nextClient, this.mask);
      this.first++;
    }
  }

  /** Doubles the ring (a slot is its sequence number masked: each kept transfer moves to its slot in the new one). */
  private grow(): void {
    const size = (this.mask + 1) * 2;
    const moved = <T extends Float64Array | string[]>(old: T, next: T): T => {
      for (let seq = this.first; seq < this.end; seq++)
        next[seq & (size - 1)] = old[seq & this.mask] as never;
      return next;
    };
    for (const field of NUMBERS) this.numbers[field] = moved(this.numbers[field], new Float64Array(size));
    this.from = moved(this.from, new Array(size));
    this.to = moved(this.to, new Array(size));
    this.currency = moved(this.currency, new Array(size));
    this.nextTo = moved(this.nextTo, new Float64Array(size));
    this.nextFrom = moved(this.nextFrom, new Float64Array(size));
    this.nextClient = moved(this.nextClient, new Float64Array(size));
    this.mask = size - 1;
  }
}
