/**
 * `npm run bench -- scan [--transactions 1000000] [--incremental 10000] [--repeat 3] [--database fm_bench_scan] [--reseed]`
 *
 * Seeds a bank of N transactions (once; kept for later runs) in a database of its own, then measures, each in a
 * fresh process without special node flags (so each peak RSS is that step's own, as `npm run scan` or the Lambda
 * would reach it): a bare mysql2 streaming read of the same rows and columns the full scan reads (the baseline, as
 * objects — mysql2's default — and as arrays, as the scan reads them), a full scan, the full scan's floor (its read,
 * then storing the alerts and client states it wrote, with nothing judged: what no rules engine can save), and an
 * incremental scan of the last `--incremental` transactions on top of a scan of everything before them (`--repeat`
 * times: the median is reported) — and the same incremental scan without attaching its alerts to cases, alternating
 * with it, for what attaching costs. Each scan is measured once InnoDB has flushed the dirty pages its preparation
 * left (the reset, the preparing scan). Prints seconds, ratios, peak RSS and each measured step's CPU seconds —
 * its own process's and, when the database server runs on this machine, the server's (from /proc): a slow machine
 * shows as such. The user's database (MYSQL_URL) is never touched. The processes run under tsx, whose loader adds
 * tens of MB of RSS that a bundled Lambda does not carry: the bench prints the RSS of an idle process for
 * comparison.
 */
import { readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { fileURLToPath } from 'node:url';
import { defineCli } from '../lib/cli/args.js';
import { ValidationError } from '../lib/errors.js';
import type { RiskLevel } from '../lib/rules/risk.js';
import type { RuleId } from '../lib/rules/types.js';
import { localDbServerPid, measureCpu, printRatios, resetScanOutput, runChild } from './lib.js';

export const description =
  'full scan of 1M transactions vs a bare mysql2 streaming read of the same rows; incremental 10k on top; peak RSS';

const root = fileURLToPath(new URL('..', import.meta.url));
const self = fileURLToPath(import.meta.url);

const cli = defineCli({
  usage: 'npm run bench -- scan [options]',
  description:
    'The full and the incremental scan against a bare mysql2 read of the same rows, in a database of its own.',
  options: {
    transactions: {
      type: 'integer',
      min: 1000,
      max: 20_000_000,
      default: 1_000_000,
      help: 'transactions in the bench bank (default 1000000)',
    },
    incremental: {
      type: 'integer',
      min: 1,
      max: 20_000_000,
      default: 10_000,
      help: 'new transactions of the incremental scan, below --transactions (default 10000)',
    },
    repeat: {
      type: 'integer',
      min: 1,
      max: 21,
      default: 3,
      help: 'incremental scans measured; the median counts (default 3)',
    },
    database: {
      type: 'string',
      arg: '<name>',
      default: 'fm_bench_scan',
      pattern: /^[A-Za-z0-9_]{1,64}$/,
      expects: 'letters, digits and _',
      help: "the bench's database on MYSQL_URL's server, kept for later runs (default fm_bench_scan)",
    },
    reseed: { type: 'boolean', help: 'seed the bench bank again' },
    workers: {
      type: 'integer-list',
      arg: '<N,…>',
      min: 1,
      max: 64,
      help: 'instead: the partitioned full rescan (npm run scan -- --full --workers N) with each count, same run',
    },
    partitions: {
      type: 'integer',
      arg: 'P',
      min: 1,
      max: 1000,
      help: 'with --workers: client partitions of every rescan (default the largest worker count)',
    },
    worker: { type: 'boolean', hidden: true, help: 'one measured step, in a process of its own' },
    step: { type: 'string', default: '', hidden: true, help: 'the step a --worker runs' },
    'rescan-workers': {
      type: 'integer',
      min: 1,
      max: 64,
      hidden: true,
      help: 'the workers of a rescan step',
    },
  },
});

function options(args: string[]) {
  const values = cli.parse(args);
  if (values && values.incremental >= values.transactions) {
    throw new ValidationError('--incremental expects a whole number from 1 to below --transactions');
  }
  if (values?.partitions !== undefined && !values.workers)
    throw new ValidationError('--partitions applies with --workers only');
  if (
    values?.workers &&
    (values.partitions ?? 0) < Math.max(...values.workers) &&
    values.partitions !== undefined
  )
    throw new ValidationError('--partitions must be at least the largest --workers count');
  return values;
}

/** The targets the scan is held to (docs/detection.md, "Speed"): with every rule on, at 1M transactions. */
const TARGETS = { fullRatio: 9, incrementalSeconds: 1.5, peakRssMb: 300, attachPercent: 10 } as const;

const STEPS = [
  'prepare',
  'idle',
  'bare-objects',
  'bare-arrays',
  'full',
  'floor',
  'prepare-incremental',
  'incremental',
  'incremental-uncased',
  'rescan',
] as const;
type Step = (typeof STEPS)[number];

interface StepResult {
  seconds: number;
  rssMb: number;
  /** CPU seconds of the step's process (all its threads) and of a database server on this machine, when measured. */
  cpuSeconds?: number;
  serverCpuSeconds?: number;
  detail?: Record<string, number>;
}

export async function run(args: string[]): Promise<void> {
  const opts = options(args);
  if (!opts) return;
  const { getConfig } = await import('../lib/config.js');
  const url = new URL(getConfig().MYSQL_URL);
  url.pathname = `/${opts.database}`;
  const step = async (name: Step, extra: string[] = []): Promise<StepResult> => {
    // No special node flags: the peak RSS printed is what `npm run scan -- --full` or the Lambda would reach.
    const out = await runChild(
      `${root}node_modules/.bin/tsx`,
      [self, ...args, '--worker', '--step', name, ...extra],
      {
        cwd: root,
        env: { ...process.env, MYSQL_URL: url.toString() },
        label: `bench step ${name}`,
      },
    );
    const lines = out.split('\n');
    for (const l of lines) if (l && !l.startsWith('RESULT ')) console.log(l);
    const line = lines.find((l) => l.startsWith('RESULT '));
    if (!line) throw new Error(`bench step ${name} printed no result`);
    return JSON.parse(line.slice(7)) as StepResult;
  };
  await step('prepare');
  if (opts.workers) return compareWorkers(opts.workers, opts.partitions ?? Math.max(...opts.workers), step);
  const idle = await step('idle');
  const objects = await step('bare-objects');
  const arrays = await step('bare-arrays');
  const full = await step('full');
  const floor = await step('floor');
  // The incremental scan is short, so its time varies from run to run more than the others: it is measured
  // `--repeat` times (each on a freshly prepared state) and the median is reported.
  // Each with cases attached and without, alternating which goes first, each on a freshly prepared state.
  const runs: StepResult[] = [];
  const uncased: StepResult[] = [];
  for (let i = 0; i < opts.repeat; i++) {
    for (const attached of i % 2 === 0 ? [true, false] : [false, true]) {
      await step('prepare-incremental');
      if (attached) runs.push(await step('incremental'));
      else uncased.push(await step('incremental-uncased'));
    }
  }
  const median = (list: StepResult[]) =>
    [...list].sort((a, b) => a.seconds - b.seconds)[Math.floor((list.length - 1) / 2)] as StepResult;
  const incremental = median(runs);
  const withoutCases = median(uncased);
  printRatios('anomaly scan', [
    { label: `bare mysql2 stream of ${opts.transactions} rows (objects)`, seconds: objects.seconds },
    { label: '  the same, rows as arrays (as the scan reads)', seconds: arrays.seconds },
    { label: `full scan of ${opts.transactions} transactions`, seconds: full.seconds },
    { label: '  its floor: the read, then its writes, nothing judged', seconds: floor.seconds },
    {
      label: `incremental scan of ${opts.incremental} new transactions (median of ${runs.length})`,
      seconds: incremental.seconds,
    },
  ]);
  if (runs.length > 1) {
    console.log(
      `  incremental runs: ${runs.map((r) => r.seconds.toFixed(3)).join(', ')} s; peak RSS up to ${Math.max(...runs.map((r) => r.rssMb)).toFixed(0)} MB`,
    );
  }
  console.log(
    `  the same without attaching alerts to cases: ${uncased.map((r) => r.seconds.toFixed(3)).join(', ')} s (median ${withoutCases.seconds.toFixed(3)} s)`,
  );
  console.log('\n  peak RSS of each step (its own process):');
  console.log(`    idle process (node + tsx + modules)   ${idle.rssMb.toFixed(0)} MB`);
  console.log(`    bare read (objects)                   ${objects.rssMb.toFixed(0)} MB`);
  console.log(`    full scan                             ${full.rssMb.toFixed(0)} MB`);
  console.log(`    incremental scan                      ${incremental.rssMb.toFixed(0)} MB`);
  const cpu = (r: StepResult) =>
    r.cpuSeconds === undefined
      ? 'n/a'
      : `${r.cpuSeconds.toFixed(2)} s${r.serverCpuSeconds === undefined ? '' : ` + ${r.serverCpuSeconds.toFixed(2)} s`}`;
  console.log(
    '\n  CPU of each measured step (its own process, + the database server when it runs on this machine):',
  );
  console.log(`    bare read (objects)                   ${cpu(objects)}`);
  console.log(`    full scan                             ${cpu(full)}`);
  console.log(`    the full scan's floor                 ${cpu(floor)}`);
  console.log(`    incremental scan (the median run)     ${cpu(incremental)}`);
  console.log(`\n  alerts after the full scan: ${full.detail?.alerts}`);
  console.log(
    `  full scan: ${(full.seconds / objects.seconds).toFixed(2)}× the bare read (target ≤ ${TARGETS.fullRatio}×)`,
  );
  const floorDetail = floor.detail ?? {};
  console.log(
    `  its floor: reading the rows (${floorDetail.readSeconds?.toFixed(3)} s), then storing its ${floorDetail.alerts} alerts and ${floorDetail.states} client states (${floorDetail.storeSeconds?.toFixed(3)} s), nothing judged: ${(floor.seconds / objects.seconds).toFixed(2)}× the bare read`,
  );
  if (floor.cpuSeconds !== undefined && floor.serverCpuSeconds !== undefined) {
    // Within the target's ratio of the bare read, this machine's cores offer at most cores × ratio × that many
    // CPU-seconds.
    const cores = availableParallelism();
    const needed = floor.cpuSeconds + floor.serverCpuSeconds;
    const offered = cores * TARGETS.fullRatio * objects.seconds;
    console.log(
      `  the floor alone needs ${needed.toFixed(2)} CPU-s (process + server); ${cores} cores offer ${offered.toFixed(2)} CPU-s within ${TARGETS.fullRatio}× the bare read`,
    );
  }
  console.log(
    `  incremental: ${incremental.seconds.toFixed(3)} s (target ≤ ${TARGETS.incrementalSeconds} s)`,
  );
  const share = (incremental.seconds / withoutCases.seconds - 1) * 100;
  console.log(
    `  attaching alerts to cases adds ${share.toFixed(1)} % to an incremental scan (${incremental.detail?.casesOpened} cases opened, ${incremental.detail?.casesTouched} touched; median ${incremental.seconds.toFixed(3)} s with, ${withoutCases.seconds.toFixed(3)} s without; target ≤ ${TARGETS.attachPercent} %)`,
  );
  console.log(`  peak RSS of the full scan: ${full.rssMb.toFixed(0)} MB (target < ${TARGETS.peakRssMb} MB)`);
}

/**
 * The partitioned rescan with each worker count, each in a fresh parent process on the same bank and plan: wall time
 * and CPU against one worker's (the first count), whether the alerts are the same row for row, the rows the client
 * partitions read (and the server read for them) against the table's, and each worker's peak RSS.
 */
async function compareWorkers(
  counts: number[],
  partitions: number,
  step: (name: Step, extra?: string[]) => Promise<StepResult>,
): Promise<void> {
  const results: Array<{ workers: number; result: StepResult }> = [];
  for (const workers of counts)
    results.push({ workers, result: await step('rescan', ['--rescan-workers', String(workers)]) });
  const [base] = results as [{ workers: number; result: StepResult }];
  printRatios(`partitioned full rescan, ${partitions} partitions`, [
    ...results.map(({ workers, result }) => ({ label: `${workers} worker(s)`, seconds: result.seconds })),
  ]);
  for (const { workers, result } of results) {
    const d = result.detail ?? {};
    console.log(
      `  ${workers} worker(s): ${result.seconds.toFixed(2)} s (${(result.seconds / base.result.seconds).toFixed(2)}× one worker's run), CPU ${result.cpuSeconds?.toFixed(2)} s (parent and workers) + ${result.serverCpuSeconds?.toFixed(2) ?? 'n/a'} s (server); alerts ${d.alerts} ${d.checksum === base.result.detail?.checksum ? '= the first run’s, row for row' : 'DIFFER from the first run’s'}`,
    );
    console.log(
      `    client partitions read ${d.rowsRead} rows = ${((d.rowsRead ?? 0) / (d.tableRows ?? 1)).toFixed(3)}× the table (the server read ${((d.rowsExamined ?? 0) / (d.tableRows ?? 1)).toFixed(2)}× its rows in index entries and rows); histogram slices ${d.histogramRows} rows; rows/s per worker ${((d.rowsRead ?? 0) / result.seconds / workers).toFixed(0)}`,
    );
    console.log(
      `    phases: prepare ${d.prepareSeconds?.toFixed(2)} s, the parts in the workers ${d.partsSeconds?.toFixed(2)} s (${((d.rowsRead ?? 0) / (d.partsSeconds ?? 1) / workers).toFixed(0)} client rows/s per worker over the phase), finalize ${d.finalizeSeconds?.toFixed(2)} s`,
    );
    console.log(
      `    peak RSS: parent ${result.rssMb.toFixed(0)} MB, workers ${Object.entries(d)
        .filter(([k]) => k.startsWith('rss'))
        .map(([, v]) => `${v} MB`)
        .join(', ')}`,
    );
  }
}

/** CPU seconds of this process and of its children that have ended (Linux /proc; undefined elsewhere). */
function cpuWithChildren(): number | undefined {
  try {
    const fields = readFileSync('/proc/self/stat', 'utf8').split(') ')[1]?.split(' ') ?? [];
    // utime, stime, cutime, cstime: fields 14–17 of stat(5), 12–15 after the pid and the command.
    const ticks = [11, 12, 13, 14].reduce((sum, i) => sum + Number(fields[i]), 0);
    return ticks / 100;
  } catch {
    return undefined;
  }
}

async function worker(opts: NonNullable<ReturnType<typeof options>>): Promise<void> {
  const name = opts.step as Step;
  if (!STEPS.includes(name)) throw new Error(`unknown bench step ${name}`);
  (await import('../scripts/cli.js')).applyCliDefaults();
  const { closePool, execute, query } = await import('../lib/db/pool.js');
  const { resolveDbSettings } = await import('../lib/db/settings.js');
  const { runScan } = await import('../lib/scan/scan.js');
  const mysql = await import('mysql2');
  const reset = () => resetScanOutput(execute);
  /**
   * Waits until InnoDB has flushed most dirty pages (at most 90 s): the reset before a measured scan deletes ~180 000
   * rows and the preparation's full scan writes as many, and with the server's default io_capacity the flushing goes
   * on for tens of seconds — a scan measured during it would be measuring the flushing. A bank under 100 000
   * transactions leaves too little to flush to matter, and does not wait for other work on the server (a test suite).
   */
  const settle = async () => {
    if (opts.transactions < 100_000) return;
    const deadline = Date.now() + 90_000;
    while (Date.now() < deadline) {
      const rows = await query<{ Variable_name: string; Value: string }>(
        "SHOW GLOBAL STATUS WHERE Variable_name IN ('Innodb_buffer_pool_pages_dirty', 'Innodb_buffer_pool_pages_total')",
      );
      const value = (name: string) => Number(rows.find((r) => r.Variable_name === name)?.Value ?? 0);
      if (
        value('Innodb_buffer_pool_pages_dirty') <=
        Math.max(500, value('Innodb_buffer_pool_pages_total') * 0.1)
      )
        return;
      await new Promise((resolve) => setTimeout(resolve, 1000));
    }
  };
  const report = (
    measured: Pick<StepResult, 'seconds' | 'cpuSeconds' | 'serverCpuSeconds'>,
    detail?: Record<string, number>,
  ) =>
    console.log(
      `RESULT ${JSON.stringify({
        seconds: measured.seconds,
        rssMb: process.resourceUsage().maxRSS / 1024,
        cpuSeconds: measured.cpuSeconds,
        serverCpuSeconds: measured.serverCpuSeconds,
        detail,
      })}`,
    );
  // The server's CPU is read from /proc when it runs on this machine (the bench's usual set-up).
  const serverPid = ['127.0.0.1', 'localhost', '::1'].includes((await resolveDbSettings()).host)
    ? localDbServerPid()
    : undefined;
  try {
    if (name === 'prepare') {
      // Another part's migration that fails here must not stop the scan bench (its tables are all it needs). Loaded
      // here only: the migrator's modules would add to every other step's peak RSS, which `npm run scan` has not.
      const { migrate } = await import('../lib/db/migrate.js');
      await migrate().catch((error: Error) =>
        console.warn(`warning: migrate failed (${error.message}); continuing`),
      );
      const [{ n }] = (await query<{ n: number }>('SELECT COUNT(*) AS n FROM transactions')) as [
        { n: number },
      ];
      if (opts.reseed || Number(n) !== opts.transactions) {
        console.log(
          `seeding ${opts.transactions} transactions into ${(await resolveDbSettings()).database} (once)…`,
        );
        await runChild(
          `${root}node_modules/.bin/tsx`,
          [
            'scripts/seed.ts',
            '--reset',
            '--clients',
            String(Math.max(50, Math.round(opts.transactions / 20))),
            '--transactions',
            String(opts.transactions),
            '--to',
            '2026-01-01',
            '--seed',
            '7',
          ],
          { cwd: root, label: 'seed' },
        );
      }
      report({ seconds: 0 });
    } else if (name === 'idle') {
      await query('SELECT 1');
      report({ seconds: 0 });
    } else if (name === 'bare-objects' || name === 'bare-arrays') {
      const settings = await resolveDbSettings();
      const { TXN_COLUMNS } = await import('../lib/scan/source.js');
      const sql = `SELECT ${TXN_COLUMNS} FROM transactions ORDER BY id`;
      const conn = mysql.createConnection({
        ...settings,
        dateStrings: true,
        supportBigNumbers: true,
        charset: 'utf8mb4_unicode_ci',
      });
      const { result: rows, ...measured } = await measureCpu(async () => {
        let n = 0;
        for await (const _row of conn.query({ sql, rowsAsArray: name === 'bare-arrays' }).stream()) n++;
        return n;
      }, serverPid);
      await conn.promise().end();
      if (rows !== opts.transactions) throw new Error(`read ${rows} rows, expected ${opts.transactions}`);
      report(measured);
    } else if (name === 'full') {
      await reset();
      await settle();
      const { result: summary, ...measured } = await measureCpu(() => runScan({ mode: 'full' }), serverPid);
      report(measured, { alerts: summary.alerts.created });
    } else if (name === 'floor') {
      // What the full scan cannot do without: read the rows as it reads them, then store the alerts and client
      // states it wrote — with no transaction judged. Its own alerts and states are read back (not timed) into the
      // LOAD DATA bytes the scan makes, the tables are emptied as before the full scan, and the writes go out the
      // way the scan's do (writeAlertBatch, writeStateBatch), each on a connection of its own. When this alone is
      // over 2× the bare read, no rules engine can bring the full scan within 2× on this machine.
      const { streamRows, withTransaction } = await import('../lib/db/pool.js');
      const { TXN_COLUMNS } = await import('../lib/scan/source.js');
      const { AlertBatch, writeAlertBatch } = await import('../lib/scan/alerts.js');
      const { StateBatch, writeStateBatch } = await import('../lib/scan/state.js');
      // In batches of 2 000 rows, each written in a transaction of its own, as the full scan writes them.
      const BATCH = 2_000;
      const alerts: InstanceType<typeof AlertBatch>[] = [];
      let alertCount = 0;
      let runId = 0;
      await streamRows(
        "SELECT transaction_id, rule_id, risk_level, score, evidence, scan_run_id FROM alerts WHERE flagged_by = 'system' ORDER BY id",
        [],
        (r) => {
          if (alertCount++ % BATCH === 0) alerts.push(new AlertBatch());
          runId = Number(r[5]);
          alerts[alerts.length - 1]?.add(
            Number(r[0]),
            r[1] as RuleId,
            r[2] as RiskLevel,
            Number(r[3]),
            // The pool hands JSON columns back parsed.
            typeof r[4] === 'string' ? r[4] : JSON.stringify(r[4]),
            runId,
          );
        },
      );
      const states: InstanceType<typeof StateBatch>[] = [];
      let stateCount = 0;
      await streamRows('SELECT client_id, state, as_of_transaction_id FROM scan_client_state', [], (r) => {
        if (stateCount++ % BATCH === 0) states.push(new StateBatch());
        states[states.length - 1]?.add(Number(r[0]), (r[1] as Buffer).toString('base64'), Number(r[2]));
      });
      if (alertCount === 0 || stateCount === 0) throw new Error('the floor needs the full scan before it');
      await reset();
      await settle();
      let readSeconds = 0;
      const { result: stored, ...measured } = await measureCpu(async () => {
        const started = performance.now();
        let rows = 0;
        await streamRows(`SELECT ${TXN_COLUMNS} FROM transactions ORDER BY id`, [], () => {
          rows++;
        });
        readSeconds = (performance.now() - started) / 1000;
        if (rows !== opts.transactions) throw new Error(`read ${rows} rows, expected ${opts.transactions}`);
        const [created] = await Promise.all([
          (async () => {
            let n = 0;
            for (const batch of alerts)
              n += (await withTransaction((conn) => writeAlertBatch(conn, batch, runId))).created;
            return n;
          })(),
          (async () => {
            for (const batch of states) await withTransaction((conn) => writeStateBatch(conn, batch));
          })(),
        ]);
        return created;
      }, serverPid);
      if (stored !== alertCount) throw new Error(`stored ${stored} of ${alertCount} alerts`);
      report(measured, {
        alerts: alertCount,
        states: stateCount,
        readSeconds,
        storeSeconds: measured.seconds - readSeconds,
      });
    } else if (name === 'rescan') {
      const { runLocalRescan } = await import('../lib/scan/rescan/local.js');
      const workers = opts['rescan-workers'] ?? 1;
      await reset();
      await settle();
      const before = cpuWithChildren();
      const { result: summary, ...measured } = await measureCpu(
        () =>
          runLocalRescan({
            workers,
            partitions: opts.partitions ?? Math.max(...(opts.workers ?? [workers])),
          }),
        serverPid,
      );
      const after = cpuWithChildren();
      const [sum] = (await query<{ n: number; checksum: string }>(
        `SELECT COUNT(*) AS n, CAST(SUM(CRC32(CONCAT_WS('|', transaction_id, rule_id, risk_level, score, MD5(evidence),
           status))) AS CHAR) AS checksum FROM alerts WHERE flagged_by = 'system'`,
      )) as [{ n: number; checksum: string }];
      const of = (kind: string, key: 'rowsRead' | 'rowsExamined') =>
        summary.parts.filter((p) => p.kind === kind).reduce((n, p) => n + (p[key] ?? 0), 0);
      report(
        { ...measured, cpuSeconds: before !== undefined && after !== undefined ? after - before : undefined },
        {
          alerts: Number(sum.n),
          checksum: Number(sum.checksum),
          tableRows: summary.transactionsScanned,
          rowsRead: of('clients', 'rowsRead'),
          rowsExamined: of('clients', 'rowsExamined'),
          histogramRows: of('histogram', 'rowsRead'),
          prepareSeconds: summary.phasesMs.prepare / 1000,
          partsSeconds: summary.phasesMs.parts / 1000,
          finalizeSeconds: summary.phasesMs.finalize / 1000,
          ...Object.fromEntries(summary.workerPeakRssMb.map((mb, i) => [`rss${i + 1}`, mb])),
        },
      );
    } else if (name === 'prepare-incremental') {
      // Hold back the last N transactions: the state a scan of everything before them leaves behind (not measured).
      const [{ maxId }] = (await query<{ maxId: number }>('SELECT MAX(id) AS maxId FROM transactions')) as [
        { maxId: number },
      ];
      await reset();
      await runScan({ mode: 'full', toId: Number(maxId) - opts.incremental });
      await settle();
      report({ seconds: 0 });
    } else {
      const attachCases = name === 'incremental';
      const { result: summary, ...measured } = await measureCpu(() => runScan({ attachCases }), serverPid);
      if (summary.transactionsScanned !== opts.incremental || summary.mode !== 'incremental')
        throw new Error(
          `incremental scanned ${summary.transactionsScanned} (${summary.mode}), not ${opts.incremental}`,
        );
      report(measured, {
        alerts: summary.alerts.created,
        casesOpened: summary.cases.opened,
        casesTouched: summary.cases.touched,
      });
    }
  } finally {
    await closePool();
  }
}

if (process.argv[1] === self && process.argv.includes('--worker')) {
  const opts = options(process.argv.slice(2));
  if (opts) await worker(opts);
}
