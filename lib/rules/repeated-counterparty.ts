/**
 * Rule `repeated-counterparty` (reason "repeated payments with one counterparty"): a client paying the same
 * recipient — or paid by the same payer — again and again within hours: at least `minCount` transfers with one
 * counterparty IBAN, in one direction and one currency, within `windowHours` (inclusive). Ordinary clients pay a
 * landlord or a shop once a day at most; several transfers to one account within a day are how a sum is layered
 * into an account in small parts, and the account receiving them sees the same pattern from its side.
 *
 * Routine counterparties weigh less: a group with a counterparty the client had transfers with (same direction)
 *  * on at least two days within `knownDays` before it — a regular customer of a shop ordering three times in a day —
 * scores `knownScore` at most; two near-equal transfers with a counterparty the client had any transfer with within
 * `knownDays` are not flagged at all. One earlier payment is not a habit: a mule's first small test payment and the
 * burst weeks later still count in full.
 *
 * The score rises with each extra transfer, with near-equal parts (largest ≤ `nearEqualRatio` × smallest) and when
 * the paid-out parts add up to one large amount (≥ `minMultiple` × the client's usual debit: the median of its last
 * `historySize` debits within `lookbackDays`, any account, in the currency of its first debit; for another currency,
 * or while the client has fewer than `minHistory` such debits, the population's p95 debit of the payment's currency).
 *
 * Counterparties are 32-bit keys of their IBANs, distinct enough within one client's day; the memory is the client's
 * transfers with counterparties within the window and the sample of its recent debits (times and amounts), nothing
 * else.
 */
import { defineRule, type Judging } from './rule.js';
import { restoreTxns, type StateReader, type StateWriter, saveTxns } from './state-codec.js';
import { capIds, DAY, HOUR, isoMinute, MAX_EPISODE, RollingSample } from './stats.js';
import type { EpisodeTxn, Finding, Txn } from './types.js';

export interface RepeatedCounterpartyConfig {
  enabled: boolean;
  /**
   * At least `minCount` transfers with one counterparty, one direction and currency within `windowHours` — or
   * `nearEqualCount` of them when their amounts are near-equal (one sum split into equal parts, or paid twice).
   */
  minCount: number;
  nearEqualCount: number;
  windowHours: number;
  /** Paid-out parts summing to at least `minMultiple` × the client's median debit are one large amount split. */
  minMultiple: number;
  /** The client's debits the median is taken from (the most recent `historySize` within `lookbackDays`). */
  historySize: number;
  lookbackDays: number;
  /** Fewer debits than this: the population's p95 for the currency stands in for the median. */
  minHistory: number;
  /** Parts are near-equal when the largest is at most this × the smallest. */
  nearEqualRatio: number;
  /**
   * Two near-equal transfers with a counterparty the client had a transfer with (same direction) within this many
   * days before are routine (a daily savings transfer, a standing order and a top-up) and are left alone.
   */
  knownDays: number;
  /** Three or more transfers with a counterparty paid on two or more days within `knownDays` score at most this. */
  knownScore: number;
  baseScore: number;
  scorePerExtra: number;
  nearEqualBonus: number;
  largeSumBonus: number;
  maxScore: number;
}

const DEFAULTS: RepeatedCounterpartyConfig = {
  enabled: true,
  minCount: 3,
  nearEqualCount: 2,
  windowHours: 24,
  minMultiple: 5,
  historySize: 20,
  lookbackDays: 90,
  minHistory: 5,
  nearEqualRatio: 1.1,
  knownDays: 35,
  knownScore: 45,
  baseScore: 50,
  scorePerExtra: 5,
  nearEqualBonus: 10,
  largeSumBonus: 10,
  maxScore: 80,
};

/** A transfer naming its counterparty: a debit to a recipient IBAN or a credit from a payer's. */
function hasCounterparty(t: Txn): boolean {
  return t.recipientKey !== undefined || t.recipient !== null;
}

/** Same counterparty, same direction (the sign of the amount), same currency. */
function sameGroup(p: EpisodeTxn, q: EpisodeTxn): boolean {
  return p.recipientKey === q.recipientKey && p.currency === q.currency && p.amount < 0 === q.amount < 0;
}

/** A counterparty's key and the direction in one number (keys are 32-bit). */
function knownKey(p: EpisodeTxn): number {
  return (p.recipientKey as number) * 2 + (p.amount < 0 ? 1 : 0);
}

/** Whether the group's largest amount is at most `nearEqualRatio` × its smallest. */
function nearEqual(group: readonly EpisodeTxn[], cfg: RepeatedCounterpartyConfig): boolean {
  let min = Number.POSITIVE_INFINITY;
  let max = 0;
  for (const p of group) {
    min = Math.min(min, Math.abs(p.amount));
    max = Math.max(max, Math.abs(p.amount));
  }
  return max <= cfg.nearEqualRatio * min;
}

/** The client's transfers with counterparties within the window, oldest first, with what was known when each was made. */
class PaymentWindow {
  /** The client's recent debits in `currency` (the currency of its first debit): its usual debit is their median. */
  currency = '';
  debits: RollingSample;
  items: EpisodeTxn[] = [];
  /** The usual debit each was judged against, and whether it was flagged already (1) or not (0). */
  usual: number[] = [];
  flagged: number[] = [];
  /**
   * Counterparties (key and direction, see knownKey) of the transfers that left the window, with the latest time,
   * and with the latest time on a day before that one's (0 when none): a habit when both are within `knownDays`.
   */
  known = new Map<number, number>();
  knownDayBefore = new Map<number, number>();

  constructor(cfg: RepeatedCounterpartyConfig) {
    this.debits = new RollingSample(cfg.historySize);
  }

  expire(now: number, cfg: RepeatedCounterpartyConfig): void {
    let drop = 0;
    while (drop < this.items.length && now - (this.items[drop] as EpisodeTxn).time > cfg.windowHours * HOUR)
      drop++;
    if (this.items.length - drop >= MAX_EPISODE) drop = this.items.length - MAX_EPISODE + 1;
    // Kept a window longer than knownDays: a group is judged against what came before its first transfer.
    const horizon = cfg.knownDays * DAY + cfg.windowHours * HOUR;
    for (const [key, last] of this.known)
      if (now - last > horizon) {
        this.known.delete(key);
        this.knownDayBefore.delete(key);
      }
    if (drop === 0) return;
    for (let i = 0; i < drop; i++) this.remember(this.items[i] as EpisodeTxn);
    this.items.splice(0, drop);
    this.usual.splice(0, drop);
    this.flagged.splice(0, drop);
  }

  /** A transfer leaving the window joins what is known of its counterparty. */
  private remember(p: EpisodeTxn): void {
    const key = knownKey(p);
    const last = this.known.get(key);
    if (last !== undefined && Math.floor(last / DAY) < Math.floor(p.time / DAY))
      this.knownDayBefore.set(key, last);
    this.known.set(key, p.time);
  }

  push(t: Txn, j: Judging, cfg: RepeatedCounterpartyConfig, out: Finding[]): void {
    const debit = t.direction === 'debit';
    if (debit && this.currency === '') this.currency = t.currency;
    if (debit && t.currency === this.currency) this.debits.expire(t.time - cfg.lookbackDays * DAY);
    if (hasCounterparty(t)) this.judge(t, j, cfg, out);
    if (debit && t.currency === this.currency) this.debits.add(t.time, -t.amount);
  }

  /** Adds a transfer with a counterparty to the window and flags its group when it qualifies. */
  private judge(t: Txn, j: Judging, cfg: RepeatedCounterpartyConfig, out: Finding[]): void {
    this.expire(t.time, cfg);
    // The slim copy carries the counterparty's key (made from the IBAN when the source did not); the window is a day
    // of one client's transfers, so a scan for the same counterparty is short.
    const item = j.item();
    this.items.push(item);
    this.usual.push(t.direction === 'debit' ? this.usualDebit(t, j, cfg) : Number.NaN);
    this.flagged.push(0);
    const group = this.items.filter((p) => sameGroup(p, item));
    if (group.length >= cfg.minCount) this.emit(item, group, this.isHabit(group, cfg), cfg, out);
    else if (group.length >= cfg.nearEqualCount && nearEqual(group, cfg) && !this.isKnown(group, cfg))
      this.emit(item, group, false, cfg, out);
  }

  /** Whether the group's counterparty had a transfer (same direction) within `knownDays` before its first. */
  private isKnown(group: readonly EpisodeTxn[], cfg: RepeatedCounterpartyConfig): boolean {
    const first = group[0] as EpisodeTxn;
    const last = this.known.get(knownKey(first));
    return last !== undefined && last >= first.time - cfg.knownDays * DAY;
  }

  /** Whether the group's counterparty had transfers (same direction) on two days or more within `knownDays` before it. */
  private isHabit(group: readonly EpisodeTxn[], cfg: RepeatedCounterpartyConfig): boolean {
    const first = group[0] as EpisodeTxn;
    const before = this.knownDayBefore.get(knownKey(first)) ?? 0;
    return before > 0 && before >= first.time - cfg.knownDays * DAY;
  }

  /** Flags every transfer of `latest`'s group not flagged yet, with the group as it stands (`known`: see isHabit). */
  private emit(
    latest: EpisodeTxn,
    group: readonly EpisodeTxn[],
    known: boolean,
    cfg: RepeatedCounterpartyConfig,
    out: Finding[],
  ): void {
    const sum = group.reduce((a, p) => a + Math.abs(p.amount), 0);
    const equal = nearEqual(group, cfg);
    const extra = Math.max(0, group.length - cfg.minCount);
    const usual = this.usual[this.items.length - 1] as number;
    const large = !Number.isNaN(usual) && sum >= cfg.minMultiple * usual;
    const score = Math.min(
      known ? cfg.knownScore : cfg.maxScore,
      cfg.baseScore +
        cfg.scorePerExtra * extra +
        (equal && group.length >= cfg.minCount ? cfg.nearEqualBonus : 0) +
        (large ? cfg.largeSumBonus : 0),
    );
    const ids = group.map((p) => p.id);
    const evidence = {
      transfers: group.length,
      direction: latest.amount < 0 ? 'paid to one recipient' : 'received from one payer',
      total: Math.round(sum * 100) / 100,
      currency: latest.currency,
      nearEqualParts: equal,
      ...(Number.isNaN(usual)
        ? {}
        : { usualDebit: Math.round(usual * 100) / 100, multiple: Math.round((sum / usual) * 10) / 10 }),
      oneLargeAmountSplit: large,
      routineCounterparty: known,
      window: {
        hours: cfg.windowHours,
        from: isoMinute((group[0] as EpisodeTxn).time),
        to: isoMinute(latest.time),
      },
      thresholds: {
        minCount: cfg.minCount,
        nearEqualCount: cfg.nearEqualCount,
        nearEqualRatio: cfg.nearEqualRatio,
        windowHours: cfg.windowHours,
        minMultiple: cfg.minMultiple,
      },
      relatedTransactionIds: capIds(ids),
    };
    for (let i = 0; i < this.items.length; i++) {
      const p = this.items[i] as EpisodeTxn;
      if (!sameGroup(p, latest) || this.flagged[i]) continue;
      this.flagged[i] = 1;
      out.push({
        transactionId: p.id,
        time: p.time,
        ruleId: 'repeated-counterparty',
        score,
        related: ids.filter((id) => id !== p.id),
        evidence,
      });
    }
  }

  /** The client's median debit, or the population's p95 while its history is short; NaN when neither is known. */
  private usualDebit(t: Txn, j: Judging, cfg: RepeatedCounterpartyConfig): number {
    if (t.currency === this.currency && this.debits.count >= cfg.minHistory)
      return this.debits.median() ?? Number.NaN;
    return j.ctx.amountThresholds(t.currency, 'debit', t.time)?.p95 ?? Number.NaN;
  }

  save(out: StateWriter): void {
    out.putCode(this.currency);
    this.debits.saveTo(out);
    saveTxns(out, this.items);
    for (let i = 0; i < this.items.length; i++) {
      out.put(this.usual[i] as number);
      out.put(this.flagged[i] as number);
    }
    out.put(this.known.size);
    for (const [key, last] of this.known) {
      out.put(key);
      out.put(last);
      out.put(this.knownDayBefore.get(key) ?? 0);
    }
  }

  static restore(input: StateReader, cfg: RepeatedCounterpartyConfig): PaymentWindow {
    const w = new PaymentWindow(cfg);
    w.currency = input.code();
    w.debits = RollingSample.restoreFrom(cfg.historySize, input);
    w.items = restoreTxns(input);
    for (let i = 0; i < w.items.length; i++) {
      w.usual.push(input.next());
      w.flagged.push(input.next());
    }
    const known = input.next();
    for (let i = 0; i < known; i++) {
      const key = input.next();
      w.known.set(key, input.next());
      const before = input.next();
      if (before > 0) w.knownDayBefore.set(key, before);
    }
    return w;
  }
}

/** Judged per client (across its accounts), transfers in both directions, in booking order (late ones are left out). */
export const repeatedCounterparty = defineRule({
  id: 'repeated-counterparty',
  reason: 'repeated payments with one counterparty',
  scope: 'client',
  judgesLate: false,
  defaults: DEFAULTS,
  reachDays: (cfg) => cfg.lookbackDays,
  accepts: (t) => t.direction === 'debit' || hasCounterparty(t),
  remember: (cfg) => new PaymentWindow(cfg),
  push: (w, t, j, cfg, out) => w.push(t, j, cfg, out),
  advance: (w, now, cfg) => w.expire(now, cfg),
  oldestOpen: (w) => w.items[0]?.time ?? Number.POSITIVE_INFINITY,
  isEmpty: (w) => w.items.length === 0 && w.debits.count === 0 && w.known.size === 0,
  save: (w, out) => w.save(out),
  restore: (input, cfg) => PaymentWindow.restore(input, cfg),
});
