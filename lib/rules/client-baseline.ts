/**
 * Rule `client-baseline` (reason "unusual amount"): a debit far outside the account's own history, measured with
 * robust statistics — the median and the median absolute deviation (MAD) of its recent debits — so the outliers
 * we look for do not inflate the yardstick. Graded: far above the median only is a weak signal (heavy-tailed
 * spending is normal), growing with the ratio to the median — from `baseScore` at `minRatio` × the median by
 * `scorePerDoubling` per doubling, so it agrees with another rule's finding (risk.agree, 25) only from about 16 × the
 * median; several times the account's largest debit in the window is a strong one (a spike). Needs a minimum
 * history; a new account falls back to the population: only amounts above its currency's p99 are flagged, with a
 * lower score, and a spike over a short history (a few debits say little about what is large for the account)
 * scores `shortHistorySpikeScore`, which agrees with other findings but is not enough on its own.
 */
import { defineRule, NO_MEMORY } from './rule.js';
import { cents, DAY, type RollingSample } from './stats.js';
import type { Finding, RuleContext, Txn } from './types.js';

export interface ClientBaselineConfig {
  enabled: boolean;
  /** Debits of the account looked at: the most recent `historySize` within `lookbackDays`. */
  historySize: number;
  lookbackDays: number;
  /** Fewer past debits than this ⇒ the population fallback (new accounts). */
  minHistory: number;
  /** Robust z-score: (amount − median) / (1.4826 · MAD) must reach this … */
  zThreshold: number;
  /** … and the amount must be at least this many times the median. */
  minRatio: number;
  /**
   * Graded by the account's largest debit in the window: an amount at least `maxRatio` × that largest debit —
   * bigger than anything the account ever paid, by far — scores `spikeScore` (and more per doubling) instead of
   * `baseScore`.
   */
  maxRatio: number;
  spikeScore: number;
  /** MAD never below this share of the median (ties: a history of identical amounts has MAD 0). */
  madFloorShare: number;
  /** The weak finding's score at `minRatio` × the median; it grows per doubling of the ratio, up to `baseMaxScore`. */
  baseScore: number;
  baseMaxScore: number;
  /** Added per doubling of the ratio to the median beyond `minRatio` (weak) or to the largest beyond `maxRatio` (spike). */
  scorePerDoubling: number;
  maxScore: number;
  /** New accounts: flagged only above the population's p99, with this score. */
  fallbackScore: number;
  /** Fewer than `minHistory` past debits, yet above the population's p95 and `maxRatio` × the largest of them. */
  shortHistorySpikeScore: number;
}

const DEFAULTS: ClientBaselineConfig = {
  enabled: true,
  historySize: 50,
  lookbackDays: 365,
  minHistory: 5,
  zThreshold: 6,
  minRatio: 4,
  maxRatio: 5,
  spikeScore: 45,
  madFloorShare: 0.1,
  baseScore: 20,
  baseMaxScore: 35,
  scorePerDoubling: 2.5,
  maxScore: 50,
  fallbackScore: 25,
  shortHistorySpikeScore: 30,
};

/** `from` plus `perDoubling` for each doubling of `ratio` beyond `atRatio`, capped at `max` (ratios capped at 1024×). */
function graded(from: number, perDoubling: number, ratio: number, atRatio: number, max: number): number {
  return Math.min(max, from + perDoubling * Math.log2(Math.min(1024, ratio / atRatio)));
}

const MAD_TO_SIGMA = 1.4826;

/** Debits only, late ones too, against the account's own recent debits (no memory of its own). */
export const clientBaseline = defineRule({
  id: 'client-baseline',
  reason: 'unusual amount',
  scope: 'account',
  signal: 'amount',
  judgesLate: true,
  defaults: DEFAULTS,
  reachDays: (cfg) => cfg.lookbackDays,
  debitHistory: (cfg) => ({ size: cfg.historySize, days: cfg.lookbackDays }),
  accepts: (t) => t.direction === 'debit',
  ...NO_MEMORY,
  push(_memory, t, j, cfg, out) {
    const f = judgeClientBaseline(t, j.debits, j.ctx, cfg);
    if (f) out.push(f);
  },
});

/**
 * One debit against the account's recent debits (`history`, which this expires to the rule's lookback; the engine
 * adds the debit afterwards): robust statistics when the history is long enough, else the population. Credits and
 * zero amounts are not judged.
 */
function judgeClientBaseline(
  t: Txn,
  history: RollingSample,
  ctx: RuleContext,
  cfg: ClientBaselineConfig,
): Finding | undefined {
  if (t.direction !== 'debit' || t.amount === 0) return undefined;
  history.expire(t.time - cfg.lookbackDays * DAY);
  return history.count >= cfg.minHistory
    ? judgeOnHistory(t, history, cfg)
    : judgeOnPopulation(t, history, ctx, cfg);
}

/** The sample the evidence describes: how many debits, from how far back, out of how many at most. */
function windowOf(history: RollingSample, cfg: ClientBaselineConfig) {
  return { debits: history.count, lookbackDays: cfg.lookbackDays, historySize: cfg.historySize };
}

/** A debit against the median and MAD of the account's history (at least `minHistory` debits). */
function judgeOnHistory(t: Txn, history: RollingSample, cfg: ClientBaselineConfig): Finding | undefined {
  const abs = -t.amount;
  const median = history.median() as number;
  // Cheap pre-check first: most debits are nowhere near minRatio × median, so MAD is computed rarely.
  if (!(median > 0 && abs >= cfg.minRatio * median)) return undefined;
  const madValue = history.mad();
  const scale = Math.max(MAD_TO_SIGMA * madValue, cfg.madFloorShare * median, 0.01);
  const z = (abs - median) / scale;
  if (z < cfg.zThreshold) return undefined;
  const ratio = abs / median;
  const largest = history.max() as number;
  const ratioToMax = largest > 0 ? abs / largest : Number.POSITIVE_INFINITY;
  const score =
    ratioToMax >= cfg.maxRatio
      ? graded(cfg.spikeScore, cfg.scorePerDoubling, ratioToMax, cfg.maxRatio, cfg.maxScore)
      : graded(cfg.baseScore, cfg.scorePerDoubling, ratio, cfg.minRatio, cfg.baseMaxScore);
  return {
    transactionId: t.id,
    time: t.time,
    ruleId: 'client-baseline',
    score: Math.round(score * 100) / 100,
    related: [],
    evidence: {
      amount: t.amount,
      currency: t.currency,
      baseline: {
        ...windowOf(history, cfg),
        median: cents(median),
        mad: cents(madValue),
        largest: cents(largest),
      },
      ratioToLargest: cents(ratioToMax),
      robustZ: cents(z),
      ratioToMedian: cents(ratio),
      thresholds: {
        zThreshold: cfg.zThreshold,
        minRatio: cfg.minRatio,
        maxRatio: cfg.maxRatio,
        minHistory: cfg.minHistory,
      },
    },
  };
}

/**
 * Too little history for robust statistics: a debit against the population instead — and, when there is at least
 * one past debit, against the largest of them.
 */
function judgeOnPopulation(
  t: Txn,
  history: RollingSample,
  ctx: RuleContext,
  cfg: ClientBaselineConfig,
): Finding | undefined {
  const abs = -t.amount;
  const th = ctx.amountThresholds(t.currency, 'debit', t.time);
  const largest = history.max();
  const spike = th !== undefined && largest !== undefined && abs > th.p95 && abs >= cfg.maxRatio * largest;
  if (!th || !(spike || abs > th.p99)) return undefined;
  return {
    transactionId: t.id,
    time: t.time,
    ruleId: 'client-baseline',
    score: spike ? cfg.shortHistorySpikeScore : cfg.fallbackScore,
    related: [],
    evidence: {
      amount: t.amount,
      currency: t.currency,
      baseline: {
        ...windowOf(history, cfg),
        ...(largest === undefined ? {} : { largest: cents(largest) }),
        fallback: spike
          ? 'short history: above the population p95 and several times the largest past debit'
          : 'short history: compared with the population p99',
      },
      ...(largest === undefined ? {} : { ratioToLargest: cents(abs / largest) }),
      thresholds: {
        p95: th.p95,
        p99: th.p99,
        maxRatio: cfg.maxRatio,
        minHistory: cfg.minHistory,
        window: th.window,
      },
    },
  };
}
