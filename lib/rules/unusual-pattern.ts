/**
 * Rule `unusual-pattern` (reason "unusual pattern"): many outgoing transfers (and mobile payments) from one account in a short window —
 * at least `minCount` within `windowMinutes` (both configurable). Every transfer of the burst is flagged, each with
 * the ids of the others, so the analyst sees the whole burst from any one of them.
 */
import type { UnusualPatternConfig } from './config.js';
import { byAccount, capIds, isoMinute, MINUTE, windowEpisodes } from './stats.js';
import type { ClientTimeline, Finding } from './types.js';

export function detectUnusualPattern(timeline: ClientTimeline, cfg: UnusualPatternConfig): Finding[] {
  const findings: Finding[] = [];
  for (const txns of byAccount(timeline.txns).values()) {
    const counted = new Set(cfg.types);
    const transfers = txns.filter((t) => t.direction === 'debit' && (t.transfer || counted.has(t.type)));
    for (const burst of windowEpisodes(transfers, cfg.windowMinutes * MINUTE, cfg.minCount)) {
      const ids = burst.map((t) => t.id);
      const first = burst[0];
      const last = burst[burst.length - 1];
      if (!first || !last) continue;
      const score = Math.min(cfg.maxScore, cfg.baseScore + cfg.scorePerExtra * (burst.length - cfg.minCount));
      const total = burst.reduce((sum, t) => sum - t.amount, 0);
      for (const t of burst) {
        findings.push({
          transactionId: t.id,
          ruleId: 'unusual-pattern',
          score,
          related: ids.filter((id) => id !== t.id),
          evidence: {
            transfers: burst.length,
            window: { minutes: cfg.windowMinutes, from: isoMinute(first.time), to: isoMinute(last.time) },
            spanMinutes: Math.round(((last.time - first.time) / MINUTE) * 10) / 10,
            total: Math.round(total * 100) / 100,
            currency: t.currency,
            thresholds: { minCount: cfg.minCount, windowMinutes: cfg.windowMinutes, types: cfg.types },
            relatedTransactionIds: capIds(ids),
          },
        });
      }
    }
  }
  return findings;
}
