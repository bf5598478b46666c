/**
 * Rule `unusual-pattern` (reason "unusual pattern"): many outgoing transfers (and mobile payments) from one account in a short window —
 * at least `minCount` within `windowMinutes` (both configurable). Every transfer of the burst is flagged, each with
 * the ids of the others, so the analyst sees the whole burst from any one of them.
 */
import { defineRule } from './rule.js';
import { restoreWindow, saveWindow } from './state-codec.js';
import { capIds, EpisodeWindow, isoMinute, MINUTE } from './stats.js';
import type { EpisodeTxn, Finding, Txn } from './types.js';

export interface UnusualPatternConfig {
  enabled: boolean;
  /** The debits counted: payments to another party (transfer types and mobile payments), by transaction_types.type. */
  types: readonly string[];
  /** At least `minCount` outgoing transfers from one account within `windowMinutes` (inclusive). */
  minCount: number;
  windowMinutes: number;
  baseScore: number;
  /** Added per transfer beyond `minCount`, up to `maxScore`. */
  scorePerExtra: number;
  maxScore: number;
}

const DEFAULTS: UnusualPatternConfig = {
  enabled: true,
  types: ['outgoing transfer', 'express transfer', 'standing order', 'mobile payment'],
  minCount: 5,
  windowMinutes: 15,
  baseScore: 50,
  scorePerExtra: 4,
  maxScore: 70,
};

/** Whether the rule counts `t`: a debit of a transfer type or a payment type listed in the config. */
function countsAsTransfer(t: Txn, cfg: UnusualPatternConfig): boolean {
  return t.direction === 'debit' && (t.transfer || cfg.types.includes(t.type));
}

/** One account's recent transfers and the burst still growing. */
class BurstWatch {
  readonly episodes: EpisodeWindow<EpisodeTxn>;

  constructor(cfg: UnusualPatternConfig) {
    this.episodes = new EpisodeWindow<EpisodeTxn>(cfg.windowMinutes * MINUTE, cfg.minCount);
  }

  /** `item` is what is kept of a counted transfer while it may belong to a burst. */
  push(item: EpisodeTxn, cfg: UnusualPatternConfig, out: Finding[]): void {
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

/** Judged per account, transfers only, in booking order (a late one is left out: its windows were judged). */
export const unusualPattern = defineRule({
  id: 'unusual-pattern',
  reason: 'unusual pattern',
  scope: 'account',
  // Many payments in a short window is what `velocity` measures too (against the client's own habit): one signal.
  signal: 'velocity',
  judgesLate: false,
  defaults: DEFAULTS,
  reachDays: (cfg) => cfg.windowMinutes / 1440,
  accepts: countsAsTransfer,
  remember: (cfg) => new BurstWatch(cfg),
  push: (watch, _t, j, cfg, out) => watch.push(j.item(), cfg, out),
  advance: (watch, now, cfg, out) => watch.advance(now, cfg, out),
  flush: (watch, cfg, out) => watch.flush(cfg, out),
  oldestOpen: (watch) => watch.episodes.oldest(),
  isEmpty: (watch) => watch.episodes.empty,
  save: (watch, out) => saveWindow(out, watch.episodes),
  restore(input, cfg) {
    const watch = new BurstWatch(cfg);
    restoreWindow(watch.episodes, input);
    return watch;
  },
});

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
