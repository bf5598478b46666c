/**
 * Rule `unusual-location` (reason "unusual location"): a debit to a recipient whose country — the first two letters
 * of the IBAN — is not the client's own and that the client has not sent money to within `lookbackDays`, across all
 * their accounts. A client with little history (everything is "new") scores lower.
 */
import { defineRule } from './rule.js';
import { DAY } from './stats.js';
import type { Finding, Txn } from './types.js';

export interface UnusualLocationConfig {
  enabled: boolean;
  /** Countries "used before": recipients of the client's debits within this many days. */
  lookbackDays: number;
  /** A client with fewer past transactions than this has no meaningful "before": lower score. */
  minHistory: number;
  score: number;
  newClientScore: number;
}

const DEFAULTS: UnusualLocationConfig = {
  enabled: true,
  lookbackDays: 365,
  minHistory: 5,
  score: 45,
  newClientScore: 25,
};

/**
 * How many recent transactions of a client the rule remembers: enough to tell an established client apart
 * (at least `minHistory`), at least 10 for the evidence.
 */
function locationHistoryCap(cfg: Pick<UnusualLocationConfig, 'minHistory'>): number {
  return Math.max(10, cfg.minHistory);
}

/**
 * What the rule remembers of one client: when each recipient country was last paid, and the times of the client's
 * most recent transactions (up to `cap`, within the lookback).
 */
class LocationMemory {
  /** When each recipient country was last paid. */
  readonly lastUsed = new Map<string, number>();
  /** Times of the client's recent transactions, from index `head`. */
  private recent: number[] = [];
  private head = 0;

  constructor(private readonly cap: number) {}

  /** Judges `t` (a transaction of the client, in time order), then remembers it. */
  push(t: Txn, ownCountry: string, cfg: UnusualLocationConfig): Finding | undefined {
    const lookback = cfg.lookbackDays * DAY;
    const recent = this.recent;
    while (this.head < recent.length && t.time - (recent[this.head] as number) > lookback) this.head++;
    const country = t.recipientCountry;
    let finding: Finding | undefined;
    if (t.direction === 'debit' && country) {
      const previous = this.lastUsed.get(country);
      const usedBefore = previous !== undefined && t.time - previous <= lookback;
      if (country !== ownCountry && !usedBefore) {
        const history = recent.length - this.head;
        const established = history >= cfg.minHistory;
        finding = {
          transactionId: t.id,
          time: t.time,
          ruleId: 'unusual-location',
          score: established ? cfg.score : cfg.newClientScore,
          related: [],
          evidence: {
            recipientCountry: country,
            clientCountry: ownCountry,
            ...(t.recipient ? { recipient: t.recipient } : {}),
            amount: t.amount,
            currency: t.currency,
            countriesUsed: [...this.lastUsed.entries()]
              .filter(([, time]) => t.time - time <= lookback)
              .map(([c]) => c)
              .sort(),
            clientHistory: history,
            ...(history >= this.cap ? { clientHistoryCountedUpTo: this.cap } : {}),
            thresholds: { lookbackDays: cfg.lookbackDays, minHistory: cfg.minHistory },
            ...(established ? {} : { note: 'little history: every country is new' }),
          },
        };
      }
      this.lastUsed.set(country, t.time);
    }
    this.remember(t.time);
    return finding;
  }

  get empty(): boolean {
    return this.lastUsed.size === 0 && this.head >= this.recent.length;
  }

  /** Records a transaction time of the client (at most `cap` are kept). */
  remember(time: number): void {
    const recent = this.recent;
    recent.push(time);
    if (recent.length - this.head > this.cap) this.head++;
    if (this.head >= this.cap) {
      this.recent = recent.slice(this.head);
      this.head = 0;
    }
  }

  /** The recent transaction times kept, oldest first. */
  recentTimes(): number[] {
    return this.recent.slice(this.head);
  }

  /** Forgets countries last paid before `since` (they no longer count as used). */
  prune(since: number): void {
    for (const [country, time] of this.lastUsed) if (time < since) this.lastUsed.delete(country);
  }
}

/** Judged per client (all accounts together), every transaction, late ones too. */
export const unusualLocation = defineRule({
  id: 'unusual-location',
  reason: 'unusual location',
  scope: 'client',
  judgesLate: true,
  defaults: DEFAULTS,
  reachDays: (cfg) => cfg.lookbackDays,
  remember: (cfg) => new LocationMemory(locationHistoryCap(cfg)),
  push(memory, t, j, cfg, out) {
    const f = memory.push(t, j.clientCountry, cfg);
    if (f) out.push(f);
  },
  isEmpty: (memory) => memory.empty,
  /** Countries paid within the lookback with when each was last paid, then the recent transaction times. */
  save(memory, out, cfg) {
    const recent = memory.recentTimes();
    const latest = recent[recent.length - 1];
    if (latest !== undefined) memory.prune(latest - cfg.lookbackDays * DAY);
    out.put(memory.lastUsed.size);
    for (const [country, time] of memory.lastUsed) {
      out.putCode(country);
      out.put(time);
    }
    out.put(recent.length);
    for (const time of recent) out.put(time);
  },
  restore(input, cfg) {
    const memory = new LocationMemory(locationHistoryCap(cfg));
    for (let i = 0, n = input.count(); i < n; i++) {
      const code = input.code();
      memory.lastUsed.set(code, input.next());
    }
    for (let i = 0, n = input.count(); i < n; i++) memory.remember(input.next());
    return memory;
  },
});
