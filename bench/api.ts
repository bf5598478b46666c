/**
 * `npm run bench -- api [--alerts 100000] [--transactions 1000000] [--duration 10] [--connections 10] [--keep]
 *   [--database fm_bench_api_xxxxxx] [--only in-process|offline]`
 * (`--keep` leaves the scratch database for a later `--database` run, which reuses it as it is and keeps it.)
 *
 * The alerts API against a scratch database of 1M transactions and 100k alerts (generated with INSERT … SELECT,
 * dropped afterwards unless --keep):
 *   1. in-process: the Lambda handlers invoked directly (as the tests do), sequentially — p50/p95/p99 of GET /alerts
 *      (first page, a deep cursor page ~90% down, filtered variants) and GET /alerts/{id}, against a `SELECT 1`
 *      round trip measured in the same run;
 *   2. through serverless offline under concurrent load (autocannon): requests/s and latency of the same routes,
 *      against GET /openapi.json (no database) as the baseline.
 * The in-process part runs in a child process whose MYSQL_URL names the scratch database, so the handlers' own pool
 * and configuration are the ones measured, untouched by this process's.
 */
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import mysql from 'mysql2/promise';
import { defineCli } from '../lib/cli/args.js';
import { getConfig } from '../lib/config.js';
import { migrate } from '../lib/db/migrate.js';
import { settingsFromUrl } from '../lib/db/settings.js';
import { ValidationError } from '../lib/errors.js';
import { percentile, sampleMs } from './lib.js';

export const description =
  'alerts API: in-process p99 of list (first/deep page) and detail at 100k alerts / 1M transactions; offline throughput';

const root = fileURLToPath(new URL('..', import.meta.url));
const ANALYST_KEY = 'fm-local-analyst-key';

interface Options {
  alerts: number;
  transactions: number;
  duration: number;
  connections: number;
  keep: boolean;
  database?: string;
  only?: 'in-process' | 'offline';
}

const cli = defineCli({
  usage: 'npm run bench -- api [options]',
  description:
    'The alerts API on a scratch database: in-process latencies, then throughput through serverless offline.',
  options: {
    transactions: {
      type: 'integer',
      min: 1000,
      max: 10_000_000,
      default: 1_000_000,
      help: 'transactions in the scratch bank (default 1000000)',
    },
    alerts: {
      type: 'integer',
      min: 100,
      max: 5_000_000,
      default: 100_000,
      help: 'alerts in the scratch bank, at most half the transactions (default 100000)',
    },
    duration: {
      type: 'integer',
      min: 1,
      max: 300,
      default: 10,
      help: 'seconds of load per route (default 10)',
    },
    connections: {
      type: 'integer',
      min: 1,
      max: 200,
      default: 10,
      help: 'concurrent connections of the load (default 10)',
    },
    keep: { type: 'boolean', help: 'keep the scratch database for a later --database run' },
    database: {
      type: 'string',
      arg: '<name>',
      pattern: /^fm_bench_api_[0-9a-f]{6}$/,
      expects: 'a scratch database made by --keep (fm_bench_api_xxxxxx)',
      help: 'reuse a scratch database made by --keep, as it is (kept afterwards)',
    },
    only: { type: 'choice', choices: ['in-process', 'offline'], help: 'run one half only' },
  },
});

function options(args: string[]): Options | undefined {
  const values = cli.parse(args);
  if (!values) return undefined;
  const maxAlerts = Math.floor(values.transactions / 2);
  if (values.alerts > maxAlerts) {
    throw new ValidationError(
      `--alerts expects a whole number from 100 to ${maxAlerts} (half of --transactions)`,
    );
  }
  return { ...values, keep: values.keep || values.database !== undefined };
}

/** Builds the scratch bank: clients, accounts, transactions, alerts with evidence naming related transactions. */
async function fill(url: string, o: Options): Promise<void> {
  const conn = await mysql.createConnection({ ...settingsFromUrl(url), multipleStatements: true });
  const step = async (label: string, sql: string) => {
    const started = performance.now();
    await conn.query(sql);
    console.log(`  ${label.padEnd(40)} ${((performance.now() - started) / 1000).toFixed(1)} s`);
  };
  const clients = Math.max(10, Math.floor(o.transactions / 50));
  const accounts = Math.max(20, Math.floor(o.transactions / 20));
  const every = Math.floor(o.transactions / o.alerts);
  try {
    await step(
      'numbers 1..N',
      `CREATE TABLE bench_digits (d INT NOT NULL PRIMARY KEY);
       INSERT INTO bench_digits VALUES (0),(1),(2),(3),(4),(5),(6),(7),(8),(9);
       CREATE TABLE bench_seq (n INT NOT NULL PRIMARY KEY);
       INSERT INTO bench_seq
         SELECT 1 + a.d + 10*b.d + 100*c.d + 1000*d.d + 10000*e.d + 100000*f.d + 1000000*g.d
         FROM bench_digits a, bench_digits b, bench_digits c, bench_digits d, bench_digits e, bench_digits f,
              bench_digits g
         WHERE a.d + 10*b.d + 100*c.d + 1000*d.d + 10000*e.d + 100000*f.d + 1000000*g.d < ${o.transactions};`,
    );
    await step(
      'transaction types',
      `INSERT INTO transaction_types (id, type) VALUES (1,'deposit'),(2,'withdrawal'),(3,'outgoing transfer'),
       (4,'incoming transfer'),(5,'card payment'),(6,'standing order'),(7,'ATM withdrawal'),(8,'express transfer'),
       (9,'mobile payment')`,
    );
    await step(
      `${clients} clients`,
      `INSERT INTO clients (id, first_name, last_name, identifier, birth_date, email, phone, gender,
         registration_date, is_active, country, locale)
       SELECT n, CONCAT('First', n), CONCAT('Last', n), LPAD(n, 11, '0'), '1970-01-01' + INTERVAL (n % 15000) DAY,
         CONCAT('client', n, '@example.com'), CONCAT('+48 600 ', LPAD(n % 1000000, 6, '0')), IF(n % 2, 'M', 'F'),
         '2020-01-01', 'Yes', 'PL', 'pl_PL'
       FROM bench_seq WHERE n <= ${clients}`,
    );
    await step(
      `${accounts} accounts`,
      `INSERT INTO accounts (id, client_id, account_number, account_type, opening_date, balance, currency)
       SELECT n, 1 + (n % ${clients}), CONCAT('PL', LPAD(n, 26, '0')), 'personal', '2020-01-01', 1000.00, 'PLN'
       FROM bench_seq WHERE n <= ${accounts}`,
    );
    await step(
      `${o.transactions} transactions`,
      `INSERT INTO transactions (id, account_id, transaction_type_id, date, amount, currency, balance_after,
         recipient_account, status, title)
       SELECT n, 1 + (n % ${accounts}), 1 + (n % 9), '2025-01-01' + INTERVAL (n * 31) SECOND,
         IF(n % 2, -1, 1) * (10 + (n % 9973)), 'PLN', 1000.00, NULL, 'completed', CONCAT('t', n)
       FROM bench_seq`,
    );
    await step(
      `${o.alerts} alerts`,
      `INSERT INTO alerts (transaction_id, reason, risk_level, alert_date, flagged_by, rule_id, score, evidence,
         status, disposition, created_by)
       SELECT n * ${every},
         ELT(1 + n % 7, 'high amount', 'unusual amount', 'unusual pattern', 'rapid transfers', 'unusual location',
           'structuring', 'dormant account reactivated'),
         ELT(1 + n % 3, 'Low', 'Medium', 'High'),
         '2025-01-01' + INTERVAL (n * ${Math.floor((365 * 86400) / o.alerts)}) SECOND,
         IF(n % 10 = 0, 'analyst', 'system'),
         IF(n % 10 = 0, NULL, ELT(1 + n % 7, 'high-amount', 'client-baseline', 'unusual-pattern', 'rapid-transfers',
           'unusual-location', 'structuring', 'dormant-reactivation')),
         IF(n % 10 = 0, NULL, 40 + n % 60),
         IF(n % 10 = 0, NULL, JSON_OBJECT('threshold', 5000, 'relatedTransactionIds',
           JSON_ARRAY(n * ${every} - 1, n * ${every} - 2, n * ${every} - 3))),
         ELT(1 + n % 4, 'open', 'open', 'investigating', 'closed'),
         IF(n % 4 = 3, 'false_positive', NULL),
         IF(n % 10 = 0, 'bench-analyst', NULL)
       FROM bench_seq WHERE n <= ${o.alerts}`,
    );
    await step(
      'analyze',
      'DROP TABLE bench_seq, bench_digits; ANALYZE TABLE clients, accounts, transactions, alerts',
    );
  } finally {
    await conn.end();
  }
}

interface Scenario {
  label: string;
  route: 'list' | 'get';
  query?: Record<string, string>;
  id?: () => string;
}

/** The in-process half, run in a child whose MYSQL_URL is the scratch database. */
async function inProcess(): Promise<void> {
  const [{ handler: list }, { handler: get }, { encodeCursor, filterFingerprint }, pool] = await Promise.all([
    import('../functions/alerts-list.js'),
    import('../functions/alerts-get.js'),
    import('../lib/http/cursor.js'),
    import('../lib/db/pool.js'),
  ]);
  const iterations = Number(process.env.FM_BENCH_ITERATIONS ?? 1000);
  const [{ n }] = (await pool.query<{ n: number }>('SELECT COUNT(*) AS n FROM alerts')) as [{ n: number }];
  const deepOffset = Math.floor(Number(n) * 0.9);
  const deep = async (filters: Record<string, unknown>, where = '1 = 1', params: unknown[] = []) => {
    const [row] = await pool.query<{ id: number; alert_date: string }>(
      `SELECT id, alert_date FROM alerts WHERE ${where} ORDER BY alert_date DESC, id DESC LIMIT 1 OFFSET ?`,
      [...params, Math.floor(deepOffset / (where === '1 = 1' ? 1 : 3))],
    );
    if (!row) throw new Error('no row for a deep cursor');
    return encodeCursor([row.alert_date, Number(row.id)], filterFingerprint(filters));
  };
  const [{ lo, hi }] = (await pool.query<{ lo: number; hi: number }>(
    'SELECT MIN(id) AS lo, MAX(id) AS hi FROM alerts',
  )) as [{ lo: number; hi: number }];
  const [{ client }] = (await pool.query<{ client: number }>(
    'SELECT ac.client_id AS client FROM alerts a JOIN transactions t ON t.id = a.transaction_id JOIN accounts ac ON ac.id = t.account_id ORDER BY a.id LIMIT 1',
  )) as [{ client: number }];
  const scenarios: Scenario[] = [
    { label: 'GET /alerts (first page, 50)', route: 'list', query: {} },
    {
      label: `GET /alerts (deep cursor, ~${deepOffset} rows in)`,
      route: 'list',
      query: { cursor: await deep({}) },
    },
    { label: 'GET /alerts?risk_level=High (first page)', route: 'list', query: { risk_level: 'High' } },
    {
      label: 'GET /alerts?risk_level=High (deep cursor)',
      route: 'list',
      query: { risk_level: 'High', cursor: await deep({ risk_level: 'High' }, 'risk_level = ?', ['High']) },
    },
    {
      label: 'GET /alerts?reason=structuring&status=open',
      route: 'list',
      query: { reason: 'structuring', status: 'open' },
    },
    { label: 'GET /alerts?client_id=…', route: 'list', query: { client_id: String(client) } },
    { label: 'GET /alerts?limit=500', route: 'list', query: { limit: '500' } },
    {
      label: 'GET /alerts/{id} (random ids)',
      route: 'get',
      id: () => String(Number(lo) + Math.floor(Math.random() * (Number(hi) - Number(lo) + 1))),
    },
  ];
  const context = { awsRequestId: 'bench' } as never;
  const event = (s: Scenario) =>
    ({
      version: '2.0',
      routeKey: s.route === 'list' ? 'GET /alerts' : 'GET /alerts/{id}',
      rawPath: '/alerts',
      rawQueryString: '',
      headers: { 'x-api-key': ANALYST_KEY },
      queryStringParameters: s.query && Object.keys(s.query).length > 0 ? s.query : undefined,
      pathParameters: s.id ? { id: s.id() } : undefined,
      requestContext: { http: { method: 'GET' } },
      isBase64Encoded: false,
    }) as never;
  const time = (work: () => Promise<unknown>) => sampleMs(work, iterations);
  const baseline = await time(() => pool.query('SELECT 1'));
  const base50 = percentile(baseline, 50);
  console.log(
    `\nIn-process (handler invoked directly, ${iterations} sequential calls each, real DB; ${n} alerts)`,
  );
  console.log(
    `  ${'measurement'.padEnd(48)} ${'p50 ms'.padStart(8)} ${'p95 ms'.padStart(8)} ${'p99 ms'.padStart(8)} ${'max ms'.padStart(8)} ${'p50 ratio'.padStart(10)}`,
  );
  const row = (label: string, samples: number[]) =>
    console.log(
      `  ${label.padEnd(48)} ${percentile(samples, 50).toFixed(2).padStart(8)} ${percentile(samples, 95).toFixed(2).padStart(8)} ${percentile(samples, 99).toFixed(2).padStart(8)} ${Math.max(
        ...samples,
      )
        .toFixed(2)
        .padStart(8)} ${`${(percentile(samples, 50) / base50).toFixed(1)}×`.padStart(10)}`,
    );
  row('baseline: SELECT 1 round trip', baseline);
  let worst = 0;
  for (const s of scenarios) {
    const handler = s.route === 'list' ? list : get;
    const samples = await time(async () => {
      const result = await handler(event(s), context);
      if (result.statusCode !== 200) throw new Error(`${s.label}: ${result.statusCode} ${result.body}`);
    });
    row(s.label, samples);
    if (!s.label.includes('limit=500')) worst = Math.max(worst, percentile(samples, 99));
  }
  console.log(
    `  worst p99 (50-row pages and detail): ${worst.toFixed(2)} ms — target ≤ 50 ms: ${worst <= 50 ? 'met' : 'NOT met'}`,
  );
  await pool.closePool();
}

async function throughOffline(url: string, o: Options): Promise<void> {
  const { default: autocannon } = await import('autocannon');
  const { startOffline } = await import('../tests/helpers/offline.js');
  const conn = await mysql.createConnection(settingsFromUrl(url));
  const [rows] = await conn.query<mysql.RowDataPacket[]>('SELECT MIN(id) AS lo, MAX(id) AS hi FROM alerts');
  await conn.end();
  const lo = Number(rows[0]?.lo);
  const hi = Number(rows[0]?.hi);
  const offline = await startOffline({
    MYSQL_URL: url,
    ESBUILD_WORK_FOLDER: '.esbuild-bench',
    LOG_LEVEL: 'WARN',
    POWERTOOLS_LOG_LEVEL: 'WARN',
  });
  try {
    const headers = { 'x-api-key': ANALYST_KEY };
    const ids = Array.from({ length: 200 }, () => lo + Math.floor(Math.random() * (hi - lo + 1)));
    const targets = [
      { label: 'baseline: GET /openapi.json (no DB)', requests: [{ path: '/openapi.json' }] },
      { label: 'GET /alerts (first page, 50)', requests: [{ path: '/alerts' }] },
      {
        label: 'GET /alerts?risk_level=High&limit=20',
        requests: [{ path: '/alerts?risk_level=High&limit=20' }],
      },
      { label: 'GET /alerts/{id} (200 random ids)', requests: ids.map((id) => ({ path: `/alerts/${id}` })) },
    ];
    const results: Array<{
      label: string;
      rps: number;
      p50: number;
      p99: number;
      errors: number;
      non2xx: number;
    }> = [];
    for (const t of targets) {
      // The first call of a route builds and loads its handler: make sure it answers before loading it.
      for (const { path } of t.requests.slice(0, 3)) {
        const response = await fetch(`${offline.url}${path}`, { headers });
        if (response.status !== 200)
          throw new Error(`${path} answered ${response.status}: ${await response.text()}`);
      }
      // The same load for a few seconds first (connections opened, the JIT warm), then measure.
      await autocannon({
        url: offline.url,
        connections: o.connections,
        duration: 5,
        headers,
        requests: t.requests,
      });
      const r = await autocannon({
        url: offline.url,
        connections: o.connections,
        duration: o.duration,
        headers,
        requests: t.requests,
      });
      results.push({
        label: t.label,
        rps: r.requests.average,
        p50: r.latency.p50,
        p99: r.latency.p99,
        errors: r.errors + r.timeouts,
        non2xx: r.non2xx,
      });
    }
    const base = results[0]?.rps ?? 1;
    console.log(
      `\nThrough serverless offline (autocannon, ${o.connections} connections, ${o.duration} s per route, after a 5 s warm-up)`,
    );
    console.log(
      `  ${'route'.padEnd(40)} ${'req/s'.padStart(8)} ${'p50 ms'.padStart(8)} ${'p99 ms'.padStart(8)} ${'non-2xx'.padStart(8)} ${'errors'.padStart(7)} ${'req/s ratio'.padStart(12)}`,
    );
    for (const r of results) {
      console.log(
        `  ${r.label.padEnd(40)} ${r.rps.toFixed(0).padStart(8)} ${String(r.p50).padStart(8)} ${String(r.p99).padStart(8)} ${String(r.non2xx).padStart(8)} ${String(r.errors).padStart(7)} ${`${(r.rps / base).toFixed(2)}×`.padStart(12)}`,
      );
    }
  } finally {
    await offline.stop();
  }
}

export async function run(args: string[]): Promise<void> {
  const o = options(args);
  if (!o) return;
  const { MYSQL_URL } = getConfig();
  const server = settingsFromUrl(MYSQL_URL);
  const name = o.database ?? `fm_bench_api_${randomBytes(3).toString('hex')}`;
  const url = new URL(MYSQL_URL);
  url.pathname = `/${name}`;
  const admin = await mysql.createConnection({ ...server, database: undefined });
  if (!o.database) {
    await admin.query(`CREATE DATABASE \`${name}\` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci`);
  }
  try {
    if (o.database) console.log(`Reusing scratch database ${name}`);
    else {
      console.log(`Scratch database ${name}: ${o.transactions} transactions, ${o.alerts} alerts`);
      await migrate({ settings: { ...server, database: name } });
      await fill(url.toString(), o);
    }
    const [load] = (await import('node:os')).loadavg();
    console.log(
      `load average (1 min) before measuring: ${load?.toFixed(2)} on ${(await import('node:os')).cpus().length} CPUs`,
    );
    if (o.only !== 'offline')
      await new Promise<void>((resolve, reject) => {
        const child = spawn(`${root}node_modules/.bin/tsx`, ['bench/api.ts'], {
          cwd: root,
          stdio: 'inherit',
          env: {
            ...process.env,
            MYSQL_URL: url.toString(),
            FM_BENCH_API_CHILD: '1',
            STAGE: 'local',
            API_KEYS: '',
            POWERTOOLS_LOG_LEVEL: 'WARN',
          },
        });
        child.on('error', reject);
        child.on('exit', (code) =>
          code === 0 ? resolve() : reject(new Error(`in-process bench failed (${code})`)),
        );
      });
    if (o.only !== 'in-process') await throughOffline(url.toString(), o);
  } finally {
    if (o.keep) console.log(`\nkept ${name} (--keep); drop it with: DROP DATABASE \`${name}\``);
    else await admin.query(`DROP DATABASE IF EXISTS \`${name}\``);
    await admin.end();
  }
}

if (process.env.FM_BENCH_API_CHILD === '1' && process.argv[1]?.endsWith('api.ts')) {
  await inProcess();
}
