/**
 * `npm run bench -- cases [--cases 100000] [--iterations 1000] [--keep] [--database fm_bench_cases_xxxxxx]`
 * (`--keep` leaves the scratch database for a later `--database` run, which reuses it as it is and keeps it.)
 *
 * The case queue, GET /cases, against a scratch database of 100 000 cases (one client each, 2 % network cases; 60 %
 * closed; due times spread over a year up to a few days ahead; five assignees) generated with INSERT … SELECT and
 * dropped afterwards unless --keep. The cases-list handler is invoked in-process, sequentially, with the queue's
 * filters (not closed and Medium or above as the dashboard's queue asks for it, by status, assignee, overdue, client,
 * and a deep cursor page), against a `SELECT 1` round trip measured in the same run; each scenario's query plan
 * (EXPLAIN: the index, and whether the rows are sorted after reading) is printed beside its figures. Target: p99 ≤
 * 50 ms. The handler runs in a child process whose MYSQL_URL names the scratch database.
 */
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { cpus, loadavg } from 'node:os';
import { fileURLToPath } from 'node:url';
import mysql from 'mysql2/promise';
import { defineCli } from '../lib/cli/args.js';
import { getConfig } from '../lib/config.js';
import { migrate } from '../lib/db/migrate.js';
import { settingsFromUrl } from '../lib/db/settings.js';
import { percentile, sampleMs } from './lib.js';

export const description =
  'case queue: in-process p50/p99 of GET /cases (queue filters, deep cursor) at 100k cases';

const root = fileURLToPath(new URL('..', import.meta.url));

const cli = defineCli({
  usage: 'npm run bench -- cases [options]',
  description: 'GET /cases on a scratch database of generated cases, in-process, with each query plan.',
  options: {
    cases: {
      type: 'integer',
      min: 1000,
      max: 2_000_000,
      default: 100_000,
      help: 'cases in the scratch database (default 100000)',
    },
    iterations: {
      type: 'integer',
      min: 10,
      max: 100_000,
      default: 1000,
      help: 'sequential calls per scenario (default 1000)',
    },
    keep: { type: 'boolean', help: 'keep the scratch database for a later --database run' },
    database: {
      type: 'string',
      arg: '<name>',
      pattern: /^fm_[a-z0-9_]{3,60}$/,
      expects: 'a scratch database name starting fm_',
      help: 'the scratch database: made and filled when it does not exist, else reused as it is (and kept)',
    },
  },
});

/** Fills the scratch database: clients, and `n` cases in every state, risk, assignee and due time. */
async function fill(url: string, n: number): Promise<void> {
  const conn = await mysql.createConnection({ ...settingsFromUrl(url), multipleStatements: true });
  const step = async (label: string, sql: string) => {
    const started = performance.now();
    await conn.query(sql);
    console.log(`  ${label.padEnd(40)} ${((performance.now() - started) / 1000).toFixed(1)} s`);
  };
  // Due times from a year ago to a few days ahead of now, so about 1 % of the open cases are not overdue yet.
  const spread = Math.floor((365 * 86_400) / n);
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
         WHERE a.d + 10*b.d + 100*c.d + 1000*d.d + 10000*e.d + 100000*f.d + 1000000*g.d < ${n};`,
    );
    await step(
      `${n} clients`,
      `INSERT INTO clients (id, first_name, last_name, identifier, birth_date, email, phone, gender,
         registration_date, is_active, country, locale)
       SELECT n, CONCAT('First', n), CONCAT('Last', n), LPAD(n, 11, '0'), '1970-01-01', NULL, NULL, 'F',
         '2020-01-01', 'Yes', 'PL', 'pl_PL'
       FROM bench_seq`,
    );
    await step(
      `${n} cases`,
      `INSERT INTO cases (id, kind, client_id, network_key, status, disposition, risk_level, priority, amount,
         rule_count, alert_count, due_at, assignee, version, opened_at, closed_at, updated_at)
       SELECT n, IF(n % 50 = 0, 'network', 'client'), IF(n % 50 = 0, NULL, n),
         IF(n % 50 = 0, SHA2(n, 256), NULL),
         ELT(1 + n % 10, 'closed', 'closed', 'closed', 'closed', 'closed', 'closed', 'open', 'open',
           'investigating', 'escalated'),
         IF(n % 10 < 6, ELT(1 + n % 3, 'confirmed', 'false_positive', 'not_suspicious'), NULL),
         ELT(1 + (n DIV 10) % 3, 'Low', 'Medium', 'High'), (n * 7919) % 1000, (n % 100000) + 0.5, 1 + n % 4,
         1 + n % 7,
         NOW() - INTERVAL 365 DAY + INTERVAL (n * ${spread}) SECOND + INTERVAL 3 DAY,
         ELT(1 + (n DIV 10) % 5, NULL, 'ana', 'bob', 'cid', 'local-analyst'), 1 + n % 5,
         NOW() - INTERVAL 365 DAY + INTERVAL (n * ${spread}) SECOND,
         IF(n % 10 < 6, NOW() - INTERVAL 300 DAY + INTERVAL (n * ${spread}) SECOND, NULL),
         NOW() - INTERVAL 365 DAY + INTERVAL (n * ${spread}) SECOND
       FROM bench_seq`,
    );
    await step(
      'network cases name two clients each',
      `INSERT INTO case_clients (case_id, client_id)
       SELECT n, n - 1 FROM bench_seq WHERE n % 50 = 0 UNION ALL SELECT n, n - 2 FROM bench_seq WHERE n % 50 = 0`,
    );
    await step('analyze', 'DROP TABLE bench_seq, bench_digits; ANALYZE TABLE clients, cases, case_clients');
  } finally {
    await conn.end();
  }
}

interface Scenario {
  label: string;
  query: Record<string, string>;
}

/** The in-process half, run in a child whose MYSQL_URL is the scratch database. */
async function inProcess(): Promise<void> {
  const [{ handler }, { listCases }, { encodeCursor, filterFingerprint }, pool] = await Promise.all([
    import('../functions/cases-list.js'),
    import('../lib/cases/repository.js'),
    import('../lib/http/cursor.js'),
    import('../lib/db/pool.js'),
  ]);
  const iterations = Number(process.env.FM_BENCH_ITERATIONS ?? 1000);
  const [{ n }] = (await pool.query<{ n: number }>('SELECT COUNT(*) AS n FROM cases')) as [{ n: number }];
  /** A cursor ~90 % down the queue (filtered by `where`), as a client paging that far would hold. */
  const deep = async (filters: Record<string, string>, where = '1 = 1') => {
    const [{ m }] = (await pool.query<{ m: number }>(`SELECT COUNT(*) AS m FROM cases WHERE ${where}`)) as [
      { m: number },
    ];
    const [row] = await pool.query<{ id: number; due_at: string; priority: number }>(
      `SELECT id, due_at, priority FROM cases WHERE ${where} ORDER BY due_at, priority DESC, id LIMIT 1 OFFSET ?`,
      [Math.floor(Number(m) * 0.9)],
    );
    if (!row) throw new Error('no row for a deep cursor');
    return encodeCursor([row.due_at, Number(row.priority), Number(row.id)], filterFingerprint(filters));
  };
  const scenarios: Scenario[] = [
    { label: 'GET /cases (first page, 50)', query: {} },
    {
      label: 'GET /cases?status=open&min_risk=Medium (the queue)',
      query: { status: 'open', min_risk: 'Medium' },
    },
    { label: 'GET /cases?status=investigating', query: { status: 'investigating' } },
    { label: 'GET /cases?min_risk=High', query: { min_risk: 'High' } },
    { label: 'GET /cases?overdue=true', query: { overdue: 'true' } },
    { label: 'GET /cases?overdue=false', query: { overdue: 'false' } },
    { label: 'GET /cases?assignee=local-analyst', query: { assignee: 'local-analyst' } },
    { label: 'GET /cases?assignee=none&status=open', query: { assignee: 'none', status: 'open' } },
    {
      label: 'GET /cases?client_id=… (named by a network case)',
      query: { client_id: String(Math.floor(Number(n) / 2) - 1) },
    },
    { label: 'GET /cases (deep cursor, ~90 % in)', query: { cursor: await deep({}) } },
    {
      label: 'GET /cases?status=open (deep cursor)',
      query: { status: 'open', cursor: await deep({ status: 'open' }, "status = 'open'") },
    },
    { label: 'GET /cases?limit=500', query: { limit: '500' } },
  ];
  const context = { awsRequestId: 'bench' } as never;
  const event = (s: Scenario) =>
    ({
      version: '2.0',
      routeKey: 'GET /cases',
      rawPath: '/cases',
      rawQueryString: '',
      headers: { 'x-api-key': 'fm-local-viewer-key' },
      queryStringParameters: Object.keys(s.query).length > 0 ? s.query : undefined,
      requestContext: { http: { method: 'GET' } },
      isBase64Encoded: false,
    }) as never;
  const time = (work: () => Promise<unknown>) => sampleMs(work, iterations);
  /** The plan of the list's query for `s`: each table's index and whether its rows are sorted after reading. */
  const plan = async (s: Scenario) => {
    const { listCasesQuerySchema } = await import('../lib/cases/schemas.js');
    let captured: [string, unknown[]] = ['', []];
    const recorder = {
      query: async (sql: string, params: unknown[]) => {
        captured = [sql, params];
        return [[], []];
      },
    };
    await listCases(listCasesQuerySchema.parse(s.query), recorder as never);
    const rows = await pool.query<{ table: string; key: string | null; rows: number; Extra: string | null }>(
      `EXPLAIN ${captured[0]}`,
      captured[1],
    );
    return rows
      .map((r) => `${r.table}:${r.key ?? 'ALL'}${/filesort/.test(r.Extra ?? '') ? ' +filesort' : ''}`)
      .join(' ');
  };
  const baseline = await time(() => pool.query('SELECT 1'));
  const base50 = percentile(baseline, 50);
  console.log(
    `\nIn-process (handler invoked directly, ${iterations} sequential calls each, real DB; ${n} cases)`,
  );
  console.log(
    `  ${'measurement'.padEnd(52)} ${'p50 ms'.padStart(7)} ${'p99 ms'.padStart(7)} ${'max ms'.padStart(7)} ${'p50 ×'.padStart(6)}  plan`,
  );
  const row = (label: string, samples: number[], how = '') =>
    console.log(
      `  ${label.padEnd(52)} ${percentile(samples, 50).toFixed(2).padStart(7)} ${percentile(samples, 99).toFixed(2).padStart(7)} ${Math.max(
        ...samples,
      )
        .toFixed(2)
        .padStart(7)} ${`${(percentile(samples, 50) / base50).toFixed(1)}`.padStart(6)}  ${how}`,
    );
  row('baseline: SELECT 1 round trip', baseline);
  let worst = 0;
  for (const s of scenarios) {
    const samples = await time(async () => {
      const result = await handler(event(s), context);
      if (result.statusCode !== 200) throw new Error(`${s.label}: ${result.statusCode} ${result.body}`);
    });
    row(s.label, samples, await plan(s));
    if (!s.label.includes('limit=500')) worst = Math.max(worst, percentile(samples, 99));
  }
  console.log(
    `  worst p99 (50-row pages): ${worst.toFixed(2)} ms — target ≤ 50 ms: ${worst <= 50 ? 'met' : 'NOT met'}`,
  );
  await pool.closePool();
}

export async function run(args: string[]): Promise<void> {
  const values = cli.parse(args);
  if (!values) return;
  const { MYSQL_URL } = getConfig();
  const server = settingsFromUrl(MYSQL_URL);
  const name = values.database ?? `fm_bench_cases_${randomBytes(3).toString('hex')}`;
  const url = new URL(MYSQL_URL);
  url.pathname = `/${name}`;
  const admin = await mysql.createConnection({ ...server, database: undefined });
  const [existing] = await admin.query<mysql.RowDataPacket[]>('SHOW DATABASES LIKE ?', [name]);
  const reuse = existing.length > 0;
  const keep = values.keep || reuse;
  try {
    if (reuse) console.log(`Reusing scratch database ${name}`);
    else {
      console.log(`Scratch database ${name}: ${values.cases} cases`);
      await admin.query(`CREATE DATABASE \`${name}\` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci`);
      await migrate({ settings: { ...server, database: name } });
      await fill(url.toString(), values.cases);
    }
    console.log(
      `load average (1 min) before measuring: ${loadavg()[0]?.toFixed(2)} on ${cpus().length} CPUs`,
    );
    await new Promise<void>((resolve, reject) => {
      const child = spawn(`${root}node_modules/.bin/tsx`, ['bench/cases.ts'], {
        cwd: root,
        stdio: 'inherit',
        env: {
          ...process.env,
          MYSQL_URL: url.toString(),
          FM_BENCH_CASES_CHILD: '1',
          FM_BENCH_ITERATIONS: String(values.iterations),
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
  } finally {
    if (keep) console.log(`\nkept ${name}; drop it with: DROP DATABASE \`${name}\``);
    else await admin.query(`DROP DATABASE IF EXISTS \`${name}\``);
    await admin.end();
  }
}

if (process.env.FM_BENCH_CASES_CHILD === '1' && process.argv[1]?.endsWith('cases.ts')) {
  await inProcess();
}
