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
  /** Judges `t`, the transfer just added to `window` (its latest), and emits the findings it completes. */
  judge(t: Transfer, window: TransferWindow, settings: S, out: Finding[]): void;
}

/** Declares a network rule, keeping its literal id and settings' type (the registry derives RuleId from it). */
export function defineNetworkRule<const Id extends string, S extends NetworkRuleSettings>(
  rule: NetworkRule<S> & { id: Id },
): NetworkRule<S> & { id: Id } {
  return rule;
}

/** Transfers in booking order, oldest first, with the index of the first one still kept. */
class TransferList {
  items: Transfer[] = [];
  start = 0;

  push(t: Transfer): void {
    this.items.push(t);
  }

  /** Forgets the oldest kept transfer if it was booked before `since`, and returns it. */
  shiftBefore(since: number): Transfer | undefined {
    const oldest = this.items[this.start];
    if (!oldest || oldest.time >= since) return undefined;
    this.start++;
    this.compact();
    return oldest;
  }

  /** Forgets the transfers booked before `since`; true when none is left. */
  dropBefore(since: number): boolean {
    const { items } = this;
    while (this.start < items.length && (items[this.start] as Transfer).time < since) this.start++;
    this.compact();
    return this.start === this.items.length;
  }

  /** The kept transfers booked at or after `since`, oldest first. */
  *since(since: number): Generator<Transfer> {
    const { items } = this;
    // Booking order: the first one at or after `since` is found by halving, not by walking the reach's older ones.
    let lo = this.start;
    let hi = items.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if ((items[mid] as Transfer).time < since) lo = mid + 1;
      else hi = mid;
    }
    for (let i = lo; i < items.length; i++) yield items[i] as Transfer;
  }

  /** Lets go of the forgotten head once it is most of the array. */
  private compact(): void {
    if (this.start > 64 && this.start * 2 > this.items.length) {
      this.items = this.items.slice(this.start);
      this.start = 0;
    }
  }
}

/**
 * The bank's recent transfers, in booking order, indexed by recipient IBAN (who paid it — for an account of ours,
 * what it received from our clients), by sending account (where an account's money went) and by sending client
 * (where a client's money went, from any of its accounts). Holds what the enabled rules' reach asks for and forgets
 * the rest as it is added: each transfer is in the three lists and in one list of them all, in booking order, whose
 * oldest ones say which lists to trim — the work is one step per transfer, however many accounts and IBANs there are.
 */
export class TransferWindow {
  private readonly byRecipient = new Map<string, TransferList>();
  private readonly bySource = new Map<number, TransferList>();
  private readonly byClient = new Map<number, TransferList>();
  private readonly all = new TransferList();
  /** The latest booking time added. */
  now = Number.NEGATIVE_INFINITY;

  constructor(private readonly reachMs: number) {}

  /** Adds `t`, the next transfer in booking order. */
  add(t: Transfer): void {
    this.now = Math.max(this.now, t.time);
    listOf(this.byRecipient, t.to).push(t);
    listOf(this.bySource, t.account).push(t);
    listOf(this.byClient, t.client).push(t);
    this.all.push(t);
    this.forgetOld();
  }

  /** Transfers to `iban` booked at or after `since`, oldest first. */
  paidTo(iban: string, since: number): Iterable<Transfer> {
    return this.byRecipient.get(iban)?.since(since) ?? [];
  }

  /** Transfers from account `account` booked at or after `since`, oldest first. */
  paidFrom(account: number, since: number): Iterable<Transfer> {
    return this.bySource.get(account)?.since(since) ?? [];
  }

  /** Transfers from any account of client `client` booked at or after `since`, oldest first. */
  paidByClient(client: number, since: number): Iterable<Transfer> {
    return this.byClient.get(client)?.since(since) ?? [];
  }

  /** Drops what is older than the reach from the lists of each transfer that falls out of it. */
  private forgetOld(): void {
    const since = this.now - this.reachMs;
    for (let old = this.all.shiftBefore(since); old; old = this.all.shiftBefore(since)) {
      forget(this.byRecipient, old.to, since);
      forget(this.bySource, old.account, since);
      forget(this.byClient, old.client, since);
    }
  }
}

/** Trims the list of `key` to what was booked from `since` on, dropping it when nothing is left. */
function forget<K>(map: Map<K, TransferList>, key: K, since: number): void {
  if (map.get(key)?.dropBefore(since)) map.delete(key);
}

function listOf<K>(map: Map<K, TransferList>, key: K): TransferList {
  let list = map.get(key);
  if (!list) {
    list = new TransferList();
    map.set(key, list);
  }
  return list;
}
