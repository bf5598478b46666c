/**
 * Rule `high-amount` (reason "high amount"): an amount above the 95th percentile of comparable transactions — the
 * same currency and direction, over a trailing window of months. Graded: beyond p99 scores more, and so does an
 * amount that is also far above the account's own median debit. Credits (money coming in) are capped low.
 */
import type { HighAmountConfig } from './config.js';
import { cents, DAY, RollingSample } from './stats.js';
import type { ClientTimeline, Finding, RuleContext, Txn } from './types.js';

/** The whole rule over one timeline (each account's own history from the timeline itself). */
export function detectHighAmount(
  timeline: ClientTimeline,
  ctx: RuleContext,
  cfg: HighAmountConfig,
): Finding[] {
  const findings: Finding[] = [];
  const own = new Map<number, RollingSample>();
  for (const t of timeline.txns) {
    let history = own.get(t.accountId);
    if (!history) {
      history = new RollingSample(cfg.ownHistorySize);
      own.set(t.accountId, history);
    }
    const finding = judgeHighAmount(t, history, ctx, cfg);
    if (finding) findings.push(finding);
    if (t.direction === 'debit') history.add(t.time, -t.amount);
  }
  return findings;
}

/**
 * One transaction against the population thresholds and the account's own recent debits (`history`, which this
 * expires to the rule's horizon; the caller adds the transaction afterwards).
 */
export function judgeHighAmount(
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
