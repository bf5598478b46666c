/**
 * Rule `rapid-transfers` (reason "rapid transfers"): a series of outgoing transfers from one account in quick
 * succession (each within `maxGapMinutes` of the previous, at least `minSeries` of them) that moves at least
 * `minDrainShare` of the balance the series started from — an account being emptied. The score rises with the
 * share drained. Series whose starting balance is unknown (no balance_after) are not judged.
 */
import type { RapidTransfersConfig } from './config.js';
import { byAccount, capIds, cents, isoMinute, MINUTE } from './stats.js';
import type { ClientTimeline, EpisodeTxn, Finding, Txn } from './types.js';

/** A series never holds more transfers than this: a longer one is judged and a new one starts (bounded memory). */
export const MAX_SERIES = 1000;

/** One account's current series of outgoing transfers. */
export class SeriesWatch {
  constructor(public series: EpisodeTxn[] = []) {}

  /** `item` is what is kept of `t` while its series is open (the engine passes a slim copy). */
  push(t: Txn, cfg: RapidTransfersConfig, out: Finding[], item: EpisodeTxn = t): void {
    if (t.direction !== 'debit' || !t.transfer) return;
    const previous = this.series[this.series.length - 1];
    if (
      previous &&
      (t.time - previous.time > cfg.maxGapMinutes * MINUTE || this.series.length >= MAX_SERIES)
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

export function detectRapidTransfers(timeline: ClientTimeline, cfg: RapidTransfersConfig): Finding[] {
  const findings: Finding[] = [];
  for (const txns of byAccount(timeline.txns).values()) {
    const watch = new SeriesWatch();
    for (const t of txns) watch.push(t, cfg, findings);
    watch.flush(cfg, findings);
  }
  return findings;
}
