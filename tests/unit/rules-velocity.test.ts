import { describe, expect, it } from 'vitest';
import { DEFAULT_RULES_CONFIG } from '../../lib/rules/config.js';
import type { Txn } from '../../lib/rules/types.js';
import { DAYS, findingsOf, history, T0, timeline, txn } from './rules-helpers.js';

const cfg = DEFAULT_RULES_CONFIG.velocity;
const [hour, day, week] = cfg.windows as [
  (typeof cfg.windows)[number],
  (typeof cfg.windows)[number],
  (typeof cfg.windows)[number],
];

/** `n` debits of `amount` evenly over `spanMinutes` from T0 (+ `days`), no balances. */
const series = (
  n: number,
  spanMinutes: number,
  amount = 20,
  fields: Partial<Txn> & { days?: number } = {},
): Txn[] =>
  Array.from({ length: n }, (_, i) =>
    txn({ amount: -amount, minutes: n === 1 ? 0 : (i * spanMinutes) / (n - 1), ...fields }),
  );

/** A client known for a day only (its account opened at T0): its usual is the prior. */
const newClient = (txns: Txn[]) => timeline(txns, { opened: T0 });
/** A client with 100 days of one debit of 50 a day before T0: its usual 1 h peak is one payment. */
const regular = (txns: Txn[]) => timeline([...history(100, 50), ...txns]);
const findings = (tl: ReturnType<typeof timeline>) => findingsOf('velocity', tl, cfg);

describe('velocity', () => {
  it('finds nothing in an empty timeline or in one debit', () => {
    expect(findings(timeline([]))).toEqual([]);
    expect(findings(newClient(series(1, 0)))).toEqual([]);
  });

  it(`flags a new client's ${3 * hour.prior.count} payments (no balances) within exactly one hour against the prior, each with the others' ids`, () => {
    const burst = series(cfg.countMultiple * hour.prior.count, 60);
    const found = findings(newClient(burst));
    expect(found.map((f) => f.transactionId)).toEqual(burst.map((t) => t.id));
    expect(found[0]?.score).toBe(hour.baseScore);
    expect(found[0]?.related).toEqual(burst.slice(1).map((t) => t.id));
    expect(found[0]?.evidence).toMatchObject({
      window: { name: '1 h', hours: 1 },
      payments: 6,
      usual: { payments: 2, ownWeight: 0, prior: hour.prior },
      thresholds: { payments: 6 },
    });
  });

  it('does not flag one payment fewer, or the same payments spread one minute wider than the hour', () => {
    expect(findings(newClient(series(5, 10)))).toEqual([]);
    expect(findings(newClient(series(6, 61)))).toEqual([]);
  });

  it('counts payments booked at the same moment (ties)', () => {
    expect(findings(newClient(series(6, 0)))).toHaveLength(6);
  });

  it('judges a client with a long history against its own usual peak, not the prior', () => {
    // One payment a day: its usual hour holds one, so the bar is minCount (5), below the prior's 6 …
    const five = series(hour.minCount, 30);
    const own = findings(regular(five));
    expect(own.map((f) => f.transactionId)).toEqual(five.map((t) => t.id));
    expect(own[0]?.evidence).toMatchObject({ usual: { payments: 1, ownWeight: 1, own: { payments: 1 } } });
    // … and a client whose days usually hold four payments within the hour needs 12 (its first days, judged before
    // it had a habit, are left out).
    const busy = Array.from({ length: 100 }, (_, d) => series(4, 30, 20, { days: d - 100 })).flat();
    const today = (tl: ReturnType<typeof timeline>) => findings(tl).filter((f) => f.time >= T0);
    expect(today(timeline([...busy, ...series(11, 30)]))).toEqual([]);
    expect(today(timeline([...busy, ...series(12, 30)]))).toHaveLength(12);
  });

  it('blends one row of history with the prior in proportion to the days the client was known', () => {
    const tl = timeline([txn({ amount: -20, days: -5 }), ...series(6, 30)], { opened: T0 - 10 * DAYS });
    const found = findings(tl);
    expect(found).toHaveLength(6);
    // Ten days known of the 70: 1/7 of an own usual of 0 (one day, the second highest is none) and 6/7 of the prior.
    expect(found[0]?.evidence).toMatchObject({
      usual: { payments: 1.71, ownWeight: 0.14, own: { payments: 0, days: 10 } },
      thresholds: { payments: 5.14 },
    });
  });

  it('flags a sum exactly at the bar without its largest payment, and not a cent below', () => {
    // New client: 4 payments (twice the prior count) whose sum without the largest reaches 4 × the prior's EUR 500.
    const atBar = [500, 500, 1_000, 1_000].map((a, i) => txn({ amount: -a, minutes: i * 10 }));
    const found = findings(newClient(atBar));
    expect(found).toHaveLength(4);
    expect(found[0]?.score).toBe(hour.baseScore);
    expect(found[0]?.evidence).toMatchObject({
      totalEur: 3_000,
      thresholds: { totalEurWithoutLargest: 2_000 },
    });
    const below = [499.99, 500, 1_000, 1_000].map((a, i) => txn({ amount: -a, minutes: i * 10 }));
    expect(findings(newClient(below))).toEqual([]);
  });

  it('finds an account emptied in four transfers in data without balances, where rapid-transfers cannot', () => {
    const drain = series(4, 30, 2_000, { type: 'express transfer' });
    const tl = regular(drain);
    expect(findingsOf('rapid-transfers', tl, DEFAULT_RULES_CONFIG['rapid-transfers'])).toEqual([]);
    const found = findings(tl);
    expect(found.map((f) => f.transactionId)).toEqual(drain.map((t) => t.id));
    // 6 000 without the largest, against a bar of max(1 000, 4 × its usual hour of 50): six times beyond.
    expect(found[3]?.score).toBe(65.85);
    expect(found[3]?.evidence).toMatchObject({
      payments: 4,
      totalEur: 8_000,
      usual: { payments: 1, totalEur: 50 },
      timesUsual: { payments: 4, totalEur: 160 },
      timesBar: 6,
      thresholds: { totalEurWithoutLargest: 1_000, paymentsForTotal: 3 },
    });
  });

  it('leaves one large payment among small ones to the amount rules', () => {
    const one = [20_000, 20, 20, 20].map((a, i) => txn({ amount: -a, minutes: i * 10 }));
    expect(findings(newClient(one))).toEqual([]);
  });

  it('adds up several currencies of one client in euros at the reporting thresholds’ rates, totals kept per currency', () => {
    const mixed = [
      txn({ amount: -1_000, minutes: 0 }),
      txn({ amount: -4_500, minutes: 10, accountId: 2, currency: 'PLN' }),
      txn({ amount: -1_000, minutes: 20 }),
      txn({ amount: -4_500, minutes: 30, accountId: 2, currency: 'PLN' }),
    ];
    const found = findings(newClient(mixed));
    expect(found).toHaveLength(4);
    expect(found[0]?.evidence).toMatchObject({
      totalEur: 4_000,
      totalsByCurrency: { EUR: 2_000, PLN: 9_000 },
      thresholds: { eurRates: { PLN: 0.2222 } },
    });
  });

  it('counts a payment in a currency without a rate, but does not sum it', () => {
    const found = findings(newClient(series(6, 30, 5_000, { currency: 'CHF' })));
    expect(found).toHaveLength(6);
    expect(found[0]?.evidence).toMatchObject({
      totalEur: 0,
      totalsByCurrency: { CHF: 30_000 },
      thresholds: { eurRates: { CHF: null } },
    });
  });

  it('flags a growing burst once per payment, the later ones with the higher score of the burst as it stands', () => {
    const burst = series(10, 20);
    const found = findings(newClient(burst));
    expect(found.map((f) => f.transactionId)).toEqual(burst.map((t) => t.id));
    expect(found.map((f) => f.score)).toEqual([40, 40, 40, 40, 40, 40, 42.22, 44.15, 45.85, 47.37]);
  });

  it('does not sweep a later payment into a longer window because of a burst already flagged', () => {
    const burst = series(8, 20);
    const later = txn({ amount: -20, minutes: 6 * 60 });
    const found = findings(regular([...burst, later]));
    expect(found.map((f) => f.transactionId)).toEqual(burst.map((t) => t.id));
  });

  it(`flags a day of ${day.minCount} payments a client usually spreads over a week, by the 24 h window`, () => {
    const daylong = series(day.minCount, 20 * 60);
    const found = findings(regular(daylong));
    expect(found.map((f) => f.transactionId)).toEqual(daylong.map((t) => t.id));
    expect(found[0]?.score).toBe(day.baseScore);
    expect(found[0]?.evidence).toMatchObject({ window: { name: '24 h' }, usual: { payments: 2 } });
    expect(findings(regular(series(day.minCount - 1, 20 * 60)))).toEqual([]);
  });

  it('flags a week of three times the payments a client usually makes in a week, by the 7 d window', () => {
    // One payment a day: its usual week (inclusive of the same time 7 days back) holds 8. The week starts a day
    // after its last daily payment, so that one is not in the window.
    const weeklong = (n: number) => series(n, 6 * 24 * 60, 20, { days: 1 });
    const week24 = weeklong(cfg.countMultiple * 8);
    const found = findings(regular(week24));
    expect(found.map((f) => f.transactionId)).toEqual(week24.map((t) => t.id));
    expect(found[0]?.score).toBe(week.baseScore);
    expect(found[0]?.evidence).toMatchObject({ window: { name: '7 d' }, usual: { payments: 8 } });
    expect(findings(regular(weeklong(cfg.countMultiple * 8 - 1)))).toEqual([]);
  });

  it('does not let one earlier burst make the next usual, but two do', () => {
    const burstOn = (days: number) => series(6, 30, 20, { days });
    expect(findings(regular([...burstOn(-30), ...burstOn(0)])).filter((f) => f.time >= T0)).toHaveLength(6);
    expect(
      findings(regular([...burstOn(-40), ...burstOn(-20), ...burstOn(0)])).filter((f) => f.time >= T0),
    ).toEqual([]);
  });
});
