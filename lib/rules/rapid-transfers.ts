/**
 * Rule `rapid-transfers` (reason "rapid transfers"): a series of outgoing transfers from one account in quick
 * succession (each within `maxGapMinutes` of the previous, at least `minSeries` of them) that moves at least
 * `minDrainShare` of the balance the series started from — an account being emptied. The score rises with the
 * share drained. Series whose starting balance is unknown (no balance_after) are not judged.
 */
import { defineRule } from './rule.js';
import { restoreTxns, saveTxns } from './state-codec.js';
import { capIds, cents, isoMinute, MINUTE } from './stats.js';
import type { EpisodeTxn, Finding } from './types.js';

export interface RapidTransfersConfig {
  enabled: boolean;
  /** A series: outgoing transfers from one account, each at most `maxGapMinutes` after the previous. */
  maxGapMinutes: number;
  minSeries: number;
  /** The series moves at least this share of the balance it started from … */
  minDrainShare: number;
  /** Score at `minDrainShare`, rising linearly to `maxScore` at a full drain. */
  baseScore: number;
  maxScore: number;
}

const DEFAULTS: RapidTransfersConfig = {
  enabled: true,
  maxGapMinutes: 60,
  minSeries: 3,
  minDrainShare: 0.5,
  baseScore: 50,
  maxScore: 70,
};

/** A series never holds more transfers than this: a longer one is judged and a new one starts (bounded memory). */
export const MAX_SERIES = 1000;

/** One account's current series of outgoing transfers. */
class SeriesWatch {
  constructor(public series: EpisodeTxn[] = []) {}

  /** `item` is what is kept of an outgoing transfer while its series is open. */
  push(item: EpisodeTxn, cfg: RapidTransfersConfig, out: Finding[]): void {
    const previous = this.series[this.series.length - 1];
    if (
      previous &&
      (item.time - previous.time > cfg.maxGapMinutes * MINUTE || this.series.length >= MAX_SERIES)
    ) {
      judgeSeries(this.series, cfg, out);
      this.series = [];
    }
    this.series.push(item);
  }

  advance(now: number, cfg: RapidTransfersConfig, out: Finding[]): void {
    const last = this.series[this.series.length - 1];
    if (last && now - last.time > cfg.maxGapMinutes * MINUTE) {
      judgeSeries(this.series, cfg, out);
      this.series = [];
    }
  }

  /** Findings for the series still open, as it stands (it stays open). */
  flush(cfg: RapidTransfersConfig, out: Finding[]): void {
    judgeSeries(this.series, cfg, out);
  }
}

/** Judged per account, outgoing transfers only, in booking order (a late one is left out). */
export const rapidTransfers = defineRule({
  id: 'rapid-transfers',
  reason: 'rapid transfers',
  scope: 'account',
  judgesLate: false,
  defaults: DEFAULTS,
  reachDays: (cfg) => cfg.maxGapMinutes / 1440,
  accepts: (t) => t.direction === 'debit' && t.transfer,
  remember: () => new SeriesWatch(),
  push: (watch, _t, j, cfg, out) => watch.push(j.item(), cfg, out),
  advance: (watch, now, cfg, out) => watch.advance(now, cfg, out),
  flush: (watch, cfg, out) => watch.flush(cfg, out),
  oldestOpen: (watch) => watch.series[0]?.time ?? Number.POSITIVE_INFINITY,
  isEmpty: (watch) => watch.series.length === 0,
  save: (watch, out) => saveTxns(out, watch.series),
  restore: (input) => new SeriesWatch(restoreTxns(input)),
});

function judgeSeries(series: readonly EpisodeTxn[], cfg: RapidTransfersConfig, out: Finding[]): void {
  if (series.length < cfg.minSeries) return;
  const first = series[0] as EpisodeTxn;
  const last = series[series.length - 1] as EpisodeTxn;
  if (first.balanceAfter === null) return;
  const startBalance = first.balanceAfter - first.amount;
  const moved = series.reduce((sum, t) => sum - t.amount, 0);
  if (!(startBalance > 0)) return;
  const share = moved / startBalance;
  if (share < cfg.minDrainShare) return;
  const fullness = Math.min(1, (share - cfg.minDrainShare) / Math.max(1e-9, 1 - cfg.minDrainShare));
  const score = Math.round((cfg.baseScore + (cfg.maxScore - cfg.baseScore) * fullness) * 100) / 100;
  const ids = series.map((t) => t.id);
  const recipients = new Set(series.map((t) => t.recipientKey ?? t.recipient).filter((r) => r != null)).size;
  for (const t of series) {
    out.push({
      transactionId: t.id,
      time: t.time,
      ruleId: 'rapid-transfers',
      score,
      related: ids.filter((id) => id !== t.id),
      evidence: {
        transfers: series.length,
        from: isoMinute(first.time),
        to: isoMinute(last.time),
        startBalance: cents(startBalance),
        moved: cents(moved),
        drainedShare: cents(share),
        endBalance: last.balanceAfter,
        distinctRecipients: recipients,
        currency: t.currency,
        thresholds: {
          maxGapMinutes: cfg.maxGapMinutes,
          minSeries: cfg.minSeries,
          minDrainShare: cfg.minDrainShare,
        },
        relatedTransactionIds: capIds(ids),
      },
    });
  }
}
