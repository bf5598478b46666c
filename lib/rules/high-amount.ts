/**
 * Rule `high-amount` (reason "high amount"): an amount above the 95th percentile of comparable transactions — the
 * same currency and direction, over a trailing window of months. Graded: beyond p99 scores more, and so does an
 * amount that is also far above the account's own median debit. Credits (money coming in) are capped low.
 */
import { defineRule, NO_MEMORY } from './rule.js';
import { cents, DAY, type RollingSample } from './stats.js';
import type { Finding, RuleContext, Txn } from './types.js';

export interface HighAmountConfig {
  enabled: boolean;
  /** Fewer comparable transactions than this in the window ⇒ no verdict (a percentile of 20 amounts means little). */
  minComparable: number;
  /** Trailing window of the percentiles, in calendar months ending with the transaction's month. */
  windowMonths: number;
  /** Score above p95, above p99. */
  scoreAboveP95: number;
  scoreAboveP99: number;
  /** Added when the amount is also ≥ this many times the account's own median debit (graded by own history). */
  ownHistoryRatio: number;
  ownHistoryBonus: number;
  /** Own history: the account's most recent `ownHistorySize` debits within `ownHistoryDays`, at least `ownHistoryMin`. */
  ownHistoryMin: number;
  ownHistorySize: number;
  ownHistoryDays: number;
  /** Credits (money coming in: salaries, bonuses) never score above this: an analyst looks at outflows first. */
  creditScoreCap: number;
}

const DEFAULTS: HighAmountConfig = {
  enabled: true,
  minComparable: 50,
  windowMonths: 3,
  scoreAboveP95: 15,
  scoreAboveP99: 25,
  ownHistoryRatio: 5,
  ownHistoryBonus: 5,
  ownHistoryMin: 5,
  ownHistorySize: 50,
  ownHistoryDays: 365,
  creditScoreCap: 25,
};

/** Every transaction, late ones too, against the population and the account's own debits (no memory of its own). */
export const highAmount = defineRule({
  id: 'high-amount',
  reason: 'high amount',
  scope: 'account',
  signal: 'amount',
  judgesLate: true,
  defaults: DEFAULTS,
  reachDays: (cfg) => cfg.ownHistoryDays,
  debitHistory: (cfg) => ({ size: cfg.ownHistorySize, days: cfg.ownHistoryDays }),
  ...NO_MEMORY,
  push(_memory, t, j, cfg, out) {
    const f = judgeHighAmount(t, j.debits, j.ctx, cfg);
    if (f) out.push(f);
  },
});

/**
 * One transaction against the population thresholds and the account's own recent debits (`history`, which this
 * expires to the rule's horizon; the engine adds the transaction afterwards).
 */
function judgeHighAmount(
  t: Txn,
  history: RollingSample,
  ctx: RuleContext,
  cfg: HighAmountConfig,
): Finding | undefined {
  if (t.amount === 0) return undefined;
  const abs = Math.abs(t.amount);
  const th = ctx.amountThresholds(t.currency, t.direction, t.time);
  if (!th || th.comparable < cfg.minComparable || !(abs > th.p95)) return undefined;
  history.expire(t.time - cfg.ownHistoryDays * DAY);
  const aboveP99 = abs > th.p99;
  let score = aboveP99 ? cfg.scoreAboveP99 : cfg.scoreAboveP95;
  const median = history.count >= cfg.ownHistoryMin ? history.median() : undefined;
  const ownRatio = median && median > 0 ? abs / median : undefined;
  if (t.direction === 'debit' && ownRatio !== undefined && ownRatio >= cfg.ownHistoryRatio) {
    score += cfg.ownHistoryBonus;
  }
  if (t.direction === 'credit') score = Math.min(score, cfg.creditScoreCap);
  return {
    transactionId: t.id,
    time: t.time,
    ruleId: 'high-amount',
    score,
    related: [],
    evidence: {
      amount: t.amount,
      currency: t.currency,
      direction: t.direction,
      percentile: aboveP99 ? 'p99' : 'p95',
      thresholds: { p95: th.p95, p99: th.p99, comparable: th.comparable, window: th.window },
      ownHistory:
        median === undefined
          ? { debits: history.count, note: 'too short to grade' }
          : { debits: history.count, medianDebit: cents(median), ratio: cents(ownRatio ?? 0) },
      config: { minComparable: cfg.minComparable, ownHistoryRatio: cfg.ownHistoryRatio },
    },
  };
}
