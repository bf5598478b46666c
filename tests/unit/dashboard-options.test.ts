import { describe, expect, it } from 'vitest';
import { percentileFromBuckets } from '../../lib/analytics/figures.js';
import { BUCKETS_PER_DECADE } from '../../lib/analytics/summary-sql.js';
import { CHARTS, dashboardHtml } from '../../lib/dashboard/html.js';
import {
  alertsByRiskOptions,
  distributionOptions,
  mapOptions,
  transactionsOptions,
} from '../../lib/dashboard/page/options.js';
import { figureQuerySchema } from '../../lib/dashboard/query.js';

type Series = Array<{ name: string; data: unknown[]; markLine?: { data: Array<{ xAxis: number }> } }>;

describe('percentileFromBuckets', () => {
  it('interpolates inside the bucket where the cumulative count crosses the share', () => {
    const p = percentileFromBuckets([{ bucket: 100, n: 10 }], 0.5) as number;
    expect(p).toBeCloseTo(10 ** (100.5 / BUCKETS_PER_DECADE), 6);
  });

  it('finds p95 in the upper tail and returns null for no data', () => {
    const buckets = [
      { bucket: 100, n: 90 },
      { bucket: 150, n: 9 },
      { bucket: 200, n: 1 },
    ];
    const p95 = percentileFromBuckets(buckets, 0.95) as number;
    expect(p95).toBeGreaterThan(10 ** 3);
    expect(p95).toBeLessThan(10 ** (151 / BUCKETS_PER_DECADE));
    expect(percentileFromBuckets([], 0.95)).toBeNull();
  });
});

describe('dashboard chart options', () => {
  it('stacks transactions by currency per period, with the EUR volume line', () => {
    const o = transactionsOptions({
      granularity: 'month',
      rows: [
        { period: '2025-01-01', currency: 'EUR', transactions: 5, volume_eur: 100 },
        { period: '2025-01-01', currency: 'PLN', transactions: 2, volume_eur: 10 },
        { period: '2025-02-01', currency: 'EUR', transactions: 3, volume_eur: 50 },
      ],
    });
    const series = o.series as Series;
    expect(series.map((s) => s.name)).toEqual(['EUR', 'PLN', 'volume (EUR)']);
    expect(series[0]?.data).toEqual([5, 3]);
    expect(series[1]?.data).toEqual([2, 0]);
    expect(series[2]?.data).toEqual([110, 50]);
  });

  it('always shows the three risk levels, open and closed', () => {
    const o = alertsByRiskOptions({ by_risk: [{ risk_level: 'High', alerts: 4, open: 3 }], by_reason: [] });
    const [open, closed] = o.series as Series;
    expect(open?.data).toHaveLength(3);
    expect(closed?.data[0]).toMatchObject({ value: 1 });
  });

  it('draws p95 and p99 lines and marks only bins with alerted transactions', () => {
    const o = distributionOptions({
      p95: 900,
      p99: 5000,
      bins: [
        { lower: 10, upper: 12.59, transactions: 100, alerted: 0 },
        { lower: 1000, upper: 1258.93, transactions: 5, alerted: 2 },
      ],
    });
    const [tx, alerted] = o.series as Series;
    expect(tx?.markLine?.data.map((l) => l.xAxis)).toEqual([900, 5000]);
    expect(alerted?.data).toHaveLength(1);
    expect((o.xAxis as { type: string }).type).toBe('log');
  });

  it('names countries as the map geometry does', () => {
    const o = mapOptions({ countries: [{ country: 'GB', clients: 3 }], top_cities: [] }, 'europe');
    const [map] = o.series as Series;
    expect(map?.data).toEqual([{ name: 'United Kingdom', value: 3 }]);
  });
});

describe('dashboard page and query contract', () => {
  it('gives every chart a heading, a caption and an accessible chart element', () => {
    const html = dashboardHtml();
    for (const c of CHARTS) {
      expect(html).toContain(`id="h-${c.id}"`);
      expect(html).toContain(`id="c-${c.id}"`);
      expect(html).toContain(`aria-labelledby="h-${c.id}" aria-describedby="c-${c.id}" tabindex="0"`);
    }
  });

  it('accepts a period and granularity and refuses nonsense', () => {
    expect(
      figureQuerySchema.parse({ from: '2025-01-01', to: '2025-01-31', granularity: 'day' }),
    ).toMatchObject({
      granularity: 'day',
      limit: 10,
    });
    expect(figureQuerySchema.safeParse({ from: '2025-02-29' }).success).toBe(false);
    expect(figureQuerySchema.safeParse({ from: '2025-03-01', to: '2025-02-01' }).success).toBe(false);
    expect(figureQuerySchema.safeParse({ limit: '500' }).success).toBe(false);
    expect(figureQuerySchema.safeParse({ extra: '1' }).success).toBe(false);
  });
});

describe('axis labels', () => {
  it('never rounds a tick onto its neighbour', async () => {
    const { shortNumber } = await import('../../lib/dashboard/page/options.js');
    expect([900, 1000, 1200, 1500, 2000, 25_000, 1_250_000].map(shortNumber)).toEqual([
      '900',
      '1k',
      '1.2k',
      '1.5k',
      '2k',
      '25k',
      '1.3M',
    ]);
  });
});
