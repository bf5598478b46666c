/**
 * Rule `unusual-location` (reason "unusual location"): a debit to a recipient whose country — the first two letters
 * of the IBAN — is not the client's own and that the client has not sent money to within `lookbackDays`, across all
 * their accounts. A client with little history (everything is "new") scores lower.
 */
import type { UnusualLocationConfig } from './config.js';
import { DAY } from './stats.js';
import type { ClientTimeline, Finding, Txn } from './types.js';

/**
 * How many recent transactions of a client the rule remembers: enough to tell an established client apart
 * (at least `minHistory`), at least 10 for the evidence.
 */
export function locationHistoryCap(cfg: Pick<UnusualLocationConfig, 'minHistory'>): number {
  return Math.max(10, cfg.minHistory);
}

/**
 * What the rule remembers of one client: when each recipient country was last paid, and the times of the client's
 * most recent transactions (up to `cap`, within the lookback).
 */
export class LocationMemory {
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

export function detectUnusualLocation(timeline: ClientTimeline, cfg: UnusualLocationConfig): Finding[] {
  const memory = new LocationMemory(locationHistoryCap(cfg));
  const own = timeline.country.toUpperCase();
  const findings: Finding[] = [];
  for (const t of timeline.txns) {
    const f = memory.push(t, own, cfg);
    if (f) findings.push(f);
  }
  return findings;
}
