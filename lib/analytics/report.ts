/**
 * The exploratory report (what the brief did in Jupyter): one self-contained HTML file — a profile of every table
 * (rows, columns, null %, distinct counts, min/max), summary statistics, distributions and anomaly statistics by
 * rule, risk, country and month, with SVG charts rendered server-side by ECharts (no script, no network).
 *
 * The column profile reads every table once (COUNT DISTINCT per column): seconds on the 1M-transaction bank. The
 * distributions read the summary tables (refreshed first) and the anomaly statistics reuse lib/scan/report.ts.
 */
import * as echarts from 'echarts';
import { query } from '../db/pool.js';
import { resolveDbSettings } from '../db/settings.js';
import { escapeHtml } from '../html/escape.js';
import { anomalyReport, type ReportRow } from '../scan/report.js';
import { percentileFromBuckets } from './figures.js';
import { refreshAnalytics } from './refresh.js';
import { BUCKETS_PER_DECADE } from './summary-sql.js';

export interface ColumnProfile {
  column: string;
  type: string;
  nullPercent: number;
  distinct: number | null;
  min: string | null;
  max: string | null;
}

export interface TableProfile {
  table: string;
  rows: number;
  columns: ColumnProfile[];
}

/** The section ids of the report, in order (tests check every one is there). */
export const REPORT_SECTIONS = [
  'overview',
  'table-profiles',
  'summary-statistics',
  'distributions',
  'anomalies',
] as const;

const fmt = (n: number, digits = 0) =>
  n.toLocaleString('en-GB', { minimumFractionDigits: digits, maximumFractionDigits: digits });
const ident = (name: string) => `\`${name.replace(/`/g, '``')}\``;
const UNCOUNTABLE = /^(json|text|mediumtext|longtext|blob|mediumblob|longblob|tinytext|tinyblob)$/;

/** Profiles every base table of the current database: one aggregate query per table. */
export async function profileTables(): Promise<TableProfile[]> {
  const { database } = await resolveDbSettings();
  const columns = await query<{ t: string; c: string; dt: string; ct: string }>(
    `SELECT c.TABLE_NAME AS t, c.COLUMN_NAME AS c, c.DATA_TYPE AS dt, c.COLUMN_TYPE AS ct
       FROM information_schema.COLUMNS c
       JOIN information_schema.TABLES tb ON tb.TABLE_SCHEMA = c.TABLE_SCHEMA AND tb.TABLE_NAME = c.TABLE_NAME
      WHERE c.TABLE_SCHEMA = ? AND tb.TABLE_TYPE = 'BASE TABLE'
      ORDER BY c.TABLE_NAME, c.ORDINAL_POSITION`,
    [database],
  );
  const tables = [...new Set(columns.map((c) => c.t))];
  const profiles: TableProfile[] = [];
  for (const table of tables) {
    const cols = columns.filter((c) => c.t === table);
    const parts = ['COUNT(*) AS n'];
    cols.forEach((c, i) => {
      const col = ident(c.c);
      parts.push(`SUM(${col} IS NULL) AS n${i}`);
      if (!UNCOUNTABLE.test(c.dt.toLowerCase())) {
        parts.push(`COUNT(DISTINCT ${col}) AS d${i}`, `MIN(${col}) AS lo${i}`, `MAX(${col}) AS hi${i}`);
      }
    });
    const [row] = await query(`SELECT ${parts.join(', ')} FROM ${ident(table)}`);
    const rows = Number(row?.n ?? 0);
    profiles.push({
      table,
      rows,
      columns: cols.map((c, i) => {
        const countable = !UNCOUNTABLE.test(c.dt.toLowerCase());
        const text = (v: unknown) => (v === null || v === undefined ? null : String(v).slice(0, 40));
        return {
          column: c.c,
          type: c.ct,
          nullPercent: rows === 0 ? 0 : (Number(row?.[`n${i}`] ?? 0) / rows) * 100,
          distinct: countable ? Number(row?.[`d${i}`] ?? 0) : null,
          min: countable ? text(row?.[`lo${i}`]) : null,
          max: countable ? text(row?.[`hi${i}`]) : null,
        };
      }),
    });
  }
  return profiles;
}

/** One ECharts chart as an SVG string (server-side rendering: no DOM, no script in the output). */
export function svgChart(option: Record<string, unknown>, width = 760, height = 300): string {
  const chart = echarts.init(null, null, { renderer: 'svg', ssr: true, width, height });
  chart.setOption({
    animation: false,
    grid: { left: 8, right: 24, top: 30, bottom: 8, containLabel: true },
    ...option,
  });
  const svg = chart.renderToSVGString();
  chart.dispose();
  return svg;
}

function barChart(
  labels: string[],
  series: Array<{ name: string; data: number[]; color?: string }>,
  opts: { horizontal?: boolean; stack?: boolean } = {},
) {
  const category = { type: 'category', data: labels, axisLabel: { fontSize: 10 } };
  const value = { type: 'value' };
  return svgChart(
    {
      legend: series.length > 1 ? { top: 0 } : undefined,
      xAxis: opts.horizontal ? value : category,
      yAxis: opts.horizontal ? category : value,
      series: series.map((s) => ({
        name: s.name,
        type: 'bar',
        stack: opts.stack ? 'all' : undefined,
        data: s.data,
        itemStyle: s.color ? { color: s.color } : undefined,
      })),
    },
    760,
    opts.horizontal ? Math.max(220, labels.length * 24 + 60) : 300,
  );
}

const RISK_SERIES = (rows: ReportRow[]) => [
  { name: 'High', data: rows.map((r) => r.high), color: '#c0392b' },
  { name: 'Medium', data: rows.map((r) => r.medium), color: '#e67e22' },
  { name: 'Low', data: rows.map((r) => r.low), color: '#7f8c8d' },
];

function table(headers: string[], rows: Array<Array<string | number>>, numeric: boolean[] = []): string {
  return `<table><thead><tr>${headers.map((h, i) => `<th${numeric[i] ? ' class="num"' : ''}>${escapeHtml(h)}</th>`).join('')}</tr></thead><tbody>${rows
    .map(
      (r) =>
        `<tr>${r.map((v, i) => `<td${numeric[i] ? ' class="num"' : ''}>${escapeHtml(v)}</td>`).join('')}</tr>`,
    )
    .join('')}</tbody></table>`;
}

const anomalyTable = (rows: ReportRow[]) =>
  table(
    ['key', 'alerts', 'transactions', 'High', 'Medium', 'Low'],
    rows.map((r) => [r.key, fmt(r.alerts), fmt(r.transactions), fmt(r.high), fmt(r.medium), fmt(r.low)]),
    [false, true, true, true, true, true],
  );

const CSS = `body{font-family:system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:#1d2433;margin:0 auto;max-width:1100px;padding:24px;line-height:1.45}
h1{margin:0 0 4px}h2{border-bottom:2px solid #d9dee7;padding-bottom:4px;margin-top:40px}h3{margin:24px 0 6px}
table{border-collapse:collapse;width:100%;font-size:13px;margin:8px 0 16px}th,td{padding:4px 8px;border-bottom:1px solid #e3e6ec;text-align:left}
th{color:#5b6474}td.num,th.num{text-align:right;font-variant-numeric:tabular-nums}.muted{color:#5b6474}
figure{margin:8px 0 20px}figcaption{color:#5b6474;font-size:13px}nav a{margin-right:12px}details{margin:6px 0}`;

type Rows = Awaited<ReturnType<typeof query>>;

/** Amount buckets of the analytics histogram (|amount| in EUR, BUCKETS_PER_DECADE per power of ten). */
type AmountBuckets = Array<{ bucket: number; n: number }>;

interface ReportData {
  database: string;
  profiles: TableProfile[];
  statistics: { amounts: Rows; balances: Rows; statuses: Rows; buckets: AmountBuckets };
  distributions: { monthly: Rows; types: Rows; countries: Rows; ages: Rows; perClient: Rows };
  anomalies: Awaited<ReturnType<typeof anomalyReport>>;
}

async function readStatistics(): Promise<ReportData['statistics']> {
  const amounts = await query(
    `SELECT currency, COUNT(*) AS n, AVG(amount) AS mean, STDDEV_POP(amount) AS sd, MIN(amount) AS lo,
            MAX(amount) AS hi, AVG(ABS(amount)) AS mean_abs
       FROM transactions WHERE status <> 'cancelled' GROUP BY currency ORDER BY n DESC`,
  );
  const balances = await query(
    `SELECT account_type, currency, COUNT(*) AS n, AVG(balance) AS mean, MIN(balance) AS lo, MAX(balance) AS hi
       FROM accounts GROUP BY account_type, currency ORDER BY account_type, currency`,
  );
  const statuses = await query(
    'SELECT status, COUNT(*) AS n FROM transactions GROUP BY status ORDER BY n DESC',
  );
  const histogram = await query<{ bucket: number; n: number }>(
    'SELECT bucket, SUM(n) AS n FROM analytics_amount_histogram GROUP BY bucket ORDER BY bucket',
  );
  const buckets = histogram.map((h) => ({ bucket: Number(h.bucket), n: Number(h.n) }));
  return { amounts, balances, statuses, buckets };
}

async function readDistributions(): Promise<ReportData['distributions']> {
  const monthly = await query(
    `SELECT DATE_FORMAT(day, '%Y-%m') AS month, SUM(n) AS n FROM analytics_daily_transactions
      WHERE status <> 'cancelled' GROUP BY month ORDER BY month`,
  );
  const types = await query(
    `SELECT tt.type, SUM(d.n) AS n FROM analytics_daily_transactions d
       JOIN transaction_types tt ON tt.id = d.transaction_type_id GROUP BY tt.type ORDER BY n DESC`,
  );
  const countries = await query(
    'SELECT country, SUM(clients) AS n FROM analytics_client_locations GROUP BY country ORDER BY n DESC',
  );
  const ages = await query(
    `SELECT FLOOR(TIMESTAMPDIFF(YEAR, birth_date, CURDATE()) / 10) * 10 AS decade, COUNT(*) AS n
       FROM clients GROUP BY decade ORDER BY decade`,
  );
  const perClient = await query(
    `SELECT n, COUNT(*) AS clients FROM (SELECT client_id, COUNT(*) AS n FROM accounts GROUP BY client_id) x
      GROUP BY n ORDER BY n`,
  );
  return { monthly, types, countries, ages, perClient };
}

/** Everything the report shows, read after the summary tables were brought up to date. */
async function readReportData(): Promise<ReportData> {
  await refreshAnalytics({ waitSeconds: 120 });
  const { database } = await resolveDbSettings();
  const profiles = await profileTables();
  const statistics = await readStatistics();
  const distributions = await readDistributions();
  const anomalies = await anomalyReport();
  return { database, profiles, statistics, distributions, anomalies };
}

const section = (id: (typeof REPORT_SECTIONS)[number], title: string, body: string) =>
  `<section id="${id}"><h2>${escapeHtml(title)}</h2>${body}</section>`;
const figure = (svg: string, caption: string) =>
  `<figure>${svg}<figcaption>${escapeHtml(caption)}</figcaption></figure>`;

/** The bank's tables and their row counts. */
function overviewSection(database: string, profiles: TableProfile[], now: Date): string {
  const bank = ['clients', 'locations', 'accounts', 'transactions', 'transaction_types', 'alerts'];
  const byName = new Map(profiles.map((p) => [p.table, p]));
  return section(
    'overview',
    'Overview',
    `<p>Database <strong>${escapeHtml(database)}</strong>, generated ${escapeHtml(now.toISOString())}.</p>${table(
      ['table', 'rows'],
      bank.filter((t) => byName.has(t)).map((t) => [t, fmt(byName.get(t)?.rows ?? 0)]),
      [false, true],
    )}`,
  );
}

function profilesSection(profiles: TableProfile[]): string {
  return section(
    'table-profiles',
    'Table profiles',
    `<p class="muted">Every table of the database: its rows, and per column the share of NULLs, the distinct values and the range (JSON and text columns: NULLs only).</p>${profiles
      .map(
        (p) =>
          `<h3 id="profile-${escapeHtml(p.table)}">${escapeHtml(p.table)} <span class="muted">(${fmt(p.rows)} rows)</span></h3>${table(
            ['column', 'type', 'null %', 'distinct', 'min', 'max'],
            p.columns.map((c) => [
              c.column,
              c.type,
              c.nullPercent.toFixed(1),
              c.distinct === null ? '–' : fmt(c.distinct),
              c.min ?? '–',
              c.max ?? '–',
            ]),
            [false, false, true, true, false, false],
          )}`,
      )
      .join('')}`,
  );
}

function statisticsSection({ amounts, balances, statuses, buckets }: ReportData['statistics']): string {
  const pct = (p: number) => percentileFromBuckets(buckets, p);
  return section(
    'summary-statistics',
    'Summary statistics',
    `<h3>Transaction amounts per currency (signed; cancelled excluded)</h3>${table(
      ['currency', 'transactions', 'mean', 'std dev', 'min', 'max', 'mean |amount|'],
      amounts.map((a) => [
        String(a.currency),
        fmt(Number(a.n)),
        fmt(Number(a.mean), 2),
        fmt(Number(a.sd), 2),
        fmt(Number(a.lo), 2),
        fmt(Number(a.hi), 2),
        fmt(Number(a.mean_abs), 2),
      ]),
      [false, true, true, true, true, true, true],
    )}
    <p>Percentiles of |amount| in EUR (indicative rates, ~5% bucket precision): p50 ${fmt(pct(0.5) ?? 0, 2)}, p95 ${fmt(pct(0.95) ?? 0, 2)}, p99 ${fmt(pct(0.99) ?? 0, 2)}.</p>
    <h3>Transaction status</h3>${table(
      ['status', 'transactions'],
      statuses.map((s) => [String(s.status), fmt(Number(s.n))]),
      [false, true],
    )}
    <h3>Account balances by type and currency</h3>${table(
      ['type', 'currency', 'accounts', 'mean', 'min', 'max'],
      balances.map((b) => [
        String(b.account_type),
        String(b.currency),
        fmt(Number(b.n)),
        fmt(Number(b.mean), 2),
        fmt(Number(b.lo), 2),
        fmt(Number(b.hi), 2),
      ]),
      [false, false, true, true, true, true],
    )}`,
  );
}

/** Transaction values by power of ten, with the p95 and p99 in the caption: a log scale. */
function valueFigure(buckets: AmountBuckets): string {
  const decadeBins = new Map<number, number>();
  for (const b of buckets) {
    const decade = Math.floor(b.bucket / BUCKETS_PER_DECADE);
    decadeBins.set(decade, (decadeBins.get(decade) ?? 0) + b.n);
  }
  const decades = [...decadeBins.keys()].sort((a, b) => a - b);
  const p95 = percentileFromBuckets(buckets, 0.95);
  const p99 = percentileFromBuckets(buckets, 0.99);
  return figure(
    barChart(
      decades.map((d) => `€${fmt(10 ** d, d < 0 ? 2 : 0)}–${fmt(10 ** (d + 1), d < -1 ? 2 : 0)}`),
      [{ name: 'transactions', data: decades.map((d) => decadeBins.get(d) ?? 0), color: '#16a085' }],
    ),
    `Transaction values by power of ten (|amount| in EUR): a log scale. p95 = €${fmt(p95 ?? 0)}, p99 = €${fmt(p99 ?? 0)}.`,
  );
}

/** One bar chart of a (label, count) query result as a figure. */
function countFigure(
  rows: Rows,
  label: (row: Rows[number]) => string,
  count: (row: Rows[number]) => number,
  series: { name: string; color: string },
  caption: string,
  horizontal = false,
): string {
  return figure(
    barChart(rows.map(label), [{ ...series, data: rows.map(count) }], horizontal ? { horizontal } : {}),
    caption,
  );
}

function distributionsSection(
  { monthly, types, countries, ages, perClient }: ReportData['distributions'],
  buckets: AmountBuckets,
): string {
  return section(
    'distributions',
    'Distributions',
    [
      countFigure(
        monthly,
        (m) => String(m.month),
        (m) => Number(m.n),
        { name: 'transactions', color: '#1f5fbf' },
        'Transactions per booking month.',
      ),
      valueFigure(buckets),
      countFigure(
        types,
        (t) => String(t.type),
        (t) => Number(t.n),
        { name: 'transactions', color: '#8e44ad' },
        'Transactions by type.',
        true,
      ),
      countFigure(
        countries,
        (c) => String(c.country),
        (c) => Number(c.n),
        { name: 'clients', color: '#2e9e6b' },
        'Clients by country.',
      ),
      countFigure(
        ages,
        (a) => `${a.decade}s`,
        (a) => Number(a.n),
        { name: 'clients', color: '#d4a017' },
        'Clients by age (decade).',
      ),
      countFigure(
        perClient,
        (p) => `${p.n} account(s)`,
        (p) => Number(p.clients),
        { name: 'clients', color: '#5b6474' },
        'Accounts per client.',
      ),
    ].join(''),
  );
}

/** One breakdown of the alerts: a stacked chart by risk level (when `chart` is given) and its table. */
function breakdown(
  id: string,
  title: string,
  rows: ReportRow[],
  chart?: { caption: string; horizontal?: boolean },
): string {
  const svg = chart
    ? figure(
        barChart(
          rows.map((r) => r.key),
          RISK_SERIES(rows),
          chart.horizontal ? { horizontal: true, stack: true } : { stack: true },
        ),
        chart.caption,
      )
    : '';
  return `<h3 id="${id}">${title}</h3>${svg}${anomalyTable(rows)}`;
}

function anomaliesSection(anomalies: ReportData['anomalies']): string {
  const t = anomalies.totals;
  const lastRun = anomalies.lastRun
    ? ` Last scan #${anomalies.lastRun.id} (${escapeHtml(anomalies.lastRun.mode)}, ${escapeHtml(anomalies.lastRun.status)}) at ${escapeHtml(anomalies.lastRun.startedAt)}.`
    : ' No scan has run yet.';
  return section(
    'anomalies',
    'Anomaly statistics',
    `<p>${fmt(t.alerts)} alerts on ${fmt(t.transactions)} transactions (system ${fmt(t.system)}, analyst ${fmt(t.analyst)}).${lastRun}</p>
    ${breakdown('anomalies-by-rule', 'By rule', anomalies.byRule, { caption: 'Alerts per rule, by risk level.', horizontal: true })}
    ${breakdown('anomalies-by-risk', 'By risk level', anomalies.byRisk)}
    ${breakdown('anomalies-by-country', 'By client country', anomalies.byCountry, { caption: 'Alerts per client country, by risk level.' })}
    ${breakdown('anomalies-by-month', 'By booking month', anomalies.byMonth, { caption: 'Alerts per booking month of the transaction, by risk level.' })}
    ${breakdown('anomalies-by-currency', 'By currency', anomalies.byCurrency)}`,
  );
}

/**
 * Builds the whole report as one HTML string.
 *
 * @example await writeFile('reports/report.html', await buildReport());
 */
export async function buildReport(now = new Date()): Promise<string> {
  const data = await readReportData();
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>Financial Monitor — exploratory report ${escapeHtml(now.toISOString().slice(0, 10))}</title><style>${CSS}</style></head>
<body><h1>Financial Monitor — exploratory report</h1>
<nav>${REPORT_SECTIONS.map((id) => `<a href="#${id}">${id.replace('-', ' ')}</a>`).join('')}</nav>
${overviewSection(data.database, data.profiles, now)}${profilesSection(data.profiles)}${statisticsSection(data.statistics)}${distributionsSection(data.distributions, data.statistics.buckets)}${anomaliesSection(data.anomalies)}
</body></html>`;
}
