/**
 * Rule `dormant-reactivation` (reason "dormant account reactivated"): an account that becomes active again after a
 * silence long for *this* account — at least `dormantDays`, and at least `gapFactor` × its typical gap between
 * transactions (a geometric running mean of its past gaps, weight `gapWeight` for the newest). An account used every
 * few months is not dormant after three: it needs `gapFactor` times its usual gap. Until it has a gap on record,
 * `dormantDays` alone decides. The reactivating transaction and those within `followUpDays` after it
 * form the episode; a busy reactivation (several follow-ups) and one moving much of the balance out score more.
 *
 * A client active on another account within `clientActiveDays` before the reactivation makes it weak evidence (a
 * rarely used second-currency account of a client active every day): `activeClientScore` instead of `baseScore`.
 * The rule is judged per client for that, each account watched on its own.
 *
 * History is looked at `lookbackDays` back only: an account quiet for longer, or never used since it was opened,
 * counts as quiet since the latest of the lookback's start, its opening, and the start of the recorded history
 * (silence before the bank's data begins is unknown, not dormancy).
 */
import { defineRule, type Judging } from './rule.js';
import { restoreTxns, type StateReader, type StateWriter, saveTxns } from './state-codec.js';
import { capIds, cents, DAY, isoMinute } from './stats.js';
import type { EpisodeTxn, Finding, Txn } from './types.js';

export interface DormantReactivationConfig {
  enabled: boolean;
  /** No transaction on the account for at least this many days … */
  dormantDays: number;
  /** … and for at least this many times the account's typical gap between transactions … */
  gapFactor: number;
  /** Weight of the newest gap in the typical gap (a running mean of log gaps). */
  gapWeight: number;
  /** … (history is looked at this far back; a quieter account counts as dormant for this long). */
  lookbackDays: number;
  /**
   * A client with a transaction on another account within this many days before the reactivation is active: its
   * quiet sub-account waking up is weak evidence, scored `activeClientScore` instead of `baseScore` (bonuses still add).
   */
  clientActiveDays: number;
  activeClientScore: number;
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
  gapFactor: 4,
  gapWeight: 0.2,
  lookbackDays: 365,
  clientActiveDays: 30,
  activeClientScore: 20,
  followUpDays: 7,
  baseScore: 35,
  busyFollowUps: 2,
  busyBonus: 10,
  drainShare: 0.3,
  drainBonus: 10,
};

interface DormantEpisode {
  quietSince: number;
  /** The silence (ms) this account needed to count as dormant. */
  dormantAfter: number;
  /** The client's latest transaction on another account before the reactivation, if any within the lookback. */
  clientActiveAt: number | undefined;
  /** The reactivating transaction first, then its follow-ups. */
  members: EpisodeTxn[];
}

/** One account: when it was last active, and the reactivation episode still open. */
class DormantWatch {
  constructor(
    public lastTime: number | undefined = undefined,
    public episode: DormantEpisode | undefined = undefined,
    /** ln(typical gap in ms), once a gap is on record. */
    public logGap: number | undefined = undefined,
  ) {}

  /** Adds the gap before a transaction at `time` to the typical gap (gaps under a minute count as one). */
  private learnGap(time: number, cfg: DormantReactivationConfig): void {
    if (this.lastTime === undefined) return;
    const log = Math.log(Math.max(60_000, time - this.lastTime));
    this.logGap = this.logGap === undefined ? log : this.logGap + cfg.gapWeight * (log - this.logGap);
  }

  /** The silence needed to call this account dormant: `dormantDays`, or `gapFactor` × its typical gap if longer. */
  dormantAfter(cfg: DormantReactivationConfig): number {
    const usual = this.logGap === undefined ? 0 : cfg.gapFactor * Math.exp(this.logGap);
    return Math.max(cfg.dormantDays * DAY, usual);
  }

  /** Judges `t`; what an episode keeps of it comes from `j.item()`, asked only when it joins one. */
  push(
    t: Txn,
    j: Judging,
    clientActiveAt: number | undefined,
    cfg: DormantReactivationConfig,
    out: Finding[],
  ): void {
    const episode = this.episode;
    if (episode) {
      if (t.time - (episode.members[0] as EpisodeTxn).time <= cfg.followUpDays * DAY) {
        episode.members.push(j.item());
        this.learnGap(t.time, cfg);
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
    const dormantAfter = this.dormantAfter(cfg);
    this.learnGap(t.time, cfg);
    this.lastTime = t.time;
    if (t.time - quietSince >= dormantAfter)
      this.episode = { quietSince, dormantAfter, clientActiveAt, members: [j.item()] };
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

/** One client: a watch per account, and when the client last transacted on each (to tell an active client). */
class ClientDormancy {
  readonly watches = new Map<number, DormantWatch>();

  push(t: Txn, j: Judging, cfg: DormantReactivationConfig, out: Finding[]): void {
    let clientActiveAt: number | undefined;
    for (const [accountId, other] of this.watches) {
      const last = other.lastTime;
      if (
        accountId !== t.accountId &&
        last !== undefined &&
        (clientActiveAt === undefined || last > clientActiveAt)
      )
        clientActiveAt = last;
    }
    let watch = this.watches.get(t.accountId);
    if (!watch) {
      watch = new DormantWatch();
      this.watches.set(t.accountId, watch);
    }
    watch.push(t, j, clientActiveAt, cfg, out);
  }

  advance(now: number, cfg: DormantReactivationConfig, out: Finding[]): void {
    for (const watch of this.watches.values()) watch.advance(now, cfg, out);
  }

  flush(cfg: DormantReactivationConfig, out: Finding[]): void {
    for (const watch of this.watches.values()) watch.flush(cfg, out);
  }

  oldestOpen(): number {
    let oldest = Number.POSITIVE_INFINITY;
    for (const w of this.watches.values()) oldest = Math.min(oldest, w.episode?.members[0]?.time ?? oldest);
    return oldest;
  }
}

const HAS_LAST = 1;
const HAS_EPISODE = 2;
const HAS_GAP = 4;
const HAS_CLIENT_ACTIVE = 8;

function saveWatch(watch: DormantWatch, out: StateWriter): void {
  const { lastTime, episode, logGap } = watch;
  const active = episode?.clientActiveAt;
  out.put(
    (lastTime !== undefined ? HAS_LAST : 0) |
      (episode ? HAS_EPISODE : 0) |
      (logGap !== undefined ? HAS_GAP : 0) |
      (active !== undefined ? HAS_CLIENT_ACTIVE : 0),
  );
  if (lastTime !== undefined) out.put(lastTime);
  if (logGap !== undefined) out.put(logGap);
  if (episode) {
    out.put(episode.quietSince);
    out.put(episode.dormantAfter);
    if (active !== undefined) out.put(active);
    saveTxns(out, episode.members);
  }
}

function restoreWatch(input: StateReader): DormantWatch {
  const parts = input.next();
  const lastTime = parts & HAS_LAST ? input.next() : undefined;
  const logGap = parts & HAS_GAP ? input.next() : undefined;
  if (!(parts & HAS_EPISODE)) return new DormantWatch(lastTime, undefined, logGap);
  const quietSince = input.next();
  const dormantAfter = input.next();
  const clientActiveAt = parts & HAS_CLIENT_ACTIVE ? input.next() : undefined;
  const episode = { quietSince, dormantAfter, clientActiveAt, members: restoreTxns(input) };
  return new DormantWatch(lastTime, episode, logGap);
}

/**
 * Judged per client (each account watched on its own, the others telling whether the client is active), every
 * transaction in booking order (a late one is left out: its episode was judged).
 */
export const dormantReactivation = defineRule({
  id: 'dormant-reactivation',
  reason: 'dormant account reactivated',
  scope: 'client',
  judgesLate: false,
  defaults: DEFAULTS,
  reachDays: (cfg) => cfg.lookbackDays,
  remember: () => new ClientDormancy(),
  push: (memory, t, j, cfg, out) => memory.push(t, j, cfg, out),
  advance: (memory, now, cfg, out) => memory.advance(now, cfg, out),
  flush: (memory, cfg, out) => memory.flush(cfg, out),
  oldestOpen: (memory) => memory.oldestOpen(),
  isEmpty: (memory) => [...memory.watches.values()].every((w) => w.lastTime === undefined && !w.episode),
  /** The number of accounts, then per account its id and a bit per part present (last activity, typical gap, open episode, …), then the parts. */
  save(memory, out) {
    out.put(memory.watches.size);
    for (const [accountId, watch] of memory.watches) {
      out.put(accountId);
      saveWatch(watch, out);
    }
  },
  restore(input) {
    const memory = new ClientDormancy();
    for (let i = 0, n = input.count(); i < n; i++) {
      const accountId = input.next();
      memory.watches.set(accountId, restoreWatch(input));
    }
    return memory;
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
  const activeClient =
    episode.clientActiveAt !== undefined && t.time - episode.clientActiveAt <= cfg.clientActiveDays * DAY;
  const base = activeClient ? cfg.activeClientScore : cfg.baseScore;
  const score = base + (busy ? cfg.busyBonus : 0) + (drained ? cfg.drainBonus : 0);
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
        dormantAfterDays: Math.round((episode.dormantAfter / DAY) * 10) / 10,
        reactivatedAt: isoMinute(t.time),
        followUps: members.length - 1,
        ...(episode.clientActiveAt !== undefined
          ? { clientLastActiveElsewhere: isoMinute(episode.clientActiveAt) }
          : {}),
        activeClient,
        outflow: cents(outflow),
        drained,
        currency: e.currency,
        thresholds: {
          dormantDays: cfg.dormantDays,
          gapFactor: cfg.gapFactor,
          lookbackDays: cfg.lookbackDays,
          clientActiveDays: cfg.clientActiveDays,
          followUpDays: cfg.followUpDays,
          busyFollowUps: cfg.busyFollowUps,
          drainShare: cfg.drainShare,
        },
        relatedTransactionIds: capIds(ids),
      },
    });
  }
}
