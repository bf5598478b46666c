/**
 * Rule `unusual-location` (reason "unusual location"): a debit to a recipient whose country — the first two letters
 * of the IBAN — is not the client's own and that the client has not sent money to within `lookbackDays`, across all
 * their accounts. A client with little history (everything is "new") scores lower.
 */
import type { UnusualLocationConfig } from './config.js';
import { DAY } from './stats.js';
import type { ClientTimeline, Finding } from './types.js';

export function detectUnusualLocation(timeline: ClientTimeline, cfg: UnusualLocationConfig): Finding[] {
  const findings: Finding[] = [];
  const lastUsed = new Map<string, number>();
  const lookback = cfg.lookbackDays * DAY;
  const own = timeline.country.toUpperCase();
  let historyStart = 0;
  const txns = timeline.txns;
  for (let i = 0; i < txns.length; i++) {
    const t = txns[i] as (typeof txns)[number];
    while (historyStart < i && t.time - (txns[historyStart] as { time: number }).time > lookback)
      historyStart++;
    const country = t.recipientCountry;
    if (t.direction !== 'debit' || !country) continue;
    const previous = lastUsed.get(country);
    const usedBefore = previous !== undefined && t.time - previous <= lookback;
    if (country !== own && !usedBefore) {
      const history = i - historyStart;
      const established = history >= cfg.minHistory;
      findings.push({
        transactionId: t.id,
        ruleId: 'unusual-location',
        score: established ? cfg.score : cfg.newClientScore,
        related: [],
        evidence: {
          recipientCountry: country,
          clientCountry: own,
          ...(t.recipient ? { recipient: t.recipient } : {}),
          amount: t.amount,
          currency: t.currency,
          countriesUsed: [...lastUsed.entries()]
            .filter(([, time]) => t.time - time <= lookback)
            .map(([c]) => c)
            .sort(),
          clientHistory: history,
          thresholds: { lookbackDays: cfg.lookbackDays, minHistory: cfg.minHistory },
          ...(established ? {} : { note: 'little history: every country is new' }),
        },
      });
    }
    lastUsed.set(country, t.time);
  }
  return findings;
}
