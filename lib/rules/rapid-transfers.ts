/**
 * Rule `rapid-transfers` (reason "rapid transfers"): a series of outgoing transfers from one account in quick
 * succession (each within `maxGapMinutes` of the previous, at least `minSeries` of them) that moves at least
 * `minDrainShare` of the balance the series started from — an account being emptied. The score rises with the
 * share drained. Series whose starting balance is unknown (no balance_after) are not judged.
 */
import type { RapidTransfersConfig } from './config.js';
import { byAccount, capIds, cents, isoMinute, MINUTE } from './stats.js';
import type { ClientTimeline, Finding, Txn } from './types.js';

export function detectRapidTransfers(timeline: ClientTimeline, cfg: RapidTransfersConfig): Finding[] {
  const findings: Finding[] = [];
  const maxGap = cfg.maxGapMinutes * MINUTE;
  for (const txns of byAccount(timeline.txns).values()) {
    let series: Txn[] = [];
    const flush = () => {
      if (series.length >= cfg.minSeries) judge(series, cfg, findings);
      series = [];
    };
    for (const t of txns) {
      if (t.direction !== 'debit' || !t.transfer) continue;
      const previous = series[series.length - 1];
      if (previous && t.time - previous.time > maxGap) flush();
      series.push(t);
    }
    flush();
  }
  return findings;
}

function judge(series: Txn[], cfg: RapidTransfersConfig, out: Finding[]): void {
  const first = series[0] as Txn;
  const last = series[series.length - 1] as Txn;
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
