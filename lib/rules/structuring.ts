/**
 * Rule `structuring` (reason "structuring"): several amounts just under the reporting threshold of their currency
 * (from `lowerShare` × threshold up to, not including, the threshold) by one client within `windowHours` — the
 * classic way to move a large sum without a report. Deposits and debits both count; so do all the client's
 * accounts. Currencies without a threshold are not judged.
 */
import type { StructuringConfig } from './config.js';
import { capIds, cents, EpisodeWindow, HOUR, isoMinute } from './stats.js';
import type { ClientTimeline, EpisodeTxn, Finding, Txn } from './types.js';

/** Whether `t` is an amount just under its currency's reporting threshold. */
export function isJustUnder(t: Txn, cfg: StructuringConfig): boolean {
  const limit = cfg.thresholds[t.currency];
  const abs = Math.abs(t.amount);
  return limit !== undefined && abs >= cfg.lowerShare * limit && abs < limit;
}

/** One client's recent just-under amounts, per currency, and the episodes still growing. */
export class StructuringWatch {
  readonly byCurrency = new Map<string, EpisodeWindow<EpisodeTxn>>();

  window(currency: string, cfg: StructuringConfig): EpisodeWindow<EpisodeTxn> {
    let w = this.byCurrency.get(currency);
    if (!w) {
      w = new EpisodeWindow<EpisodeTxn>(cfg.windowHours * HOUR, cfg.minCount);
      this.byCurrency.set(currency, w);
    }
    return w;
  }

  /** `item` is what is kept of `t` while its window is open (the engine passes a slim copy). */
  push(t: Txn, cfg: StructuringConfig, out: Finding[], item: EpisodeTxn = t): void {
    if (!isJustUnder(t, cfg)) return;
    const closed = this.window(t.currency, cfg).push(item);
    if (closed) emitEpisode(closed, cfg, out);
  }

  advance(now: number, cfg: StructuringConfig, out: Finding[]): void {
    for (const [currency, w] of this.byCurrency) {
      const closed = w.advance(now);
      if (closed) emitEpisode(closed, cfg, out);
      if (w.empty) this.byCurrency.delete(currency);
    }
  }

  flush(cfg: StructuringConfig, out: Finding[]): void {
    for (const w of this.byCurrency.values()) if (w.open) emitEpisode(w.open, cfg, out);
  }

  oldest(): number {
    let oldest = Number.POSITIVE_INFINITY;
    for (const w of this.byCurrency.values()) oldest = Math.min(oldest, w.oldest());
    return oldest;
  }
}

function emitEpisode(episode: readonly EpisodeTxn[], cfg: StructuringConfig, out: Finding[]): void {
  const first = episode[0];
  if (!first) return;
  const currency = first.currency;
  const limit = cfg.thresholds[currency] as number;
  const ids = episode.map((t) => t.id);
  const total = episode.reduce((sum, t) => sum + Math.abs(t.amount), 0);
  const score = Math.min(cfg.maxScore, cfg.baseScore + cfg.scorePerExtra * (episode.length - cfg.minCount));
  for (const t of episode) {
    out.push({
      transactionId: t.id,
      time: t.time,
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
        from: isoMinute(first.time),
        to: isoMinute((episode[episode.length - 1] as EpisodeTxn).time),
        thresholds: { minCount: cfg.minCount, windowHours: cfg.windowHours, lowerShare: cfg.lowerShare },
        relatedTransactionIds: capIds(ids),
      },
    });
  }
}

export function detectStructuring(timeline: ClientTimeline, cfg: StructuringConfig): Finding[] {
  const findings: Finding[] = [];
  const watch = new StructuringWatch();
  for (const t of timeline.txns) watch.push(t, cfg, findings);
  watch.flush(cfg, findings);
  return findings;
}
