/**
 * Rule `structuring` (reason "structuring"): several amounts just under the reporting threshold of their currency
 * (from `lowerShare` × threshold up to, not including, the threshold) by one client within `windowHours` — the
 * classic way to move a large sum without a report. Deposits and debits both count; so do all the client's
 * accounts. Currencies without a threshold are not judged.
 */
import type { StructuringConfig } from './config.js';
import { capIds, cents, HOUR, isoMinute, windowEpisodes } from './stats.js';
import type { ClientTimeline, Finding, Txn } from './types.js';

export function detectStructuring(timeline: ClientTimeline, cfg: StructuringConfig): Finding[] {
  const findings: Finding[] = [];
  const byCurrency = new Map<string, Txn[]>();
  for (const t of timeline.txns) {
    const limit = cfg.thresholds[t.currency];
    const abs = Math.abs(t.amount);
    if (limit === undefined || abs < cfg.lowerShare * limit || abs >= limit) continue;
    const list = byCurrency.get(t.currency);
    if (list) list.push(t);
    else byCurrency.set(t.currency, [t]);
  }
  for (const [currency, candidates] of byCurrency) {
    const limit = cfg.thresholds[currency] as number;
    for (const episode of windowEpisodes(candidates, cfg.windowHours * HOUR, cfg.minCount)) {
      const ids = episode.map((t) => t.id);
      const total = episode.reduce((sum, t) => sum + Math.abs(t.amount), 0);
      const score = Math.min(
        cfg.maxScore,
        cfg.baseScore + cfg.scorePerExtra * (episode.length - cfg.minCount),
      );
      for (const t of episode) {
        findings.push({
          transactionId: t.id,
          ruleId: 'structuring',
          score,
          related: ids.filter((id) => id !== t.id),
          evidence: {
            amount: t.amount,
            currency,
            reportingThreshold: limit,
            band: { from: cents(cfg.lowerShare * limit), below: limit },
            count: episode.length,
            total: cents(total),
            from: isoMinute((episode[0] as Txn).time),
            to: isoMinute((episode[episode.length - 1] as Txn).time),
            thresholds: { minCount: cfg.minCount, windowHours: cfg.windowHours, lowerShare: cfg.lowerShare },
            relatedTransactionIds: capIds(ids),
          },
        });
      }
    }
  }
  return findings;
}
