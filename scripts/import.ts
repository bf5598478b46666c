/**
 * `npm run import -- --format amlsim <path> [--database D]`: loads IBM AMLSim output (a .tgz, its folder, or the
 * nodes.csv + transactions.csv pair) into an empty, migrated database, all or nothing, with the data's fraud labels
 * in anomaly_labels. An import is history: it raises no alert; the user scans it afterwards. docs/import.md.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import cliProgress from 'cli-progress';
import { defineCli } from '../lib/cli/args.js';
import { resolveDbSettings } from '../lib/db/settings.js';
import { ValidationError } from '../lib/errors.js';
import { amlsimFolder, type BadRow, readAmlsim } from '../lib/import/amlsim.js';
import { loadImport } from '../lib/import/load.js';
import { clientRow, importRows } from '../lib/import/rows.js';
import { runCli } from './cli.js';

const SHOWN_BAD_ROWS = 20;

const cli = defineCli({
  usage: 'npm run import -- --format amlsim <path> [options]',
  description: `Loads IBM AMLSim output into an empty, migrated database (MYSQL_URL, or --database): one client and one GBP
account per AMLSim account, a debit and a credit per transfer, step s booked on day --start + s, and every
transaction of a fraud account labelled in anomaly_labels. All or nothing. <path>: a .tgz, its folder, or nodes.csv.`,
  options: {
    format: { type: 'choice', choices: ['amlsim'], arg: '<format>', help: 'the input format (amlsim)' },
    database: {
      type: 'string',
      arg: '<name>',
      pattern: /^[A-Za-z0-9_]{1,64}$/,
      expects: 'a database name (letters, digits, _)',
      help: "the database on MYSQL_URL's server to import into (default: MYSQL_URL's)",
    },
    start: {
      type: 'string',
      arg: '<YYYY-MM-DD>',
      pattern: /^\d{4}-\d{2}-\d{2}$/,
      expects: 'a date YYYY-MM-DD',
      default: '2025-01-01',
      help: 'the day of step 0 (default 2025-01-01)',
    },
    'max-bad-rows': {
      type: 'integer',
      arg: '<n>',
      min: 0,
      max: 1_000_000,
      default: 0,
      help: 'load the good rows when at most n lines are bad (default 0: any bad line fails the import)',
    },
  },
  notes: `Example:
  npm run migrate && npm run import -- --format amlsim ../data/20K_fanin200.tgz --database fm_amlsim
  npm run scan -- --full && npm run scan -- --evaluate`,
});

/** The one positional argument (the path), and the options around it. */
function splitPath(args: readonly string[]): { options: string[]; path: string } {
  const options: string[] = [];
  const paths: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const arg = args[i] as string;
    if (arg.startsWith('-')) {
      options.push(arg);
      if (!arg.includes('=') && !['--help', '-h'].includes(arg) && i + 1 < args.length)
        options.push(args[++i] as string);
    } else paths.push(arg);
  }
  if (paths.length > 1)
    throw new ValidationError(`one <path> expected, found ${paths.length}: ${paths.join(' ')}`);
  return { options, path: paths[0] ?? '' };
}

/** MYSQL_URL with its database replaced by `database`. */
function pointAt(database: string): void {
  const url = new URL(process.env.MYSQL_URL || 'mysql://root@127.0.0.1:3306/financial_monitor');
  url.pathname = `/${database}`;
  process.env.MYSQL_URL = url.toString();
}

function printBadRows(bad: readonly BadRow[]): void {
  if (bad.length === 0) return;
  console.error(`${bad.length} bad line(s):`);
  for (const b of bad.slice(0, SHOWN_BAD_ROWS)) console.error(`  ${b.file}:${b.line}: ${b.reason}`);
  if (bad.length > SHOWN_BAD_ROWS) console.error(`  … and ${bad.length - SHOWN_BAD_ROWS} more`);
}

await runCli(async () => {
  const { options, path } = splitPath(process.argv.slice(2));
  const values = cli.parse(options);
  if (!values) return;
  if (!values.format) throw new ValidationError('--format is required (amlsim)');
  if (!path) throw new ValidationError('<path> is required: an AMLSim .tgz, its folder, or its nodes.csv');
  const start = new Date(`${values.start}T00:00:00Z`);
  if (Number.isNaN(start.getTime())) throw new ValidationError(`--start ${values.start} is not a date`);
  if (values.database) pointAt(values.database);
  const began = Date.now();
  const unpacked = /\.(tgz|tar\.gz)$/.test(path) ? mkdtempSync(join(tmpdir(), 'fm-import-')) : undefined;
  try {
    if (unpacked) execFileSync('tar', ['-xzf', path, '-C', unpacked, '--wildcards', '*.csv', '*.txt']);
    const data = await readAmlsim(amlsimFolder(unpacked ?? path));
    printBadRows(data.bad);
    if (data.bad.length > (values['max-bad-rows'] ?? 0))
      throw new ValidationError(
        `${data.bad.length} bad line(s), more than --max-bad-rows ${values['max-bad-rows']}: nothing imported`,
      );
    const settings = await resolveDbSettings();
    const bar = new cliProgress.SingleBar(
      { format: 'importing [{bar}] {percentage}% | {value}/{total} rows | ETA {eta}s', noTTYOutput: false },
      cliProgress.Presets.shades_classic,
    );
    bar.start(1, 0);
    const loaded = await loadImport(settings, {
      makeRows: (types) => ({
        clients: [...data.accounts.values()].map((a) => clientRow(a, start)),
        rows: importRows(data, start, types),
      }),
      onProgress: (done, total) => {
        bar.setTotal(total);
        bar.update(done);
      },
    }).finally(() => bar.stop());
    const rows = Object.entries(loaded)
      .map(([t, n]) => `${t} ${n}`)
      .join(', ');
    console.log(
      `imported into ${settings.database} in ${((Date.now() - began) / 1000).toFixed(1)} s: ${rows}`,
    );
    console.log('an import is history and raised no alert; now run: npm run scan -- --full');
  } finally {
    if (unpacked) rmSync(unpacked, { recursive: true, force: true });
  }
});
