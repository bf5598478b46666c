/**
 * `npm run bench -- deadline [--transactions 1000000] [--budget-seconds 60] [--refresh-budget-seconds 20]
 * [--margin-seconds 10] [--database fm_bench_deadline] [--reseed]`
 *
 * A backlog of never-scanned transactions worked off by successive scans that each stop at a Lambda-like deadline
 * (lib/jobs/deadline.ts), against one uninterrupted scan of the same backlog in the same run (the baseline); then the
 * dashboard summaries rebuilt by successive refreshes that each stop at theirs, against one uninterrupted rebuild.
 * Prints each run's rows, seconds and rows/s, that no run outlived its budget, and that both ways end with the same
 * alerts (and the same summaries, by CHECKSUM TABLE). Everything happens in a database of its own, seeded once; the
 * user's database (MYSQL_URL) is never touched.
 */
import { fileURLToPath } from 'node:url';
import { defineCli } from '../lib/cli/args.js';
import { printRatios, resetScanOutput, runChild } from './lib.js';

export const description =
  'a backlog scanned by successive runs stopping at a deadline vs one uninterrupted scan; summaries likewise';

const root = fileURLToPath(new URL('..', import.meta.url));
const self = fileURLToPath(import.meta.url);

const cli = defineCli({
  usage: 'npm run bench -- deadline [options]',
  description: 'Successive runs with a deadline against one uninterrupted run: the scan, then the summaries.',
  options: {
    transactions: {
      type: 'integer',
      min: 10_000,
      max: 20_000_000,
      default: 1_000_000,
      help: 'transactions in the bench bank, all of them the backlog (default 1000000)',
    },
    'budget-seconds': {
      type: 'integer',
      min: 5,
      max: 900,
      default: 60,
      help: "each scan run's time, as a Lambda's timeout (default 60)",
    },
    'refresh-budget-seconds': {
      type: 'integer',
      min: 5,
      max: 900,
      default: 20,
      help: "each summaries refresh's time (default 20)",
    },
    'margin-seconds': {
      type: 'integer',
      min: 1,
      max: 600,
      default: 10,
      help: 'kept free before each deadline, as JOB_DEADLINE_MARGIN_SECONDS (default 10)',
    },
    database: {
      type: 'string',
      arg: '<name>',
      default: 'fm_bench_deadline',
      pattern: /^[A-Za-z0-9_]{1,64}$/,
      expects: 'letters, digits and _',
      help: "the bench's database on MYSQL_URL's server, kept for later runs (default fm_bench_deadline)",
    },
    reseed: { type: 'boolean', help: 'seed the bench bank again' },
    worker: { type: 'boolean', hidden: true, help: 'the measurements, in a process with MYSQL_URL set' },
  },
});

type Options = NonNullable<ReturnType<typeof cli.parse>>;

export async function run(args: string[]): Promise<void> {
  const opts = cli.parse(args);
  if (!opts) return;
  const { getConfig } = await import('../lib/config.js');
  const url = new URL(getConfig().MYSQL_URL);
  url.pathname = `/${opts.database}`;
  const out = await runChild(`${root}node_modules/.bin/tsx`, [self, ...args, '--worker'], {
    cwd: root,
    env: { ...process.env, MYSQL_URL: url.toString(), POWERTOOLS_LOG_LEVEL: 'WARN' },
    label: 'deadline bench',
  });
  console.log(out);
}

interface RunFigures {
  status: string;
  rows: number;
  seconds: number;
}

const rate = (rows: number, seconds: number) => `${Math.round(rows / seconds).toLocaleString('en')} rows/s`;

function printRuns(what: string, runs: RunFigures[], budget: number): void {
  console.log(`\n  ${what}, each with a budget of ${budget} s:`);
  for (const [i, r] of runs.entries()) {
    console.log(
      `    run ${String(i + 1).padStart(2)}  ${r.status.padEnd(9)} ${String(r.rows).padStart(9)} rows  ${r.seconds.toFixed(1).padStart(6)} s  ${rate(r.rows, r.seconds)}`,
    );
  }
  const longest = Math.max(...runs.map((r) => r.seconds));
  console.log(
    `    longest run ${longest.toFixed(1)} s of its ${budget} s: ${longest <= budget ? 'within' : 'OVER'}`,
  );
}

async function worker(opts: Options): Promise<void> {
  (await import('../scripts/cli.js')).applyCliDefaults();
  const { execute, query, closePool } = await import('../lib/db/pool.js');
  const { migrate } = await import('../lib/db/migrate.js');
  const { Deadline } = await import('../lib/jobs/deadline.js');
  const { runScan } = await import('../lib/scan/scan.js');
  const { refreshAnalytics } = await import('../lib/analytics/refresh.js');
  const { LIVE, tablesOf } = await import('../lib/analytics/summary-sql.js');
  const seconds = (started: number) => (performance.now() - started) / 1000;
  try {
    await migrate();
    const [count] = await query<{ n: number }>('SELECT COUNT(*) AS n FROM transactions');
    if (opts.reseed || Number(count?.n) !== opts.transactions) {
      console.log(`seeding ${opts.transactions} transactions (once)…`);
      await runChild(
        `${root}node_modules/.bin/tsx`,
        [
          'scripts/seed.ts',
          '--reset',
          ...['--clients', String(Math.max(50, Math.round(opts.transactions / 20)))],
          ...['--transactions', String(opts.transactions), '--to', '2026-01-01', '--seed', '7'],
        ],
        { cwd: root, label: 'seed' },
      );
    }
    const resetScan = () => resetScanOutput(execute);

    // The scan: one uninterrupted run over the whole backlog, then runs that stop at their deadline.
    await resetScan();
    let started = performance.now();
    const whole = await runScan();
    const baseline = {
      rows: whole.transactionsScanned,
      seconds: seconds(started),
      alerts: whole.alerts.created,
    };
    await resetScan();
    const runs: RunFigures[] = [];
    let alerts = 0;
    for (let status = 'partial'; status === 'partial'; ) {
      const deadline = Deadline.afterSeconds(opts['budget-seconds'], opts['margin-seconds']);
      started = performance.now();
      const summary = await runScan({ deadline });
      runs.push({ status: summary.status, rows: summary.transactionsScanned, seconds: seconds(started) });
      alerts += summary.alerts.created;
      status = summary.status;
    }
    const total = runs.reduce((s, r) => s + r.seconds, 0);
    printRatios(`a backlog of ${baseline.rows} never-scanned transactions`, [
      { label: 'one uninterrupted incremental scan', seconds: baseline.seconds },
      { label: `${runs.length} runs stopping at their deadline, together`, seconds: total },
    ]);
    console.log(`  uninterrupted: ${rate(baseline.rows, baseline.seconds)}`);
    printRuns('the runs', runs, opts['budget-seconds']);
    console.log(`  alerts: ${alerts} by the runs, ${baseline.alerts} by the uninterrupted scan`);

    // The summaries: one uninterrupted rebuild, then a rebuild by refreshes stopping at their deadline.
    const checksums = async () =>
      JSON.stringify(
        (await query<{ Checksum: number }>(`CHECKSUM TABLE ${tablesOf(LIVE).slice(0, -1).join(', ')}`)).map(
          (r) => r.Checksum,
        ),
      );
    started = performance.now();
    const rebuilt = await refreshAnalytics({ full: true });
    const refreshBaseline = { rows: rebuilt.transactionsAdded, seconds: seconds(started) };
    const reference = await checksums();
    const refreshes: RunFigures[] = [];
    for (let status = 'partial', full = true; status === 'partial'; full = false) {
      const deadline = Deadline.afterSeconds(opts['refresh-budget-seconds'], opts['margin-seconds']);
      started = performance.now();
      const summary = await refreshAnalytics({ full, deadline });
      refreshes.push({ status: summary.status, rows: summary.transactionsAdded, seconds: seconds(started) });
      status = summary.status;
    }
    printRatios(`the summaries of ${refreshBaseline.rows} transactions rebuilt`, [
      { label: 'one uninterrupted rebuild', seconds: refreshBaseline.seconds },
      {
        label: `${refreshes.length} refreshes stopping at their deadline, together`,
        seconds: refreshes.reduce((s, r) => s + r.seconds, 0),
      },
    ]);
    console.log(
      `  uninterrupted: ${rate(refreshBaseline.rows, refreshBaseline.seconds)} (transactions, their alerts and locations)`,
    );
    printRuns('the refreshes', refreshes, opts['refresh-budget-seconds']);
    console.log(`  summaries equal to the uninterrupted rebuild's: ${(await checksums()) === reference}`);
  } finally {
    await closePool();
  }
}

if (process.argv[1] === self && process.argv.includes('--worker')) {
  const opts = cli.parse(process.argv.slice(2));
  if (opts) await worker(opts);
}
