import { describe, expect, it } from 'vitest';
import { DEFAULT_RULES_CONFIG } from '../../lib/rules/config.js';
import { context, findingsOf, history, T0, timeline, txn } from './rules-helpers.js';

const cfg = DEFAULT_RULES_CONFIG['high-amount'];
/** 200 EUR debits of 1..200: p95 ≈ 190, p99 ≈ 198 (histogram bucket edges). */
const population = Array.from({ length: 200 }, (_, i) => ({ amount: -(i + 1), currency: 'EUR', time: T0 }));

describe('high-amount', () => {
  it('finds nothing in an empty timeline', () => {
    expect(findingsOf('high-amount', timeline([]), cfg, context(population))).toEqual([]);
  });

  it('flags strictly above the p95 of the same currency and stores the threshold in force', () => {
    const ctx = context(population);
    const th = ctx.amountThresholds('EUR', 'debit', T0);
    expect(th?.p95).toBeGreaterThan(180);
    const at = txn({ amount: -(th?.p95 as number) });
    const above = txn({ amount: -((th?.p95 as number) + 0.01), minutes: 1 });
    const findings = findingsOf('high-amount', timeline([at, above]), cfg, ctx);
    expect(findings.map((f) => f.transactionId)).toEqual([above.id]);
    expect(findings[0]?.evidence).toMatchObject({
      percentile: 'p95',
      thresholds: { p95: th?.p95, p99: th?.p99 },
    });
    expect(findings[0]?.score).toBe(cfg.scoreAboveP95);
  });

  it('grades beyond p99 and by the account’s own history', () => {
    const ctx = context(population);
    const own = history(10, 10);
    const big = txn({ amount: -1000 });
    const [finding] = findingsOf('high-amount', timeline([...own, big]), cfg, ctx);
    expect(finding?.evidence).toMatchObject({
      percentile: 'p99',
      ownHistory: { debits: 10, medianDebit: 10 },
    });
    expect(finding?.score).toBe(cfg.scoreAboveP99 + cfg.ownHistoryBonus);
  });

  it('does not grade by own history with a single past debit', () => {
    const [finding] = findingsOf(
      'high-amount',
      timeline([...history(1, 10), txn({ amount: -1000 })]),
      cfg,
      context(population),
    );
    expect(finding?.score).toBe(cfg.scoreAboveP99);
    expect(finding?.evidence.ownHistory).toMatchObject({ debits: 1, note: 'too short to grade' });
  });

  it('never compares amounts across currencies', () => {
    const ctx = context(population);
    const pln = txn({ amount: -500, currency: 'PLN' });
    const gbp = txn({ amount: -500, currency: 'GBP' });
    expect(findingsOf('high-amount', timeline([pln, gbp]), cfg, ctx)).toEqual([]);
    const plnPopulation = population.map((p) => ({ ...p, currency: 'PLN', amount: p.amount * 1000 }));
    const both = context([...population, ...plnPopulation]);
    expect(findingsOf('high-amount', timeline([pln]), cfg, both)).toEqual([]);
    expect(findingsOf('high-amount', timeline([txn({ amount: -500 })]), cfg, both)).toHaveLength(1);
  });

  it('caps credits low (a bonus is money coming in)', () => {
    const credits = population.map((p) => ({ ...p, amount: -p.amount }));
    const [finding] = findingsOf(
      'high-amount',
      timeline([txn({ amount: 5000, title: 'Annual bonus' })]),
      cfg,
      context(credits),
    );
    expect(finding?.score).toBeLessThanOrEqual(cfg.creditScoreCap);
  });

  it('gives no verdict on too small a population', () => {
    const few = population.slice(0, cfg.minComparable - 1);
    expect(findingsOf('high-amount', timeline([txn({ amount: -1000 })]), cfg, context(few))).toEqual([]);
  });

  it('treats ties at the threshold alike', () => {
    const ctx = context(population);
    const p95 = ctx.amountThresholds('EUR', 'debit', T0)?.p95 as number;
    const tied = [txn({ amount: -(p95 + 1) }), txn({ amount: -(p95 + 1), minutes: 1 })];
    expect(findingsOf('high-amount', timeline(tied), cfg, ctx)).toHaveLength(2);
  });
});
