import { describe, expect, it } from 'vitest';
import { DEFAULT_RULES_CONFIG } from '../../lib/rules/config.js';
import { context, DAYS, findingsOf, history, T0, timeline, txn } from './rules-helpers.js';

const cfg = DEFAULT_RULES_CONFIG['client-baseline'];
const population = Array.from({ length: 200 }, (_, i) => ({
  amount: -(i + 1) * 10,
  currency: 'EUR',
  time: T0,
}));

describe('client-baseline', () => {
  it('finds nothing in an empty timeline or on credits', () => {
    expect(findingsOf('client-baseline', timeline([]), cfg, context())).toEqual([]);
    expect(
      findingsOf('client-baseline', timeline([...history(20, 10), txn({ amount: 10_000 })]), cfg, context()),
    ).toEqual([]);
  });

  it('flags an amount exactly minRatio × the median of identical past debits (MAD 0: the floor applies)', () => {
    const at = txn({ amount: -cfg.minRatio * 100 });
    const below = txn({ amount: -(cfg.minRatio * 100 - 0.01), minutes: -1 });
    const findings = findingsOf(
      'client-baseline',
      timeline([...history(10, 100), below, at]),
      cfg,
      context(),
    );
    expect(findings.map((f) => f.transactionId)).toEqual([at.id]);
    expect(findings[0]?.evidence).toMatchObject({ baseline: { debits: 11, median: 100, mad: 0 } });
  });

  it('scores a spike above the account’s largest debit higher than one far above the median only', () => {
    const past = [...history(9, 100), txn({ amount: -2000, days: -1, minutes: 1 })];
    const aboveMedianOnly = txn({ amount: -1000 });
    const spike = txn({ amount: -2000 * cfg.maxRatio, minutes: 1 });
    const findings = findingsOf(
      'client-baseline',
      timeline([...past, aboveMedianOnly, spike]),
      cfg,
      context(),
    );
    const weak = findings.find((f) => f.transactionId === aboveMedianOnly.id);
    const strong = findings.find((f) => f.transactionId === spike.id);
    // 10 × the median of 100: baseScore plus scorePerDoubling per doubling beyond minRatio (4 ×).
    expect(weak?.score).toBeCloseTo(cfg.baseScore + cfg.scorePerDoubling * Math.log2(10 / cfg.minRatio), 2);
    expect(strong?.score).toBeGreaterThanOrEqual(cfg.spikeScore);
    expect(strong?.evidence).toMatchObject({ ratioToLargest: cfg.maxRatio });
    // Just under the bar the same amount is no spike.
    const under = txn({ amount: -2000 * cfg.maxRatio + 1, minutes: 1 });
    const below = findingsOf('client-baseline', timeline([...past, under]), cfg, context());
    const underScore = below.find((f) => f.transactionId === under.id)?.score as number;
    expect(underScore).toBeLessThan(cfg.spikeScore);
    expect(underScore).toBeCloseTo(
      cfg.baseScore + cfg.scorePerDoubling * Math.log2(9999 / 100 / cfg.minRatio),
      2,
    );
  });

  it('grades a weak finding by the ratio to the median: it agrees with another (25) from 16 ×, capped', () => {
    const past = [...history(9, 100), txn({ amount: -100_000, days: -1, minutes: 1 })];
    const scoreOf = (amount: number) => {
      const t = txn({ amount: -amount, minutes: 1 });
      return findingsOf('client-baseline', timeline([...past, t]), cfg, context()).find(
        (f) => f.transactionId === t.id,
      )?.score;
    };
    expect(scoreOf(100 * cfg.minRatio)).toBe(cfg.baseScore);
    expect(scoreOf(1600)).toBe(25);
    expect(scoreOf(1500)).toBeLessThan(25);
    expect(scoreOf(99_000)).toBe(cfg.baseMaxScore);
  });

  it('needs the minimum history, and falls back to the population for new accounts', () => {
    const ctx = context(population);
    const p99 = ctx.amountThresholds('EUR', 'debit', T0)?.p99 as number;
    const short = history(cfg.minHistory - 1, 100);
    const modest = txn({ amount: -1000 });
    expect(findingsOf('client-baseline', timeline([...short, modest]), cfg, ctx)).toEqual([]);
    const huge = txn({ amount: -(p99 + 1), minutes: 1 });
    const [fallback] = findingsOf('client-baseline', timeline([...short, huge]), cfg, ctx);
    expect(fallback?.evidence.baseline).toMatchObject({ fallback: expect.stringContaining('short history') });
    // A few debits say little about what is large for the account: the spike agrees, but is not enough alone.
    expect(fallback?.score).toBe(cfg.shortHistorySpikeScore);
    expect(fallback?.score).toBeLessThan(DEFAULT_RULES_CONFIG.risk.strong);
  });

  it('with one row of history, compares with that debit and the population', () => {
    const ctx = context(population);
    const one = history(1, 10);
    const [finding] = findingsOf('client-baseline', timeline([...one, txn({ amount: -1995 })]), cfg, ctx);
    expect(finding?.evidence).toMatchObject({ ratioToLargest: 199.5 });
  });

  it('forgets debits older than the lookback', () => {
    const old = history(10, 100).map((t) => ({ ...t, time: t.time - (cfg.lookbackDays + 30) * DAYS }));
    expect(findingsOf('client-baseline', timeline([...old, txn({ amount: -1000 })]), cfg, context())).toEqual(
      [],
    );
  });

  it('keeps accounts apart', () => {
    const a = history(10, 100, { accountId: 1 });
    const b = history(10, 1000, { accountId: 2 });
    const findings = findingsOf(
      'client-baseline',
      timeline([...a, ...b, txn({ accountId: 2, amount: -1500 })]),
      cfg,
      context(),
    );
    expect(findings).toEqual([]);
  });
});
