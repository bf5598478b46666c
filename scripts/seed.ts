/**
 * `npm run seed -- [options]`: fills the database (MYSQL_URL) with a synthetic bank and labelled anomalies.
 * `npm start` calls it with `--if-empty`. `--help` lists the options; docs/seeding.md explains them.
 */
import cliProgress from 'cli-progress';
import { refreshAnalytics } from '../lib/analytics/refresh.js';
import { defineCli } from '../lib/cli/args.js';
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

// Values stay text here: parseSeedOptions checks them, with the same messages for the CLI and the Lambda's event.
const cli = defineCli({
  usage: 'npm run seed -- [options]',
  description: `Fills the database (MYSQL_URL) with a synthetic bank: clients, locations, accounts and transactions, with
labelled anomalies (table anomaly_labels). All or nothing: a failed run leaves the database as it was.`,
  options: {
    clients: {
      type: 'string',
      arg: '<n>',
      help: `clients to create (default ${DEFAULT_CLIENTS}; each has 1-4 accounts)`,
    },
    transactions: {
      type: 'string',
      arg: '<n>',
      help: `transactions in total, opening rows included (default ${DEFAULT_TRANSACTIONS})`,
    },
    from: {
      type: 'string',
      arg: '<YYYY-MM-DD>',
      help: 'first day with traffic (default: one year before --to)',
    },
    to: {
      type: 'string',
      arg: '<YYYY-MM-DD>',
      help: 'end of the range, exclusive (default: today 00:00 UTC)',
    },
    seed: {
      type: 'string',
      arg: '<n>',
      help: `PRNG seed, 0-4294967295 (default ${DEFAULT_SEED}); same options => identical database`,
    },
    locales: {
      type: 'string',
      arg: '<list>',
      help: `comma-separated, from: ${LOCALES.map((l) => l.locale).join(',')} (default: all)`,
    },
    'anomaly-rate': {
      type: 'string',
      arg: '<r>',
      help: `share of transactions in injected anomaly episodes, 0-0.1 (default ${DEFAULT_ANOMALY_RATE})`,
    },
    reset: {
      type: 'boolean',
      help: 'replace the bank already in the database (its alerts and scan state too)',
    },
    append: { type: 'boolean', help: 'add to the bank already in the database' },
    'if-empty': {
      type: 'boolean',
      help: 'seed only when the database has no bank yet; otherwise say so and exit 0',
    },
  },
  notes: `Examples:
  npm run seed -- --reset
  npm run seed -- --clients 50000 --transactions 1000000 --to 2026-01-01 --seed 7 --reset`,
});

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
  const values = cli.parse(process.argv.slice(2));
  if (!values) return;
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
