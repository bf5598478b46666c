/**
 * Rule `dormant-reactivation` (reason "dormant account reactivated"): an account with no transaction for at least
 * `dormantDays` that becomes active again. The reactivating transaction and those within `followUpDays` after it
 * form the episode; a busy reactivation (several follow-ups) and one moving much of the balance out score more.
 *
 * History is looked at `lookbackDays` back only: an account quiet for longer, or never used since it was opened,
 * counts as quiet since the latest of the lookback's start, its opening, and the start of the recorded history
 * (silence before the bank's data begins is unknown, not dormancy).
 */
import { defineRule, type Judging } from './rule.js';
import { restoreTxns, saveTxns } from './state-codec.js';
import { capIds, cents, DAY, isoMinute } from './stats.js';
import type { EpisodeTxn, Finding, Txn } from './types.js';

export interface DormantReactivationConfig {
  enabled: boolean;
  /** No transaction on the account for at least this many days … */
  dormantDays: number;
  /** … (history is looked at this far back; a quieter account counts as dormant for this long). */
  lookbackDays: number;
  /** Transactions within this many days after the reactivating one belong to the same episode. */
  followUpDays: number;
  /**
   * Reactivation alone scores `baseScore`; `busyBonus` more with ≥ `busyFollowUps` follow-ups, and `drainBonus`
   * more when the episode moves out at least `drainShare` of the highest balance it saw.
   */
  baseScore: number;
  busyFollowUps: number;
  busyBonus: number;
  drainShare: number;
  drainBonus: number;
}

const DEFAULTS: DormantReactivationConfig = {
  enabled: true,
  dormantDays: 180,
  lookbackDays: 365,
  followUpDays: 7,
  baseScore: 35,
  busyFollowUps: 2,
  busyBonus: 10,
  drainShare: 0.3,
  drainBonus: 10,
};

interface DormantEpisode {
  quietSince: number;
  /** The reactivating transaction first, then its follow-ups. */
  members: EpisodeTxn[];
}

/** One account: when it was last active, and the reactivation episode still open. */
class DormantWatch {
  constructor(
    public lastTime: number | undefined = undefined,
    public episode: DormantEpisode | undefined = undefined,
  ) {}

  /** Judges `t`; what an episode keeps of it comes from `j.item()`, asked only when it joins one. */
  push(t: Txn, j: Judging, cfg: DormantReactivationConfig, out: Finding[]): void {
    const episode = this.episode;
    if (episode) {
      if (t.time - (episode.members[0] as EpisodeTxn).time <= cfg.followUpDays * DAY) {
        episode.members.push(j.item());
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
        : Math.max(t.time - lookback, j.account.openedAt, j.ctx.historySince);
    this.lastTime = t.time;
    if (t.time - quietSince >= cfg.dormantDays * DAY) this.episode = { quietSince, members: [j.item()] };
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

const HAS_LAST = 1;
const HAS_EPISODE = 2;

/** Judged per account, every transaction in booking order (a late one is left out: its episode was judged). */
export const dormantReactivation = defineRule({
  id: 'dormant-reactivation',
  reason: 'dormant account reactivated',
  scope: 'account',
  judgesLate: false,
  defaults: DEFAULTS,
  reachDays: (cfg) => cfg.lookbackDays,
  remember: () => new DormantWatch(),
  push: (watch, t, j, cfg, out) => watch.push(t, j, cfg, out),
  advance: (watch, now, cfg, out) => watch.advance(now, cfg, out),
  flush: (watch, cfg, out) => watch.flush(cfg, out),
  oldestOpen: (watch) => watch.episode?.members[0]?.time ?? Number.POSITIVE_INFINITY,
  isEmpty: (watch) => watch.lastTime === undefined && !watch.episode,
  /** A bit per part present (last activity, open episode), then the parts. */
  save(watch, out) {
    const { lastTime, episode } = watch;
    out.put((lastTime !== undefined ? HAS_LAST : 0) | (episode ? HAS_EPISODE : 0));
    if (lastTime !== undefined) out.put(lastTime);
    if (episode) {
      out.put(episode.quietSince);
      saveTxns(out, episode.members);
    }
  },
  restore(input) {
    const parts = input.next();
    const lastTime = parts & HAS_LAST ? input.next() : undefined;
    const episode =
      parts & HAS_EPISODE ? { quietSince: input.next(), members: restoreTxns(input) } : undefined;
    return new DormantWatch(lastTime, episode);
  },
});

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
