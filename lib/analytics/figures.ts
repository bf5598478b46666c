/**
 * The dashboard's figures: one function per chart, each a few indexed reads of the summary tables kept by
 * ./refresh.ts (never an aggregate over the raw transactions), so every figure answers in milliseconds on a
 * 1M-transaction bank. The SQL views in sql/views/ expose the same figures to BI tools.
 *
 * Money: per-currency figures stay in their currency; figures that mix currencies (top clients, value
 * distribution) are in EUR at the indicative rates of analytics_fx_rates. Periods are booking days, `to` inclusive.
 */
import { query } from '../db/pool.js';
import { BUCKETS_PER_DECADE } from './summary-sql.js';
import { suspiciousTransactions } from './suspicious.js';

export const FIGURES = [
  'kpis',
  'transactions',
  'top-clients',
  'alerts',
  'locations',
  'suspicious',
  'distribution',
] as const;
export type Figure = (typeof FIGURES)[number];
export const GRANULARITIES = ['day', 'week', 'month'] as const;
export type Granularity = (typeof GRANULARITIES)[number];
export const RISKS = ['High', 'Medium', 'Low'] as const;

export interface Period {
  /** First booking day, `YYYY-MM-DD`. */
  from: string;
  /** Last booking day (inclusive), `YYYY-MM-DD`. */
  to: string;
}

export interface FigureQuery {
  from?: string;
  to?: string;
  granularity: Granularity;
  limit: number;
  risk?: (typeof RISKS)[number];
}

const num = (v: unknown) => Number(v ?? 0);
const money = (v: unknown) => Math.round(Number(v ?? 0) * 100) / 100;

/** The days the summaries cover (`null` when there are no transactions yet). */
export async function dataRange(): Promise<Period | null> {
  const [row] = await query<{ lo: string | null; hi: string | null }>(
    'SELECT MIN(day) AS lo, MAX(day) AS hi FROM analytics_daily_transactions',
  );
  return row?.lo && row.hi ? { from: row.lo, to: row.hi } : null;
}

/** The requested period, defaulting to the whole range of the data (or today when there is none). */
export async function resolvePeriod(q: Pick<FigureQuery, 'from' | 'to'>): Promise<Period> {
  if (q.from && q.to) return { from: q.from, to: q.to };
  const range = (await dataRange()) ?? {
    from: new Date().toISOString().slice(0, 10),
    to: new Date().toISOString().slice(0, 10),
  };
  return { from: q.from ?? range.from, to: q.to ?? range.to };
}

/** KPIs: the bank's size, volume per currency, open alerts by risk, the last backup. Not period-bound. */
export async function kpis() {
  const volume = await query(
    `SELECT currency, SUM(n) AS transactions, SUM(abs_sum) AS volume
       FROM analytics_daily_transactions WHERE status <> 'cancelled'
      GROUP BY currency ORDER BY volume DESC`,
  );
  const alerts = await query(
    `SELECT risk_level, SUM(alerts) AS alerts FROM analytics_alert_counts
      WHERE status IN ('open', 'investigating') GROUP BY risk_level`,
  );
  const [last] = await query(
    `SELECT id, status, started_at, finished_at, bytes_compressed, object_key, verify_status, verified_at
       FROM backup_runs ORDER BY started_at DESC, id DESC LIMIT 1`,
  );
  const [lastGood] = await query(
    `SELECT id, started_at, finished_at, bytes_compressed, verify_status, verified_at
       FROM backup_runs WHERE status = 'succeeded' ORDER BY started_at DESC, id DESC LIMIT 1`,
  );
  const [counts] = await query(
    `SELECT refreshed_at, clients, active_clients, accounts, active_accounts
       FROM analytics_refresh_state WHERE name = 'transactions'`,
  );
  const byRisk = Object.fromEntries(RISKS.map((r) => [r, 0])) as Record<(typeof RISKS)[number], number>;
  for (const a of alerts) byRisk[a.risk_level as (typeof RISKS)[number]] = num(a.alerts);
  const backup = (b: Record<string, unknown> | undefined) =>
    b
      ? {
          id: num(b.id),
          status: (b.status as string | undefined) ?? 'succeeded',
          started_at: String(b.started_at),
          finished_at: (b.finished_at as string | null) ?? null,
          bytes: b.bytes_compressed === null ? null : num(b.bytes_compressed),
          verified: b.verify_status === 'passed',
          verify_status: (b.verify_status as string | null) ?? null,
          verified_at: (b.verified_at as string | null) ?? null,
        }
      : null;
  return {
    clients: num(counts?.clients),
    active_clients: num(counts?.active_clients),
    accounts: num(counts?.accounts),
    active_accounts: num(counts?.active_accounts),
    volume_by_currency: volume.map((v) => ({
      currency: String(v.currency),
      transactions: num(v.transactions),
      volume: money(v.volume),
    })),
    open_alerts_by_risk: byRisk,
    last_backup: backup(last),
    last_successful_backup: backup(lastGood),
    data_range: await dataRange(),
    summaries_refreshed_at: (counts?.refreshed_at as string | undefined) ?? null,
  };
}

const PERIOD_SQL: Record<Granularity, string> = {
  day: 'd.day',
  week: 'DATE_SUB(d.day, INTERVAL WEEKDAY(d.day) DAY)',
  month: "DATE_FORMAT(d.day, '%Y-%m-01')",
};

/** Transactions over time: count and volume per period (day / week from Monday / month) and currency. */
export async function transactionsOverTime(period: Period, granularity: Granularity) {
  const rows = await query(
    `SELECT ${PERIOD_SQL[granularity]} AS period, d.currency, SUM(d.n) AS transactions, SUM(d.abs_sum) AS volume,
            SUM(d.abs_sum * COALESCE(fx.eur_rate, 1)) AS volume_eur
       FROM analytics_daily_transactions d LEFT JOIN analytics_fx_rates fx ON fx.currency = d.currency
      WHERE d.day BETWEEN ? AND ? AND d.status <> 'cancelled'
      GROUP BY period, d.currency ORDER BY period, d.currency`,
    [period.from, period.to],
  );
  return {
    period,
    granularity,
    rows: rows.map((r) => ({
      period: String(r.period),
      currency: String(r.currency),
      transactions: num(r.transactions),
      volume: money(r.volume),
      volume_eur: money(r.volume_eur),
    })),
  };
}

/** Top clients of all time by outgoing-transfer sum (EUR) and by number of transactions. */
export async function topClients(limit: number) {
  const ranked = (order: string) =>
    query(
      `SELECT ct.client_id, c.first_name, c.last_name, c.country, ct.transfer_sum_eur, ct.transfers, ct.transactions
         FROM analytics_client_totals ct JOIN clients c ON c.id = ct.client_id
        ORDER BY ${order} DESC LIMIT ?`,
      [limit],
    );
  const shape = (r: Record<string, unknown>) => ({
    client_id: num(r.client_id),
    name: `${String(r.first_name)} ${String(r.last_name)}`,
    country: String(r.country),
    transfer_sum_eur: money(r.transfer_sum_eur),
    transfers: num(r.transfers),
    transactions: num(r.transactions),
  });
  return {
    by_transfer_sum: (await ranked('ct.transfer_sum_eur')).map(shape),
    by_transactions: (await ranked('ct.transactions')).map(shape),
  };
}

/** Alerts on transactions booked in the period, by risk level and by reason (with their risk mix). */
export async function alertsBreakdown(period: Period) {
  const rows = await query(
    `SELECT risk_level, reason, SUM(alerts) AS alerts, SUM(CASE WHEN status = 'closed' THEN 0 ELSE alerts END) AS open
       FROM analytics_alert_counts WHERE day BETWEEN ? AND ?
      GROUP BY risk_level, reason`,
    [period.from, period.to],
  );
  const byRisk = RISKS.map((risk) => {
    const of = rows.filter((r) => r.risk_level === risk);
    return {
      risk_level: risk,
      alerts: of.reduce((s, r) => s + num(r.alerts), 0),
      open: of.reduce((s, r) => s + num(r.open), 0),
    };
  });
  const reasons = new Map<
    string,
    { reason: string; alerts: number; High: number; Medium: number; Low: number }
  >();
  for (const r of rows) {
    const reason = String(r.reason);
    const entry = reasons.get(reason) ?? { reason, alerts: 0, High: 0, Medium: 0, Low: 0 };
    entry.alerts += num(r.alerts);
    entry[r.risk_level as (typeof RISKS)[number]] += num(r.alerts);
    reasons.set(reason, entry);
  }
  return {
    period,
    by_risk: byRisk,
    by_reason: [...reasons.values()].sort((a, b) => b.alerts - a.alerts),
  };
}

/** Where clients live: per country, and the biggest cities. */
export async function clientLocations(limit: number) {
  const countries = await query(
    `SELECT country, SUM(clients) AS clients, COUNT(*) AS cities
       FROM analytics_client_locations GROUP BY country ORDER BY clients DESC`,
  );
  const cities = await query(
    'SELECT country, city, clients FROM analytics_client_locations ORDER BY clients DESC, city LIMIT ?',
    [limit],
  );
  return {
    countries: countries.map((c) => ({
      country: String(c.country),
      clients: num(c.clients),
      cities: num(c.cities),
    })),
    top_cities: cities.map((c) => ({
      country: String(c.country),
      city: String(c.city),
      clients: num(c.clients),
    })),
  };
}

/** Bins shown per power of ten (the summary keeps BUCKETS_PER_DECADE; bins merge them). */
export const BINS_PER_DECADE = 10;

/**
 * The amount (EUR) below which `share` of the counted transactions fall, interpolated log-linearly inside the
 * fine bucket where the cumulative count crosses it. Pure.
 *
 * @example percentileFromBuckets([{ bucket: 100, n: 10 }], 0.5) // ≈ 102.3 (half-way through [100, 104.7))
 */
export function percentileFromBuckets(buckets: ReadonlyArray<{ bucket: number; n: number }>, share: number) {
  const sorted = [...buckets].sort((a, b) => a.bucket - b.bucket);
  const total = sorted.reduce((s, b) => s + b.n, 0);
  if (total === 0) return null;
  const target = share * total;
  let seen = 0;
  for (const b of sorted) {
    if (seen + b.n >= target) {
      const within = b.n === 0 ? 0 : (target - seen) / b.n;
      return 10 ** ((b.bucket + within) / BUCKETS_PER_DECADE);
    }
    seen += b.n;
  }
  const last = sorted[sorted.length - 1] as { bucket: number };
  return 10 ** ((last.bucket + 1) / BUCKETS_PER_DECADE);
}

/** The distribution of |amount| in EUR on a log scale, with p95, p99 and the alerted transactions per bin. */
export async function valueDistribution(period: Period) {
  const months = [period.from.slice(0, 7), period.to.slice(0, 7)];
  const [fine, alerted] = await Promise.all([
    query(
      'SELECT bucket, SUM(n) AS n FROM analytics_amount_histogram WHERE month BETWEEN ? AND ? GROUP BY bucket',
      months,
    ),
    query(
      'SELECT bucket, SUM(transactions) AS n FROM analytics_alert_amounts WHERE month BETWEEN ? AND ? GROUP BY bucket',
      months,
    ),
  ]);
  const buckets = fine.map((b) => ({ bucket: num(b.bucket), n: num(b.n) }));
  const merge = BUCKETS_PER_DECADE / BINS_PER_DECADE;
  const bins = new Map<number, { transactions: number; alerted: number }>();
  const bin = (bucket: number) => {
    const key = Math.floor(bucket / merge);
    const entry = bins.get(key) ?? { transactions: 0, alerted: 0 };
    bins.set(key, entry);
    return entry;
  };
  for (const b of buckets) bin(b.bucket).transactions += b.n;
  for (const a of alerted) bin(num(a.bucket)).alerted += num(a.n);
  const round = (x: number | null) => (x === null ? null : Math.round(x * 100) / 100);
  return {
    period: { from: `${months[0]}-01`, to: period.to },
    unit: 'EUR',
    transactions: buckets.reduce((s, b) => s + b.n, 0),
    p95: round(percentileFromBuckets(buckets, 0.95)),
    p99: round(percentileFromBuckets(buckets, 0.99)),
    bins: [...bins.entries()]
      .sort(([a], [b]) => a - b)
      .map(([key, v]) => ({
        lower: round(10 ** (key / BINS_PER_DECADE)),
        upper: round(10 ** ((key + 1) / BINS_PER_DECADE)),
        ...v,
      })),
  };
}

/** Computes one figure. */
export async function figure(name: Figure, q: FigureQuery): Promise<unknown> {
  switch (name) {
    case 'kpis':
      return kpis();
    case 'top-clients':
      return topClients(q.limit);
    case 'locations':
      return clientLocations(q.limit);
    case 'transactions':
      return transactionsOverTime(await resolvePeriod(q), q.granularity);
    case 'alerts':
      return alertsBreakdown(await resolvePeriod(q));
    case 'suspicious':
      return suspiciousTransactions(await resolvePeriod(q), q.limit, q.risk);
    case 'distribution':
      return valueDistribution(await resolvePeriod(q));
  }
}
