/**
 * `npm run bench -- scan [--transactions 1000000] [--incremental 10000] [--database fm_bench_scan] [--reseed]`
 *
 * Seeds a bank of N transactions (once; kept for later runs) in a database of its own, then measures, in one
 * process: a bare mysql2 streaming read of the same rows and columns the full scan reads (the baseline, twice:
 * rows as objects — mysql2's default — and as arrays, as the scan reads them), a full scan, and an incremental
 * scan of the last `--incremental` transactions on top of the rest. Prints seconds, ratios and peak RSS.
 *
 * The measuring runs in a child process pointed at the bench database (without special node flags), so its peak
 * RSS is the scan's own and the user's database (MYSQL_URL) is never touched. The process runs under tsx, whose
 * loader adds about 60 MB of RSS that a bundled Lambda does not carry; the bench prints that figure too.
 */
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { peakRssMb, printRatios, timeIt } from './lib.js';

export const description =
  'full scan of 1M transactions vs a bare mysql2 streaming read of the same rows; incremental 10k on top; peak RSS';

const root = fileURLToPath(new URL('..', import.meta.url));
const self = fileURLToPath(import.meta.url);

function options(args: string[]) {
  const { values } = parseArgs({
    args,
    options: {
      transactions: { type: 'string', default: '1000000' },
      incremental: { type: 'string', default: '10000' },
      database: { type: 'string', default: 'fm_bench_scan' },
      reseed: { type: 'boolean', default: false },
      worker: { type: 'boolean', default: false },
    },
    strict: true,
  });
  const transactions = Number(values.transactions);
  const incremental = Number(values.incremental);
  if (!Number.isInteger(transactions) || transactions < 1000 || transactions > 20_000_000) {
    throw new Error('--transactions expects a whole number from 1000 to 20000000');
  }
  if (!Number.isInteger(incremental) || incremental < 1 || incremental >= transactions) {
    throw new Error('--incremental expects a whole number from 1 to below --transactions');
  }
  if (!/^[A-Za-z0-9_]{1,64}$/.test(values.database))
    throw new Error('--database expects letters, digits and _');
  return { ...values, transactions, incremental };
}

export async function run(args: string[]): Promise<void> {
  const opts = options(args);
  const { DEFAULT_MYSQL_URL } = await import('../lib/config.js');
  const url = new URL(process.env.MYSQL_URL || DEFAULT_MYSQL_URL);
  url.pathname = `/${opts.database}`;
  await new Promise<void>((resolve, reject) => {
    // No special node flags: the peak RSS printed is what `npm run scan -- --full` or the Lambda would reach.
    const child = spawn(`${root}node_modules/.bin/tsx`, [self, ...args, '--worker'], {
      cwd: root,
      env: { ...process.env, MYSQL_URL: url.toString() },
      stdio: 'inherit',
    });
    child.on('error', reject);
    child.on('exit', (code) =>
      code === 0 ? resolve() : reject(new Error(`bench worker exited with ${code}`)),
    );
  });
}

async function worker(opts: ReturnType<typeof options>): Promise<void> {
  await import('../scripts/cli-env.js');
  const { migrate } = await import('../lib/db/migrate.js');
  const { closePool, execute, query, withTransaction } = await import('../lib/db/pool.js');
  const { resolveDbSettings } = await import('../lib/db/settings.js');
  const { runScan } = await import('../lib/scan/scan.js');
  const { addToHistogram } = await import('../lib/scan/source.js');
  const { HISTOGRAM_WATERMARK, WATERMARK, setWatermark } = await import('../lib/scan/writer.js');
  const mysql = await import('mysql2');
  try {
    // Another part's migration that fails here must not stop the scan bench (its tables are all it needs).
    await migrate().catch((error: Error) =>
      console.warn(`warning: migrate failed (${error.message}); continuing`),
    );
    const [{ n }] = (await query<{ n: number }>('SELECT COUNT(*) AS n FROM transactions')) as [{ n: number }];
    if (opts.reseed || Number(n) !== opts.transactions) {
      console.log(
        `seeding ${opts.transactions} transactions into ${(await resolveDbSettings()).database} (once)…`,
      );
      await new Promise<void>((resolve, reject) => {
        const child = spawn(
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
          { cwd: root, env: process.env, stdio: ['ignore', 'ignore', 'inherit'] },
        );
        child.on('error', reject);
        child.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`seed exited with ${code}`))));
      });
    }
    const reset = async () => {
      await execute("DELETE FROM alerts WHERE flagged_by = 'system'");
      await execute('DELETE FROM scan_runs');
      await execute('DELETE FROM scan_watermarks');
      await execute('DELETE FROM scan_amount_histogram');
    };
    await reset();

    const startRss = process.memoryUsage().rss / 1e6;
    const settings = await resolveDbSettings();
    const sql =
      'SELECT id, account_id, transaction_type_id, date, amount, currency, balance_after, recipient_account, status, title FROM transactions ORDER BY id';
    const bareRead = (rowsAsArray: boolean) => async () => {
      const conn = mysql.createConnection({
        ...settings,
        dateStrings: true,
        supportBigNumbers: true,
        charset: 'utf8mb4_unicode_ci',
      });
      let rows = 0;
      for await (const _row of conn.query({ sql, rowsAsArray }).stream()) rows++;
      await conn.promise().end();
      if (rows !== opts.transactions) throw new Error(`read ${rows} rows, expected ${opts.transactions}`);
    };
    const baseline = await timeIt(
      `bare mysql2 stream of ${opts.transactions} rows (objects)`,
      bareRead(false),
    );
    const arrays = await timeIt('  the same, rows as arrays (as the scan reads)', bareRead(true));
    const full = await timeIt(`full scan of ${opts.transactions} transactions`, () =>
      runScan({ mode: 'full' }),
    );
    const [{ alerts }] = (await query<{ alerts: number }>('SELECT COUNT(*) AS alerts FROM alerts')) as [
      { alerts: number },
    ];

    // Hold back the last N transactions: as if they had just arrived after a scan of everything before them.
    const [{ maxId }] = (await query<{ maxId: number }>('SELECT MAX(id) AS maxId FROM transactions')) as [
      { maxId: number },
    ];
    const cut = Number(maxId) - opts.incremental;
    await execute('DELETE FROM alerts WHERE transaction_id > ?', [cut]);
    await withTransaction(async (conn) => {
      await conn.query('DELETE FROM scan_amount_histogram');
      await addToHistogram(conn, 0, cut);
      await setWatermark(conn, HISTOGRAM_WATERMARK, cut, 0);
      await conn.query('UPDATE scan_watermarks SET last_transaction_id = ? WHERE name = ?', [cut, WATERMARK]);
    });
    let scanned = 0;
    const incremental = await timeIt(`incremental scan of ${opts.incremental} new transactions`, async () => {
      scanned = (await runScan()).transactionsScanned;
    });
    if (scanned !== opts.incremental)
      throw new Error(`incremental scanned ${scanned}, not ${opts.incremental}`);

    printRatios('anomaly scan', [baseline, arrays, full, incremental]);
    console.log(`\n  RSS before the scans (node + tsx + modules): ${startRss.toFixed(0)} MB`);
    console.log(`\n  alerts after the full scan: ${alerts}`);
    console.log(`  full scan: ${(full.seconds / baseline.seconds).toFixed(2)}× the bare read (target ≤ 2×)`);
    console.log(`  incremental: ${incremental.seconds.toFixed(3)} s (target < 1 s)`);
    console.log(`  peak RSS of this process: ${peakRssMb().toFixed(0)} MB (target < 300 MB)`);
  } finally {
    await closePool();
  }
}

if (process.argv[1] === self && process.argv.includes('--worker')) {
  await worker(options(process.argv.slice(2)));
}
