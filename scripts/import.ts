/**
 * `npm run import -- --format amlsim|csv <path> [--mapping FILE] [--database D]`: loads IBM AMLSim output (a .tgz,
 * its folder, or the nodes.csv + transactions.csv pair) or any CSV through a column mapping into an empty, migrated
 * database, all or nothing, with the data's labels in anomaly_labels. An import is history: it raises no alert; the
 * user scans it afterwards. docs/import.md.
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
import { csvRows, readCsv, readMapping } from '../lib/import/csv.js';
import { type LoadOptions, loadImport } from '../lib/import/load.js';
import { clientRow, importRows } from '../lib/import/rows.js';
import { runCli } from './cli.js';

const SHOWN_BAD_ROWS = 20;

const cli = defineCli({
  usage: 'npm run import -- --format amlsim|csv <path> [--mapping FILE] [options]',
  description: `Loads IBM AMLSim output, or any CSV through a column mapping, into an empty, migrated database (MYSQL_URL, or
--database), with the data's labels in anomaly_labels. AMLSim: one client and one GBP account per AMLSim account, a
debit and a credit per transfer, step s booked on day --start + s, every transaction of a fraud account labelled.
All or nothing; it raises no alert. docs/import.md.`,
  options: {
    format: {
      type: 'choice',
      choices: ['amlsim', 'csv'],
      arg: '<format>',
      help: 'amlsim (a .tgz, its folder or nodes.csv) or csv (one file, read through --mapping)',
    },
    mapping: { type: 'string', arg: '<file>', help: 'csv: the JSON column mapping (docs/import.md)' },
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

/** The rows of an AMLSim path (unpacking a .tgz into `scratch`), and its bad lines. */
async function amlsimImport(path: string, start: Date, scratch: () => string) {
  let folder = path;
  if (/\.(tgz|tar\.gz)$/.test(path)) {
    folder = scratch();
    execFileSync('tar', ['-xzf', path, '-C', folder, '--wildcards', '*.csv', '*.txt']);
  }
  const data = await readAmlsim(amlsimFolder(folder));
  const makeRows: LoadOptions['makeRows'] = (types) => ({
    clients: [...data.accounts.values()].map((a) => clientRow(a, start)),
    rows: importRows(data, start, types),
  });
  return { bad: data.bad, makeRows };
}

/** The rows of a CSV read through the mapping file, and its bad lines. */
async function csvImport(path: string, mappingPath: string | undefined) {
  if (!mappingPath) throw new ValidationError('--format csv needs --mapping <file> (docs/import.md)');
  const mapping = readMapping(mappingPath);
  const { bookings, bad } = await readCsv(path, mapping);
  const makeRows: LoadOptions['makeRows'] = (types) => csvRows(bookings, types, mapping.labelKind);
  return { bad, makeRows };
}

/** Loads with a progress bar; prints what was written. */
async function load(makeRows: LoadOptions['makeRows'], began: number): Promise<void> {
  const settings = await resolveDbSettings();
  const bar = new cliProgress.SingleBar(
    { format: 'importing [{bar}] {percentage}% | {value}/{total} rows | ETA {eta}s', noTTYOutput: false },
    cliProgress.Presets.shades_classic,
  );
  bar.start(1, 0);
  const loaded = await loadImport(settings, {
    makeRows,
    onProgress: (done, total) => {
      bar.setTotal(total);
      bar.update(done);
    },
  }).finally(() => bar.stop());
  const rows = Object.entries(loaded)
    .map(([t, n]) => `${t} ${n}`)
    .join(', ');
  console.log(`imported into ${settings.database} in ${((Date.now() - began) / 1000).toFixed(1)} s: ${rows}`);
  console.log('an import is history and raised no alert; now run: npm run scan -- --full');
}

await runCli(async () => {
  const { options, path } = splitPath(process.argv.slice(2));
  const values = cli.parse(options);
  if (!values) return;
  if (!values.format) throw new ValidationError('--format is required (amlsim or csv)');
  if (!path) throw new ValidationError('<path> is required (see --help)');
  const start = new Date(`${values.start}T00:00:00Z`);
  if (Number.isNaN(start.getTime())) throw new ValidationError(`--start ${values.start} is not a date`);
  if (values.database) pointAt(values.database);
  const began = Date.now();
  let scratch: string | undefined;
  try {
    const { bad, makeRows } =
      values.format === 'csv'
        ? await csvImport(path, values.mapping)
        : await amlsimImport(path, start, () => {
            scratch = mkdtempSync(join(tmpdir(), 'fm-import-'));
            return scratch;
          });
    printBadRows(bad);
    if (bad.length > (values['max-bad-rows'] ?? 0))
      throw new ValidationError(
        `${bad.length} bad line(s), more than --max-bad-rows ${values['max-bad-rows']}: nothing imported`,
      );
    await load(makeRows, began);
  } finally {
    if (scratch) rmSync(scratch, { recursive: true, force: true });
  }
});
