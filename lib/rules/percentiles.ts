/**
 * Population percentiles for the high-amount rule, from a log-scale histogram the database computes in one
 * GROUP BY (see lib/scan/source.ts): per currency, direction and booking month, how many |amounts| fall in each
 * bucket [10^(b/K), 10^((b+1)/K)). With K = 100 a bucket is 2.3 % wide; the threshold reported is the upper edge of
 * the bucket holding the percentile, so an amount above it is above the true percentile.
 *
 * PLN and EUR amounts are never compared: groups are per currency. Credits and debits are separate groups.
 */
import type { AmountThresholds, ThresholdLookup } from './types.js';

export const BUCKETS_PER_DECADE = 100;

export interface HistogramRow {
  currency: string;
  direction: 'credit' | 'debit';
  /** 'YYYY-MM' */
  month: string;
  bucket: number;
  n: number;
}

/** The histogram bucket of an absolute amount (> 0). */
export function bucketOf(absAmount: number): number {
  return Math.floor(Math.log10(absAmount) * BUCKETS_PER_DECADE);
}

/** The upper edge of a bucket, rounded up to cents. */
export function bucketUpperEdge(bucket: number): number {
  return Math.ceil(10 ** ((bucket + 1) / BUCKETS_PER_DECADE) * 100) / 100;
}

const monthByDay = new Map<number, string>();

/** 'YYYY-MM' of a time in ms (UTC); memoised per day (the scan asks for every transaction). */
export function monthOf(time: number): string {
  const day = Math.floor(time / 86_400_000);
  let month = monthByDay.get(day);
  if (month === undefined) {
    month = new Date(day * 86_400_000).toISOString().slice(0, 7);
    if (monthByDay.size > 100_000) monthByDay.clear();
    monthByDay.set(day, month);
  }
  return month;
}

/** The `count` months ending with `month`, oldest first. */
export function trailingMonths(month: string, count: number): string[] {
  const [y, m] = month.split('-').map(Number) as [number, number];
  const months: string[] = [];
  for (let i = count - 1; i >= 0; i--) {
    const d = new Date(Date.UTC(y, m - 1 - i, 1));
    months.push(d.toISOString().slice(0, 7));
  }
  return months;
}

/** Nearest-rank percentile (0 < p < 1) of a bucket → count map. */
export function histogramPercentile(buckets: ReadonlyMap<number, number>, total: number, p: number): number {
  const rank = Math.max(1, Math.ceil(p * total));
  let seen = 0;
  for (const bucket of [...buckets.keys()].sort((a, b) => a - b)) {
    seen += buckets.get(bucket) as number;
    if (seen >= rank) return bucketUpperEdge(bucket);
  }
  return Number.POSITIVE_INFINITY;
}

type MonthBuckets = Map<string, Map<number, number>>;

/**
 * Bucket counts per currency, direction and month, filled row by row (the full scan counts every transaction it
 * reads) or from stored rows (the incremental scan reads scan_amount_histogram).
 */
export class AmountHistogram {
  private readonly groups = new Map<string, [credit: MonthBuckets, debit: MonthBuckets]>();
  private readonly today = new Map<
    string,
    { day: number; credit: Map<number, number>; debit: Map<number, number> }
  >();

  static of(rows: readonly HistogramRow[]): AmountHistogram {
    const h = new AmountHistogram();
    for (const r of rows) h.add(r.currency, r.direction, r.month, r.bucket, r.n);
    return h;
  }

  add(currency: string, direction: 'credit' | 'debit', month: string, bucket: number, n = 1): void {
    const buckets = this.bucketsOf(currency, direction, month);
    buckets.set(bucket, (buckets.get(bucket) ?? 0) + n);
  }

  private bucketsOf(currency: string, direction: 'credit' | 'debit', month: string): Map<number, number> {
    let group = this.groups.get(currency);
    if (!group) {
      group = [new Map(), new Map()];
      this.groups.set(currency, group);
    }
    const months = group[direction === 'debit' ? 1 : 0];
    let buckets = months.get(month);
    if (!buckets) {
      buckets = new Map();
      months.set(month, buckets);
    }
    return buckets;
  }

  /** Counts one transaction (zero amounts are not counted). */
  addAmount(currency: string, amount: number, time: number): void {
    if (amount === 0) return;
    // Rows come in booking order, so each currency's current day (and its month's buckets) is remembered: one
    // lookup per row instead of the month's name and three maps.
    const day = Math.floor(time / 86_400_000);
    let current = this.today.get(currency);
    if (current?.day !== day) {
      const month = monthOf(time);
      current = {
        day,
        credit: this.bucketsOf(currency, 'credit', month),
        debit: this.bucketsOf(currency, 'debit', month),
      };
      this.today.set(currency, current);
    }
    const buckets = amount < 0 ? current.debit : current.credit;
    const bucket = bucketOf(Math.abs(amount));
    buckets.set(bucket, (buckets.get(bucket) ?? 0) + 1);
  }

  months(currency: string, direction: 'credit' | 'debit'): MonthBuckets | undefined {
    return this.groups.get(currency)?.[direction === 'debit' ? 1 : 0];
  }

  rows(): HistogramRow[] {
    const rows: HistogramRow[] = [];
    for (const [currency, group] of this.groups) {
      for (const direction of ['credit', 'debit'] as const) {
        for (const [month, buckets] of group[direction === 'debit' ? 1 : 0]) {
          for (const [bucket, n] of buckets) rows.push({ currency, direction, month, bucket, n });
        }
      }
    }
    return rows;
  }
}

/**
 * Builds the lookup the high-amount rule uses: for a transaction in month M, the p95 and p99 of its group over the
 * `windowMonths` months ending with M. Results are memoised per (group, month): the full scan asks for a month
 * only once the histogram holds all of it.
 *
 * @example thresholdLookup(rows, 3)('EUR', 'debit', Date.UTC(2025, 4, 3))?.p95
 */
export function thresholdLookup(
  source: readonly HistogramRow[] | AmountHistogram,
  windowMonths: number,
): ThresholdLookup {
  const histogram = source instanceof AmountHistogram ? source : AmountHistogram.of(source);
  // Memoised per (currency, direction, day): the scan asks for every transaction, so no strings are built here.
  const memo = new Map<
    string,
    [Map<number, AmountThresholds | undefined>, Map<number, AmountThresholds | undefined>]
  >();
  // The thresholds depend on the month only: every day of a month shares one computation (and one object).
  const byMonth = new Map<string, AmountThresholds | undefined>();
  return (currency, direction, time) => {
    let byCurrency = memo.get(currency);
    if (!byCurrency) {
      byCurrency = [new Map(), new Map()];
      memo.set(currency, byCurrency);
    }
    const byDay = byCurrency[direction === 'debit' ? 1 : 0];
    const day = Math.floor(time / 86_400_000);
    if (byDay.has(day)) return byDay.get(day);
    const month = monthOf(time);
    const monthKey = `${currency}|${direction}|${month}`;
    if (byMonth.has(monthKey)) {
      const known = byMonth.get(monthKey);
      byDay.set(day, known);
      return known;
    }
    const months = histogram.months(currency, direction);
    let result: AmountThresholds | undefined;
    if (months) {
      const window = trailingMonths(month, windowMonths);
      const merged = new Map<number, number>();
      let total = 0;
      for (const m of window) {
        for (const [bucket, n] of months.get(m) ?? []) {
          merged.set(bucket, (merged.get(bucket) ?? 0) + n);
          total += n;
        }
      }
      if (total > 0) {
        result = {
          p95: histogramPercentile(merged, total, 0.95),
          p99: histogramPercentile(merged, total, 0.99),
          comparable: total,
          window: { from: window[0] as string, to: month },
        };
      }
    }
    byDay.set(day, result);
    byMonth.set(monthKey, result);
    return result;
  };
}

/** The months from `first` to `last` ('YYYY-MM', inclusive), oldest first. */
export function monthsBetween(first: string, last: string): string[] {
  const index = (month: string) => {
    const [y, m] = month.split('-').map(Number) as [number, number];
    return y * 12 + m;
  };
  const count = index(last) - index(first) + 1;
  return count > 0 ? trailingMonths(last, count) : [];
}

/**
 * The lookup for transactions of the months of `windows` only (thresholdLookup's figures), each month's from rows
 * that already sum its window (loadWindowHistograms in lib/scan/source.ts); other months have no thresholds.
 */
export function windowThresholdLookup(
  windows: ReadonlyMap<string, readonly HistogramRow[]>,
  windowMonths: number,
): ThresholdLookup {
  const lookups = new Map<string, ThresholdLookup>();
  for (const [month, rows] of windows) lookups.set(month, thresholdLookup(rows, windowMonths));
  return (currency, direction, time) => lookups.get(monthOf(time))?.(currency, direction, time);
}

/**
 * `windows` (each month's window, summed: loadWindowHistograms) with the counts of `extra` (histogram rows of
 * transactions the windows do not hold yet) added to the window of every month they fall in.
 */
export function addToWindows(
  windows: ReadonlyMap<string, readonly HistogramRow[]>,
  extra: readonly HistogramRow[],
  windowMonths: number,
): Map<string, HistogramRow[]> {
  const out = new Map<string, HistogramRow[]>();
  for (const [month, rows] of windows) {
    const inWindow = new Set(trailingMonths(month, windowMonths));
    const merged = [...rows];
    for (const r of extra) if (inWindow.has(r.month)) merged.push({ ...r, month });
    out.set(month, merged);
  }
  return out;
}

/** A histogram of plain amounts: the same rows the database would return (a chunk's own rows, tests, fixtures). */
export function histogramOf(
  txns: ReadonlyArray<{ amount: number; currency: string; time: number }>,
): HistogramRow[] {
  const histogram = new AmountHistogram();
  for (const t of txns) histogram.addAmount(t.currency, t.amount, t.time);
  return histogram.rows();
}
