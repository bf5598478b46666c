/**
 * Rule `dormant-reactivation` (reason "dormant account reactivated"): an account with no transaction for at least
 * `dormantDays` that becomes active again. The reactivating transaction and those within `followUpDays` after it
 * form the episode; a busy reactivation (several follow-ups) and one moving much of the balance out score more.
 *
 * History is looked at `lookbackDays` back only: an account quiet for longer, or never used since it was opened,
 * counts as quiet since the latest of the lookback's start, its opening, and the start of the recorded history
 * (silence before the bank's data begins is unknown, not dormancy).
 */
import type { DormantReactivationConfig } from './config.js';
import { byAccount, capIds, cents, DAY, isoMinute } from './stats.js';
import type { ClientTimeline, EpisodeTxn, Finding, RuleContext, Txn } from './types.js';

export interface DormantEpisode {
  quietSince: number;
  /** The reactivating transaction first, then its follow-ups. */
  members: EpisodeTxn[];
}

/** One account: when it was last active, and the reactivation episode still open. */
export class DormantWatch {
  constructor(
    public lastTime: number | undefined = undefined,
    public episode: DormantEpisode | undefined = undefined,
  ) {}

  push(
    t: Txn,
    openedAt: number | undefined,
    ctx: Pick<RuleContext, 'historySince'>,
    cfg: DormantReactivationConfig,
    out: Finding[],
    item: EpisodeTxn = t,
  ): void {
    const episode = this.episode;
    if (episode) {
      if (t.time - (episode.members[0] as EpisodeTxn).time <= cfg.followUpDays * DAY) {
        episode.members.push(item);
        this.lastTime = t.time;
        return;
      }
      emitEpisode(episode, cfg, out);
      this.episode = undefined;
    }
    const lookback = cfg.lookbackDays * DAY;
    // Silence observed: since the previous transaction, or — none within the lookback — since the latest of the
    // lookback's start, the account's opening and the start of the recorded history.
    const previous = this.lastTime;
    const quietSince =
      previous !== undefined && t.time - previous <= lookback
        ? previous
        : Math.max(t.time - lookback, openedAt ?? 0, ctx.historySince);
    this.lastTime = t.time;
    if (t.time - quietSince >= cfg.dormantDays * DAY) this.episode = { quietSince, members: [item] };
  }

  advance(now: number, cfg: DormantReactivationConfig, out: Finding[]): void {
    const episode = this.episode;
    if (episode && now - (episode.members[0] as EpisodeTxn).time > cfg.followUpDays * DAY) {
      emitEpisode(episode, cfg, out);
      this.episode = undefined;
    }
  }

  flush(cfg: DormantReactivationConfig, out: Finding[]): void {
    if (this.episode) emitEpisode(this.episode, cfg, out);
  }
}

function emitEpisode(episode: DormantEpisode, cfg: DormantReactivationConfig, out: Finding[]): void {
  const members = episode.members;
  const t = members[0] as EpisodeTxn;
  const startBalance = t.balanceAfter === null ? null : t.balanceAfter - t.amount;
  let peak = startBalance ?? 0;
  let outflow = 0;
  for (const e of members) {
    peak = Math.max(peak, e.balanceAfter ?? 0);
    if (e.amount < 0) outflow -= e.amount;
  }
  const drained = peak > 0 && outflow >= cfg.drainShare * peak;
  const busy = members.length - 1 >= cfg.busyFollowUps;
  const score = cfg.baseScore + (busy ? cfg.busyBonus : 0) + (drained ? cfg.drainBonus : 0);
  const ids = members.map((e) => e.id);
  for (const e of members) {
    out.push({
      transactionId: e.id,
      time: e.time,
      ruleId: 'dormant-reactivation',
      score,
      related: ids.filter((id) => id !== e.id),
      evidence: {
        quietSince: isoMinute(episode.quietSince),
        quietDays: Math.floor((t.time - episode.quietSince) / DAY),
        reactivatedAt: isoMinute(t.time),
        followUps: members.length - 1,
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
}

export function detectDormantReactivation(
  timeline: ClientTimeline,
  ctx: Pick<RuleContext, 'historySince'>,
  cfg: DormantReactivationConfig,
): Finding[] {
  const findings: Finding[] = [];
  for (const [accountId, txns] of byAccount(timeline.txns)) {
    const openedAt = timeline.accounts.get(accountId)?.openedAt;
    const watch = new DormantWatch();
    for (const t of txns) watch.push(t, openedAt, ctx, cfg, findings);
    watch.flush(cfg, findings);
  }
  return findings;
}
