/**
 * Rule `dormant-reactivation` (reason "dormant account reactivated"): an account with no transaction for at least
 * `dormantDays` that becomes active again. The reactivating transaction and those within `followUpDays` after it
 * form the episode; a busy reactivation (several follow-ups) and one moving much of the balance out score more.
 *
 * History is looked at `lookbackDays` back only (the incremental scan loads no more): an account quiet for longer,
 * or never used since it was opened, counts as quiet since the latest of the lookback's start, its opening, and the
 * start of the recorded history (silence before the bank's data begins is unknown, not dormancy).
 */
import type { DormantReactivationConfig } from './config.js';
import { byAccount, capIds, cents, DAY, isoMinute } from './stats.js';
import type { ClientTimeline, Finding, RuleContext, Txn } from './types.js';

export function detectDormantReactivation(
  timeline: ClientTimeline,
  ctx: Pick<RuleContext, 'historySince'>,
  cfg: DormantReactivationConfig,
): Finding[] {
  const findings: Finding[] = [];
  const dormant = cfg.dormantDays * DAY;
  const lookback = cfg.lookbackDays * DAY;
  for (const [accountId, txns] of byAccount(timeline.txns)) {
    const openedAt = timeline.accounts.get(accountId)?.openedAt;
    for (let i = 0; i < txns.length; i++) {
      const t = txns[i] as Txn;
      const previous = txns[i - 1];
      // Silence observed: since the previous transaction, or — none within the lookback — since the latest of
      // the lookback's start, the account's opening and the start of the recorded history.
      const quietSince =
        previous && t.time - previous.time <= lookback
          ? previous.time
          : Math.max(t.time - lookback, openedAt ?? 0, ctx.historySince);
      if (t.time - quietSince < dormant) continue;
      const episode: Txn[] = [t];
      for (let j = i + 1; j < txns.length && (txns[j] as Txn).time - t.time <= cfg.followUpDays * DAY; j++) {
        episode.push(txns[j] as Txn);
      }
      const startBalance = t.balanceAfter === null ? null : t.balanceAfter - t.amount;
      const peak = Math.max(startBalance ?? 0, ...episode.map((e) => e.balanceAfter ?? 0));
      const outflow = episode.reduce((sum, e) => sum + (e.amount < 0 ? -e.amount : 0), 0);
      const drained = peak > 0 && outflow >= cfg.drainShare * peak;
      const busy = episode.length - 1 >= cfg.busyFollowUps;
      const score = cfg.baseScore + (busy ? cfg.busyBonus : 0) + (drained ? cfg.drainBonus : 0);
      const ids = episode.map((e) => e.id);
      for (const e of episode) {
        findings.push({
          transactionId: e.id,
          ruleId: 'dormant-reactivation',
          score,
          related: ids.filter((id) => id !== e.id),
          evidence: {
            quietSince: isoMinute(quietSince),
            quietDays: Math.floor((t.time - quietSince) / DAY),
            reactivatedAt: isoMinute(t.time),
            followUps: episode.length - 1,
            outflow: cents(outflow),
            drained,
            currency: e.currency,
            thresholds: {
              dormantDays: cfg.dormantDays,
              lookbackDays: cfg.lookbackDays,
              followUpDays: cfg.followUpDays,
              busyFollowUps: cfg.busyFollowUps,
              drainShare: cfg.drainShare,
            },
            relatedTransactionIds: capIds(ids),
          },
        });
      }
      i += episode.length - 1;
    }
  }
  return findings;
}
