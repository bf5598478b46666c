import { describe, expect, it } from 'vitest';
import {
  addToWindows,
  type HistogramRow,
  histogramOf,
  thresholdLookup,
  trailingMonths,
  windowThresholdLookup,
} from '../../lib/rules/percentiles.js';

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

  /** What loadWindowHistograms returns: each month's window of `all`, summed and labelled with the month. */
  const windowsOf = (all: readonly HistogramRow[], months: string[], windowMonths: number) =>
    new Map(
      months.map((month) => {
        const inWindow = new Set(trailingMonths(month, windowMonths));
        const sums = new Map<string, HistogramRow>();
        for (const r of all) {
          if (!inWindow.has(r.month)) continue;
          const key = `${r.currency}|${r.direction}|${r.bucket}`;
          const sum = sums.get(key);
          if (sum) sum.n += r.n;
          else sums.set(key, { ...r, month });
        }
        return [month, [...sums.values()]] as const;
      }),
    );

  it("adds a chunk's own rows to the windows the server summed before they were counted, as if they had been", () => {
    // Older rows of two currencies and both directions over four months; new rows in March and April.
    const older = Array.from({ length: 400 }, (_, i) => ({
      amount: (i % 2 ? -1 : 1) * (10 + ((i * 37) % 1000)),
      currency: i % 3 ? 'EUR' : 'PLN',
      time: day(2025, 1 + (i % 4), 1 + (i % 27)),
    }));
    const newer = Array.from({ length: 90 }, (_, i) => ({
      amount: (i % 2 ? -1 : 1) * (5_000 + i * 211),
      currency: i % 3 ? 'EUR' : 'PLN',
      time: day(2025, 3 + (i % 2), 2 + (i % 25)),
    }));
    const months = ['2025-03', '2025-04'];
    const merged = addToWindows(windowsOf(histogramOf(older), months, 3), histogramOf(newer), 3);
    const expected = windowThresholdLookup(windowsOf(histogramOf([...older, ...newer]), months, 3), 3);
    const actual = windowThresholdLookup(merged, 3);
    for (const time of [day(2025, 3, 5), day(2025, 4, 20)])
      for (const currency of ['EUR', 'PLN'])
        for (const direction of ['credit', 'debit'] as const) {
          const want = expected(currency, direction, time);
          expect(want?.comparable).toBeGreaterThan(20);
          expect(actual(currency, direction, time)).toEqual(want);
        }
    // The new rows raised the thresholds: without them the windows are not the same.
    expect(
      windowThresholdLookup(windowsOf(histogramOf(older), months, 3), 3)('EUR', 'credit', day(2025, 4, 2)),
    ).not.toEqual(expected('EUR', 'credit', day(2025, 4, 2)));
    // A month outside every window of the new rows is left as it was.
    const early = addToWindows(windowsOf(histogramOf(older), ['2025-01'], 3), histogramOf(newer), 3);
    expect(early.get('2025-01')).toEqual(windowsOf(histogramOf(older), ['2025-01'], 3).get('2025-01'));
  });
});
