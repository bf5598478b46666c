import { describe, expect, it } from 'vitest';
import { histogramOf, thresholdLookup } from '../../lib/rules/percentiles.js';

const day = (y: number, m: number, d: number) => Date.UTC(y, m - 1, d, 12);

/** 100 EUR debits a month: amounts 1..100 in January, 101..200 in February. */
const rows = histogramOf([
  ...Array.from({ length: 100 }, (_, i) => ({
    amount: -(i + 1),
    currency: 'EUR',
    time: day(2025, 1, 1 + (i % 28)),
  })),
  ...Array.from({ length: 100 }, (_, i) => ({
    amount: -(i + 101),
    currency: 'EUR',
    time: day(2025, 2, 1 + (i % 28)),
  })),
]);

describe('amount percentiles', () => {
  it('gives every day of a month the thresholds of its trailing window of months', () => {
    const lookup = thresholdLookup(rows, 1);
    const fresh = (time: number) => thresholdLookup(rows, 1)('EUR', 'debit', time);
    expect(lookup('EUR', 'debit', day(2025, 1, 3))).toEqual(fresh(day(2025, 1, 3)));
    expect(lookup('EUR', 'debit', day(2025, 1, 28))).toEqual(fresh(day(2025, 1, 3)));
    expect(lookup('EUR', 'debit', day(2025, 2, 10))).toEqual(fresh(day(2025, 2, 27)));
    expect(lookup('EUR', 'debit', day(2025, 2, 10))?.p95).toBeGreaterThan(
      lookup('EUR', 'debit', day(2025, 1, 10))?.p95 as number,
    );
  });

  it('keeps currencies and directions apart, and has no thresholds where nothing was booked', () => {
    const lookup = thresholdLookup(rows, 3);
    expect(lookup('EUR', 'debit', day(2025, 2, 1))?.comparable).toBe(200);
    expect(lookup('EUR', 'credit', day(2025, 2, 1))).toBeUndefined();
    expect(lookup('PLN', 'debit', day(2025, 2, 1))).toBeUndefined();
    expect(lookup('EUR', 'debit', day(2025, 6, 1))).toBeUndefined();
  });
});
