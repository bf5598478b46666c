/**
 * Rule `repeated-counterparty` (reason "repeated payments to one recipient"): a client paying the same recipient
 * again and again within hours — at least `minCount` debits to one recipient in one currency within `windowHours`
 * (inclusive) whose sum is at least `minMultiple` times the client's usual debit (the median of its last `historySize`
 * debits within `lookbackDays`, any account, in the currency of its first debit; for another currency, or while the
 * client has fewer than `minHistory` such debits, the population's p95 debit of the payment's currency). One large amount
 * split into near-equal parts (largest ≤ `nearEqualRatio` × smallest) scores higher. Recipients are 32-bit keys
 * of their IBANs (distinct enough within one client); the memory is the client's payments to recipients within
 * the window and the sample of its recent debits (times and amounts), nothing else.
 */
import { defineRule, type Judging } from './rule.js';
import { restoreTxns, type StateReader, type StateWriter, saveTxns } from './state-codec.js';
import { capIds, DAY, HOUR, isoMinute, MAX_EPISODE, RollingSample } from './stats.js';
import type { EpisodeTxn, Finding, Txn } from './types.js';

export interface RepeatedCounterpartyConfig {
  enabled: boolean;
  /** At least `minCount` debits to one recipient within `windowHours` (inclusive)… */
  minCount: number;
  windowHours: number;
  /** …summing to at least `minMultiple` × the client's median debit. */
  minMultiple: number;
  /** The client's debits the median is taken from (the most recent `historySize` within `lookbackDays`). */
  historySize: number;
  lookbackDays: number;
  /** Fewer debits than this: the population's p95 for the currency stands in for the median. */
  minHistory: number;
  /** Parts are near-equal when the largest is at most this × the smallest. */
  nearEqualRatio: number;
  baseScore: number;
  scorePerExtra: number;
  nearEqualBonus: number;
  maxScore: number;
}

const DEFAULTS: RepeatedCounterpartyConfig = {
  enabled: true,
  minCount: 3,
  windowHours: 6,
  minMultiple: 5,
  historySize: 20,
  lookbackDays: 90,
  minHistory: 5,
  nearEqualRatio: 1.1,
  baseScore: 50,
  scorePerExtra: 5,
  nearEqualBonus: 10,
  maxScore: 75,
};

function paysRecipient(t: Txn): boolean {
  return t.recipientKey !== undefined || t.recipient !== null;
}

/** The client's payments to recipients within the window, oldest first, with what was known when each was made. */
class PaymentWindow {
  /** The client's recent debits in `currency` (the currency of its first debit): its usual debit is their median. */
  currency = '';
  debits: RollingSample;
  items: EpisodeTxn[] = [];
  /** The usual debit each was judged against, and whether it was flagged already (1) or not (0). */
  usual: number[] = [];
  flagged: number[] = [];

  constructor(cfg: RepeatedCounterpartyConfig) {
    this.debits = new RollingSample(cfg.historySize);
  }

  expire(now: number, cfg: RepeatedCounterpartyConfig): void {
    let drop = 0;
    while (drop < this.items.length && now - (this.items[drop] as EpisodeTxn).time > cfg.windowHours * HOUR)
      drop++;
    if (this.items.length - drop >= MAX_EPISODE) drop = this.items.length - MAX_EPISODE + 1;
    if (drop === 0) return;
    this.items.splice(0, drop);
    this.usual.splice(0, drop);
    this.flagged.splice(0, drop);
  }

  push(t: Txn, j: Judging, cfg: RepeatedCounterpartyConfig, out: Finding[]): void {
    if (this.currency === '') this.currency = t.currency;
    if (t.currency === this.currency) this.debits.expire(t.time - cfg.lookbackDays * DAY);
    if (paysRecipient(t)) this.judge(t, j, cfg, out);
    if (t.currency === this.currency) this.debits.add(t.time, -t.amount);
  }

  /** Adds a payment to a recipient to the window and flags its group when it qualifies. */
  private judge(t: Txn, j: Judging, cfg: RepeatedCounterpartyConfig, out: Finding[]): void {
    this.expire(t.time, cfg);
    const item = j.item();
    const usual = this.usualDebit(t, j, cfg);
    this.items.push(item);
    this.usual.push(usual);
    this.flagged.push(0);
    if (Number.isNaN(usual)) return;
    // The slim copy carries the recipient's key (made from the IBAN when the source did not); the window is a few
    // hours of one client's payments, so a scan for the same recipient is short.
    const key = item.recipientKey as number;
    let count = 0;
    let sum = 0;
    for (const p of this.items) {
      if (p.recipientKey !== key || p.currency !== item.currency) continue;
      count++;
      sum -= p.amount;
    }
    if (count >= cfg.minCount && sum >= cfg.minMultiple * usual)
      this.emit(key, item.currency, usual, sum, cfg, out);
  }

  /** Flags every payment of the group not flagged yet, with the group as it stands. */
  private emit(
    key: number,
    currency: string,
    usual: number,
    sum: number,
    cfg: RepeatedCounterpartyConfig,
    out: Finding[],
  ): void {
    const group: EpisodeTxn[] = [];
    let min = Number.POSITIVE_INFINITY;
    let max = 0;
    for (const p of this.items) {
      if (p.recipientKey !== key || p.currency !== currency) continue;
      group.push(p);
      min = Math.min(min, -p.amount);
      max = Math.max(max, -p.amount);
    }
    const nearEqual = max <= cfg.nearEqualRatio * min;
    const score = Math.min(
      cfg.maxScore,
      cfg.baseScore +
        cfg.scorePerExtra * (group.length - cfg.minCount) +
        (nearEqual ? cfg.nearEqualBonus : 0),
    );
    const ids = group.map((p) => p.id);
    const first = group[0] as EpisodeTxn;
    const last = group[group.length - 1] as EpisodeTxn;
    for (let i = 0; i < this.items.length; i++) {
      const p = this.items[i] as EpisodeTxn;
      if (p.recipientKey !== key || p.currency !== currency || this.flagged[i]) continue;
      this.flagged[i] = 1;
      out.push({
        transactionId: p.id,
        time: p.time,
        ruleId: 'repeated-counterparty',
        score,
        related: ids.filter((id) => id !== p.id),
        evidence: {
          payments: group.length,
          sameRecipient: true,
          total: Math.round(sum * 100) / 100,
          currency,
          usualDebit: Math.round(usual * 100) / 100,
          multiple: Math.round((sum / usual) * 10) / 10,
          nearEqualParts: nearEqual,
          window: { hours: cfg.windowHours, from: isoMinute(first.time), to: isoMinute(last.time) },
          thresholds: { minCount: cfg.minCount, windowHours: cfg.windowHours, minMultiple: cfg.minMultiple },
          relatedTransactionIds: capIds(ids),
        },
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
    return w;
  }
}

/** Judged per client (across its accounts), debits only, in booking order (late ones are left out). */
export const repeatedCounterparty = defineRule({
  id: 'repeated-counterparty',
  reason: 'repeated payments to one recipient',
  scope: 'client',
  judgesLate: false,
  defaults: DEFAULTS,
  reachDays: (cfg) => cfg.lookbackDays,
  accepts: (t) => t.direction === 'debit',
  remember: (cfg) => new PaymentWindow(cfg),
  push: (w, t, j, cfg, out) => w.push(t, j, cfg, out),
  advance: (w, now, cfg) => w.expire(now, cfg),
  oldestOpen: (w) => w.items[0]?.time ?? Number.POSITIVE_INFINITY,
  isEmpty: (w) => w.items.length === 0 && w.debits.count === 0,
  save: (w, out) => w.save(out),
  restore: (input, cfg) => PaymentWindow.restore(input, cfg),
});
