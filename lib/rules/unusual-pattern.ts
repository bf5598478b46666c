/**
 * Rule `unusual-pattern` (reason "unusual pattern"): many outgoing transfers (and mobile payments) from one account in a short window —
 * at least `minCount` within `windowMinutes` (both configurable). Every transfer of the burst is flagged, each with
 * the ids of the others, so the analyst sees the whole burst from any one of them.
 */
import type { UnusualPatternConfig } from './config.js';
import { byAccount, capIds, EpisodeWindow, isoMinute, MINUTE } from './stats.js';
import type { ClientTimeline, EpisodeTxn, Finding, Txn } from './types.js';

/** Whether the rule counts `t`: a debit of a transfer type or a payment type listed in the config. */
export function countsAsTransfer(t: Txn, cfg: UnusualPatternConfig): boolean {
  return t.direction === 'debit' && (t.transfer || cfg.types.includes(t.type));
}

/** One account's recent transfers and the burst still growing. */
export class BurstWatch {
  readonly episodes: EpisodeWindow<EpisodeTxn>;

  constructor(cfg: UnusualPatternConfig) {
    this.episodes = new EpisodeWindow<EpisodeTxn>(cfg.windowMinutes * MINUTE, cfg.minCount);
  }

  /** `item` is what is kept of `t` while it may belong to a burst (the engine passes a slim copy). */
  push(t: Txn, cfg: UnusualPatternConfig, out: Finding[], item: EpisodeTxn = t): void {
    if (!countsAsTransfer(t, cfg)) return;
    const closed = this.episodes.push(item);
    if (closed) emitBurst(closed, cfg, out);
  }

  advance(now: number, cfg: UnusualPatternConfig, out: Finding[]): void {
    const closed = this.episodes.advance(now);
    if (closed) emitBurst(closed, cfg, out);
  }

  /** Findings for the burst still growing, as it stands (it stays open). */
  flush(cfg: UnusualPatternConfig, out: Finding[]): void {
    if (this.episodes.open) emitBurst(this.episodes.open, cfg, out);
  }
}

function emitBurst(burst: readonly EpisodeTxn[], cfg: UnusualPatternConfig, out: Finding[]): void {
  const ids = burst.map((t) => t.id);
  const first = burst[0];
  const last = burst[burst.length - 1];
  if (!first || !last) return;
  const score = Math.min(cfg.maxScore, cfg.baseScore + cfg.scorePerExtra * (burst.length - cfg.minCount));
  const total = burst.reduce((sum, t) => sum - t.amount, 0);
  for (const t of burst) {
    out.push({
      transactionId: t.id,
      time: t.time,
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

export function detectUnusualPattern(timeline: ClientTimeline, cfg: UnusualPatternConfig): Finding[] {
  const findings: Finding[] = [];
  for (const txns of byAccount(timeline.txns).values()) {
    const watch = new BurstWatch(cfg);
    for (const t of txns) watch.push(t, cfg, findings);
    watch.flush(cfg, findings);
  }
  return findings;
}
