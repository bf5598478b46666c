/**
 * `npm run bench -- dashboard [--iterations N] [--baseline-runs N]`: p50 / p95 of every dashboard data endpoint
 * (GET /dashboard/data/<figure>, the whole handler in-process: auth, validation, freshness check, queries, JSON),
 * against a baseline measured in the same run: the same figure computed from the raw tables (what a plain view
 * over transactions/alerts would do). Run it on the 1M-transaction bank:
 *
 *   MYSQL_URL=mysql://root@127.0.0.1:3306/fm_bench npm run seed -- --reset --transactions 1000000 --clients 50000
 *   MYSQL_URL=… npm run scan -- --full && MYSQL_URL=… npm run analytics:refresh
 *   MYSQL_URL=… npm run bench -- dashboard
 */
import type { Context } from 'aws-lambda';
import { handler } from '../functions/dashboard-data.js';
import { FIGURES, type Figure } from '../lib/analytics/figures.js';
import { refreshAnalytics } from '../lib/analytics/refresh.js';
import { defineCli } from '../lib/cli/args.js';
import { query } from '../lib/db/pool.js';
import { TRANSACTION_TYPES } from '../lib/domain/bank.js';
import { LOCAL_DEV_KEYS } from '../lib/http/auth.js';
import { percentile } from './lib.js';

export const description = 'p50/p95 of each dashboard data endpoint vs the same figure from the raw tables';

const BUDGET_MS = 300;
const KEY = LOCAL_DEV_KEYS[0]?.key ?? '';
const TRANSFERS = TRANSACTION_TYPES.filter((t) => t.transfer).map((t) => t.type);

/** The query string each endpoint is benchmarked with (a year of data: the dashboard's default view). */
const PARAMS: Record<Figure, Record<string, string>> = {
  kpis: {},
  transactions: { granularity: 'week' },
  'top-clients': { limit: '10' },
  alerts: {},
  locations: { limit: '10' },
  suspicious: { risk: 'High', limit: '15' },
  distribution: {},
};

/** The same figures straight from the raw tables. */
const BASELINE: Record<Figure, (from: string, to: string) => Promise<unknown>> = {
  kpis: () =>
    Promise.all([
      query(`SELECT (SELECT COUNT(*) FROM clients) AS c, (SELECT COUNT(*) FROM clients WHERE is_active = 'Yes') AS ac,
                    (SELECT COUNT(*) FROM accounts) AS a, (SELECT COUNT(*) FROM accounts WHERE is_active = 1) AS aa`),
      query(
        "SELECT currency, COUNT(*), SUM(ABS(amount)) FROM transactions WHERE status <> 'cancelled' GROUP BY currency",
      ),
      query("SELECT risk_level, COUNT(*) FROM alerts WHERE status <> 'closed' GROUP BY risk_level"),
    ]),
  transactions: (from, to) =>
    query(
      `SELECT DATE_SUB(DATE(date), INTERVAL WEEKDAY(date) DAY) AS p, currency, COUNT(*), SUM(ABS(amount))
         FROM transactions WHERE date >= ? AND date < ? + INTERVAL 1 DAY AND status <> 'cancelled'
        GROUP BY p, currency`,
      [from, to],
    ),
  'top-clients': () =>
    Promise.all(
      ['s', 'n'].map((order) =>
        query(
          `SELECT a.client_id, COUNT(*) AS n,
                  SUM(CASE WHEN tt.type IN (?) THEN ABS(t.amount) * COALESCE(fx.eur_rate, 1) ELSE 0 END) AS s
             FROM transactions t JOIN accounts a ON a.id = t.account_id
             JOIN transaction_types tt ON tt.id = t.transaction_type_id
             LEFT JOIN analytics_fx_rates fx ON fx.currency = t.currency
            WHERE t.status <> 'cancelled' GROUP BY a.client_id ORDER BY ${order} DESC LIMIT 10`,
          [TRANSFERS],
        ),
      ),
    ),
  alerts: (from, to) =>
    query(
      `SELECT al.risk_level, al.reason, COUNT(*), SUM(al.status <> 'closed') FROM alerts al
         JOIN transactions t ON t.id = al.transaction_id
        WHERE t.date >= ? AND t.date < ? + INTERVAL 1 DAY GROUP BY al.risk_level, al.reason`,
      [from, to],
    ),
  locations: () =>
    query('SELECT country, city, COUNT(DISTINCT client_id) AS n FROM locations GROUP BY country, city'),
  suspicious: (from, to) =>
    query(
      `SELECT al.transaction_id, MAX(al.id) AS newest, GROUP_CONCAT(al.reason) AS reasons,
              MIN(FIELD(al.risk_level, 'High', 'Medium', 'Low')) AS top_risk, MAX(t.amount), MAX(c.last_name)
         FROM alerts al JOIN transactions t ON t.id = al.transaction_id
         JOIN accounts a ON a.id = t.account_id JOIN clients c ON c.id = a.client_id
        WHERE al.status IN ('open', 'investigating') AND t.date >= ? AND t.date < ? + INTERVAL 1 DAY
        GROUP BY al.transaction_id HAVING top_risk = 1
        ORDER BY newest DESC LIMIT 15`,
      [from, to],
    ),
  distribution: (from, to) =>
    Promise.all([
      query(
        `SELECT FLOOR(LOG10(ABS(t.amount) * COALESCE(fx.eur_rate, 1)) * 50) AS b, COUNT(*) FROM transactions t
           LEFT JOIN analytics_fx_rates fx ON fx.currency = t.currency
          WHERE t.date >= ? AND t.date < ? + INTERVAL 1 DAY AND t.status <> 'cancelled' AND t.amount <> 0
          GROUP BY b`,
        [from, to],
      ),
      query(
        `SELECT FLOOR(LOG10(ABS(t.amount) * COALESCE(fx.eur_rate, 1)) * 50) AS b, COUNT(DISTINCT t.id)
           FROM alerts al JOIN transactions t ON t.id = al.transaction_id
           LEFT JOIN analytics_fx_rates fx ON fx.currency = t.currency
          WHERE t.date >= ? AND t.date < ? + INTERVAL 1 DAY AND t.amount <> 0 GROUP BY b`,
        [from, to],
      ),
    ]),
};

async function callEndpoint(figure: Figure): Promise<number> {
  const params = PARAMS[figure];
  const event = {
    version: '2.0',
    routeKey: 'GET /dashboard/data/{figure}',
    rawPath: `/dashboard/data/${figure}`,
    rawQueryString: new URLSearchParams(params).toString(),
    headers: { 'x-api-key': KEY },
    pathParameters: { figure },
    queryStringParameters: Object.keys(params).length > 0 ? params : undefined,
    requestContext: { http: { method: 'GET', path: `/dashboard/data/${figure}` }, requestId: 'bench' },
    isBase64Encoded: false,
  };
  const started = performance.now();
  const result = await handler(event as never, { awsRequestId: 'bench' } as Context);
  const ms = performance.now() - started;
  if (result.statusCode !== 200) throw new Error(`${figure} answered ${result.statusCode}: ${result.body}`);
  return ms;
}

async function timeMs(work: () => Promise<unknown>): Promise<number> {
  const started = performance.now();
  await work();
  return performance.now() - started;
}

const cli = defineCli({
  usage: 'npm run bench -- dashboard [options]',
  description:
    'p50 / p95 of every dashboard data endpoint on the database at MYSQL_URL, against the same figure from the raw tables.',
  options: {
    iterations: {
      type: 'integer',
      min: 1,
      max: 10_000,
      default: 40,
      help: 'calls per endpoint (default 40)',
    },
    'baseline-runs': {
      type: 'integer',
      min: 1,
      max: 100,
      default: 3,
      help: 'runs of each raw-table baseline (default 3)',
    },
  },
});

export async function run(args: string[]): Promise<void> {
  const values = cli.parse(args);
  if (!values) return;
  const { iterations, 'baseline-runs': baselineRuns } = values;
  const [size] = await query<{ n: number }>('SELECT COUNT(*) AS n FROM transactions');
  const prep = await refreshAnalytics();
  const [range] = await query<{ lo: string; hi: string }>(
    'SELECT MIN(day) AS lo, MAX(day) AS hi FROM analytics_daily_transactions',
  );
  if (!range?.lo)
    throw new Error('no transactions: seed the database first (see the header of bench/dashboard.ts)');
  console.log(
    `dashboard data endpoints on ${Number(size?.n).toLocaleString('en-GB')} transactions (${range.lo} .. ${range.hi}); summaries ${prep.status}; ${iterations} calls per endpoint, ${baselineRuns} baseline runs`,
  );
  console.log(
    `\n  ${'figure'.padEnd(14)} ${'p50 ms'.padStart(8)} ${'p95 ms'.padStart(8)} ${'baseline p50 ms'.padStart(16)} ${'speed-up'.padStart(9)}  budget ${BUDGET_MS} ms`,
  );
  let over = 0;
  for (const figure of FIGURES) {
    await callEndpoint(figure); // warm: first call of the container, pool connections
    const samples: number[] = [];
    for (let i = 0; i < iterations; i++) samples.push(await callEndpoint(figure));
    const base: number[] = [];
    for (let i = 0; i < baselineRuns; i++)
      base.push(await timeMs(() => BASELINE[figure](range.lo, range.hi)));
    const p50 = percentile(samples, 50);
    const p95 = percentile(samples, 95);
    const b50 = percentile(base, 50);
    if (p95 > BUDGET_MS) over++;
    console.log(
      `  ${figure.padEnd(14)} ${p50.toFixed(1).padStart(8)} ${p95.toFixed(1).padStart(8)} ${b50.toFixed(0).padStart(16)} ${`${(b50 / p50).toFixed(0)}×`.padStart(9)}  ${p95 <= BUDGET_MS ? 'ok' : 'OVER'}`,
    );
  }
  console.log(
    over === 0
      ? `\nevery endpoint within ${BUDGET_MS} ms p95`
      : `\n${over} endpoint(s) over ${BUDGET_MS} ms p95`,
  );
}
