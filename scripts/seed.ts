/**
 * `npm run seed -- [options]`: fills the database (MYSQL_URL) with a synthetic bank and labelled anomalies.
 * `npm start` calls it with `--if-empty`. `--help` lists the options; docs/seeding.md explains them.
 */
import './cli-env.js';
import { parseArgs } from 'node:util';
import cliProgress from 'cli-progress';
import { refreshAnalytics } from '../lib/analytics/refresh.js';
import { LOCALES } from '../lib/domain/bank.js';
import {
  DEFAULT_ANOMALY_RATE,
  DEFAULT_CLIENTS,
  DEFAULT_SEED,
  DEFAULT_TRANSACTIONS,
  parseSeedOptions,
} from '../lib/seed/options.js';
import { runSeed, type SeedSummary } from '../lib/seed/run.js';
import { runCli } from './cli.js';

const HELP = `Usage: npm run seed -- [options]

Fills the database (MYSQL_URL) with a synthetic bank: clients, locations, accounts and transactions, with
labelled anomalies (table anomaly_labels). All or nothing: a failed run leaves the database as it was.

Options:
  --clients <n>         clients to create (default ${DEFAULT_CLIENTS}; each has 1-4 accounts)
  --transactions <n>    transactions in total, opening rows included (default ${DEFAULT_TRANSACTIONS})
  --from <YYYY-MM-DD>   first day with traffic (default: one year before --to)
  --to <YYYY-MM-DD>     end of the range, exclusive (default: today 00:00 UTC)
  --seed <n>            PRNG seed, 0-4294967295 (default ${DEFAULT_SEED}); same options => identical database
  --locales <list>      comma-separated, from: ${LOCALES.map((l) => l.locale).join(',')} (default: all)
  --anomaly-rate <r>    share of transactions in injected anomaly episodes, 0-0.1 (default ${DEFAULT_ANOMALY_RATE})
  --reset               replace the bank already in the database (its alerts and scan state too)
  --append              add to the bank already in the database
  --if-empty            seed only when the database has no bank yet; otherwise say so and exit 0
  -h, --help            show this help

Examples:
  npm run seed -- --reset
  npm run seed -- --clients 50000 --transactions 1000000 --to 2026-01-01 --seed 7 --reset`;

function printSummary(s: SeedSummary): void {
  if (s.status === 'already-seeded') {
    console.log(
      `database ${s.database} is already seeded (${s.rows.clients} clients, ${s.rows.transactions} transactions); nothing to do`,
    );
    return;
  }
  console.log(
    `\nseeded database ${s.database} (${s.mode}, ${s.method}, seed ${s.seed}, ${s.from} .. ${s.to} exclusive) in ${(s.elapsedMs / 1000).toFixed(1)} s`,
  );
  console.log('\n  rows per table');
  for (const [table, n] of Object.entries(s.rows))
    console.log(`    ${table.padEnd(16)} ${String(n).padStart(10)}`);
  if (s.transactionStatus)
    console.log(
      `    (transactions: ${s.transactionStatus.completed} completed, ${s.transactionStatus.pending} pending, ${s.transactionStatus.cancelled} cancelled)`,
    );
  console.log('\n  labelled episodes (anomaly_labels)');
  console.log(
    `    ${'kind'.padEnd(22)} ${'type'.padEnd(10)} ${'episodes'.padStart(8)} ${'rows'.padStart(7)}`,
  );
  for (const l of s.labels) {
    const skipped = l.skipped > 0 ? `  (${l.skipped} not placed: range too short)` : '';
    console.log(
      `    ${l.kind.padEnd(22)} ${(l.suspicious ? 'anomaly' : 'decoy').padEnd(10)} ${String(l.episodes).padStart(8)} ${String(l.rows).padStart(7)}${skipped}`,
    );
  }
}

await runCli(async () => {
  const { values } = parseArgs({
    options: {
      clients: { type: 'string' },
      transactions: { type: 'string' },
      from: { type: 'string' },
      to: { type: 'string' },
      seed: { type: 'string' },
      locales: { type: 'string' },
      'anomaly-rate': { type: 'string' },
      reset: { type: 'boolean' },
      append: { type: 'boolean' },
      'if-empty': { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
    strict: true,
  });
  if (values.help) {
    console.log(HELP);
    return;
  }
  const options = parseSeedOptions({
    clients: values.clients,
    transactions: values.transactions,
    from: values.from,
    to: values.to,
    seed: values.seed,
    locales: values.locales,
    anomalyRate: values['anomaly-rate'],
    reset: values.reset,
    append: values.append,
    ifEmpty: values['if-empty'],
  });

  const interactive = process.stdout.isTTY === true;
  const bar = new cliProgress.SingleBar(
    {
      format: 'seeding [{bar}] {percentage}% | {value}/{total} rows | {table} | ETA {eta}s',
      hideCursor: true,
      noTTYOutput: !interactive,
      notTTYSchedule: 5_000,
      etaBuffer: 50,
    },
    cliProgress.Presets.shades_classic,
  );
  let barStarted = false;
  try {
    const summary = await runSeed(options, {
      onProgress: ({ table, done, total }) => {
        if (!barStarted) {
          bar.start(total, 0, { table });
          barStarted = true;
        }
        bar.setTotal(total);
        bar.update(done, { table });
      },
    });
    if (barStarted) bar.stop();
    printSummary(summary);
    if (summary.status === 'seeded') {
      const refreshed = await refreshAnalytics();
      console.log(
        `\n  dashboard summaries ${refreshed.status} in ${(refreshed.elapsedMs / 1000).toFixed(1)} s`,
      );
    }
  } catch (error) {
    if (barStarted) bar.stop();
    throw error;
  }
});
