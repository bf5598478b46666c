/**
 * Rule `structuring` (reason "structuring"): several amounts just under the reporting threshold of their currency
 * (from `lowerShare` × threshold up to, not including, the threshold) by one client within `windowHours` — the
 * classic way to move a large sum without a report. Deposits and debits both count; so do all the client's
 * accounts. Currencies without a threshold are not judged.
 */
import { REPORTING_THRESHOLDS } from '../domain/bank.js';
import { defineRule } from './rule.js';
import { restoreWindow, saveWindow } from './state-codec.js';
import { capIds, cents, EpisodeWindow, HOUR, isoMinute } from './stats.js';
import type { EpisodeTxn, Finding, Txn } from './types.js';

export interface StructuringConfig {
  enabled: boolean;
  /** Reporting thresholds per currency; "just under" = from `lowerShare` × threshold up to (not incl.) it. */
  thresholds: Readonly<Record<string, number>>;
  lowerShare: number;
  /** At least `minCount` such amounts by one client within `windowHours`. */
  minCount: number;
  windowHours: number;
  baseScore: number;
  scorePerExtra: number;
  maxScore: number;
}

const DEFAULTS: StructuringConfig = {
  enabled: true,
  thresholds: REPORTING_THRESHOLDS,
  lowerShare: 0.8,
  minCount: 3,
  windowHours: 24,
  baseScore: 60,
  scorePerExtra: 8,
  maxScore: 85,
};

/** Whether `t` is an amount just under its currency's reporting threshold. */
function isJustUnder(t: Txn, cfg: StructuringConfig): boolean {
  const limit = cfg.thresholds[t.currency];
  const abs = Math.abs(t.amount);
  return limit !== undefined && abs >= cfg.lowerShare * limit && abs < limit;
}

/** One client's recent just-under amounts, per currency, and the episodes still growing. */
class StructuringWatch {
  readonly byCurrency = new Map<string, EpisodeWindow<EpisodeTxn>>();

  window(currency: string, cfg: StructuringConfig): EpisodeWindow<EpisodeTxn> {
    let w = this.byCurrency.get(currency);
    if (!w) {
      w = new EpisodeWindow<EpisodeTxn>(cfg.windowHours * HOUR, cfg.minCount);
      this.byCurrency.set(currency, w);
    }
    return w;
  }

  /** `item` is what is kept of a just-under amount while its window is open. */
  push(item: EpisodeTxn, cfg: StructuringConfig, out: Finding[]): void {
    const closed = this.window(item.currency, cfg).push(item);
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

/** Judged per client (all accounts together), just-under amounts only, in booking order (a late one is left out). */
export const structuring = defineRule({
  id: 'structuring',
  reason: 'structuring',
  scope: 'client',
  judgesLate: false,
  defaults: DEFAULTS,
  reachDays: (cfg) => cfg.windowHours / 24,
  accepts: isJustUnder,
  remember: () => new StructuringWatch(),
  push: (watch, _t, j, cfg, out) => watch.push(j.item(), cfg, out),
  advance: (watch, now, cfg, out) => watch.advance(now, cfg, out),
  flush: (watch, cfg, out) => watch.flush(cfg, out),
  oldestOpen: (watch) => watch.oldest(),
  isEmpty: (watch) => {
    for (const w of watch.byCurrency.values()) if (!w.empty) return false;
    return true;
  },
  save(watch, out) {
    let windows = 0;
    for (const w of watch.byCurrency.values()) if (!w.empty) windows++;
    out.put(windows);
    for (const [currency, w] of watch.byCurrency) {
      if (w.empty) continue;
      out.putCode(currency);
      saveWindow(out, w);
    }
  },
  restore(input, cfg) {
    const watch = new StructuringWatch();
    for (let i = 0, n = input.count(); i < n; i++) restoreWindow(watch.window(input.code(), cfg), input);
    return watch;
  },
});

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
