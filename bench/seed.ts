/**
 * `npm run bench -- seed [--transactions 1000000] [--clients 50000] [--small 250000] [--no-plain]`
 *
 * Measures, in one run, against scratch databases on MYSQL_URL's server (dropped afterwards):
 *   1. baseline: the very same rows, written to TSV files first (untimed), then LOAD DATA LOCAL INFILE into a
 *      fresh migrated database with the seeder's session settings (one transaction, FK/unique checks off);
 *   2. the seeder (runSeed: generating while loading) at full size, in a child process so its peak RSS is its own;
 *   3. the seeder at a smaller size (default 250k), to show memory stays flat as the count grows;
 *   4. (unless --no-plain) the same LOAD DATA with default session settings (autocommit, checks on), for reference.
 * It checks that the baseline and the seeder wrote identical transactions (CHECKSUM TABLE) and prints the ratio,
 * then where each run's time went: the server's connection thread on a CPU, in the run queue and idle (waiting for
 * rows), Node's main thread on a CPU and in the run queue (/proc/…/schedstat; the server's thread is found through
 * PROCESSLIST.TID, so only a local MariaDB gives it), and the load average around each run.
 */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { createReadStream, createWriteStream, readFileSync } from 'node:fs';
import { mkdtemp, rm, stat } from 'node:fs/promises';
import { loadavg, tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import mysql, { type RowDataPacket } from 'mysql2/promise';
import { defineCli } from '../lib/cli/args.js';
import { getConfig } from '../lib/config.js';
import { tsvLine } from '../lib/db/bulk-load.js';
import { migrate } from '../lib/db/migrate.js';
import { connectionOptions } from '../lib/db/pool.js';
import { type DbSettings, settingsFromUrl } from '../lib/db/settings.js';
import { LABEL_COLUMNS, TRANSACTION_COLUMNS, TRANSACTION_TYPES } from '../lib/domain/bank.js';
import { LabelLog } from '../lib/seed/labels.js';
import { parseSeedOptions, type SeedOptions } from '../lib/seed/options.js';
import {
  ACCOUNT_COLUMNS,
  accountRows,
  buildAccounts,
  CLIENT_COLUMNS,
  clientRows,
  LOCATION_COLUMNS,
  locationRows,
  populationSpec,
} from '../lib/seed/population.js';
import type { Row } from '../lib/seed/rows.js';
import { runSeed } from '../lib/seed/run.js';
import { emptyTrafficStats, transactionRows } from '../lib/seed/traffic.js';
import { localDbServerPid, type Measurement, peakRssMb, printRatios } from './lib.js';

export const description =
  'seeding 1M transactions (generate + LOAD DATA) vs LOAD DATA LOCAL INFILE of the same rows; peak RSS at two sizes';

const CHILD_ENV = 'FM_SEED_BENCH_CHILD';
const SEED = 20_260_101;
const TO = '2026-01-01';

function serverSettings(): DbSettings {
  return settingsFromUrl(getConfig().MYSQL_URL);
}

async function createDatabase(label: string): Promise<DbSettings> {
  const base = serverSettings();
  const name = `fm_bench_seed_${label}_${process.pid}`;
  const server = await mysql.createConnection({ ...connectionOptions(base), database: undefined });
  await server.query(`DROP DATABASE IF EXISTS \`${name}\``);
  await server.query(`CREATE DATABASE \`${name}\` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci`);
  await server.end();
  const settings = { ...base, database: name };
  await migrate({ settings });
  return settings;
}

async function dropDatabase(settings: DbSettings): Promise<void> {
  const server = await mysql.createConnection({ ...connectionOptions(settings), database: undefined });
  await server.query(`DROP DATABASE IF EXISTS \`${settings.database}\``);
  await server.end();
}

async function checksum(settings: DbSettings, table: string): Promise<string> {
  const conn = await mysql.createConnection(connectionOptions(settings));
  const [rows] = await conn.query<RowDataPacket[]>(`CHECKSUM TABLE \`${table}\``);
  await conn.end();
  return String(rows[0]?.Checksum);
}

/** A thread's time on a CPU and waiting in the run queue, in seconds (/proc/<pid>/task/<tid>/schedstat). */
interface ThreadTimes {
  cpu: number;
  queued: number;
}

function threadTimes(pid: number | undefined, tid: number | undefined): ThreadTimes | undefined {
  if (pid === undefined || tid === undefined) return undefined;
  try {
    const [cpu, queued] = readFileSync(`/proc/${pid}/task/${tid}/schedstat`, 'utf8').split(' ').map(Number);
    return { cpu: (cpu ?? 0) / 1e9, queued: (queued ?? 0) / 1e9 };
  } catch {
    return undefined;
  }
}

const timesSince = (before?: ThreadTimes, after?: ThreadTimes): ThreadTimes | undefined =>
  before && after ? { cpu: after.cpu - before.cpu, queued: after.queued - before.queued } : undefined;

/** The OS thread serving connection `id` in the local server (MariaDB's PROCESSLIST.TID), when there is one. */
async function serverThreadOf(settings: DbSettings, id: number): Promise<number | undefined> {
  const conn = await mysql.createConnection(connectionOptions(settings));
  try {
    const [rows] = await conn.query<RowDataPacket[]>(
      'SELECT TID FROM information_schema.PROCESSLIST WHERE ID = ?',
      [id],
    );
    return rows[0]?.TID === undefined ? undefined : Number(rows[0].TID);
  } catch {
    return undefined; // MySQL has no TID column
  } finally {
    await conn.end();
  }
}

/**
 * Where a run's time went, as bench/seed-notes.md accounts for it: the server's connection thread on a CPU, waiting
 * for one, and the rest (idle: waiting for rows); Node's main thread on a CPU and waiting for one.
 */
interface RunAccount {
  seconds: number;
  server?: ThreadTimes;
  node?: ThreadTimes;
  load: [number, number];
}

function accountLine(label: string, run: RunAccount): string {
  const s = run.server;
  const server = s
    ? `${s.cpu.toFixed(1)} / ${s.queued.toFixed(1)} / ${Math.max(0, run.seconds - s.cpu - s.queued).toFixed(1)} s`
    : 'n/a';
  const node = run.node ? `${run.node.cpu.toFixed(1)} / ${run.node.queued.toFixed(1)} s` : '-';
  return `  ${label.padEnd(22)} ${run.seconds.toFixed(1).padStart(6)} s  server ${server.padEnd(20)}  node ${node.padEnd(14)}  load ${run.load[0].toFixed(1)} -> ${run.load[1].toFixed(1)}`;
}

interface TableFile {
  table: string;
  columns: readonly string[];
  file: string;
}

async function writeRows(file: string, rows: Iterable<Row>): Promise<void> {
  const out = createWriteStream(file);
  let chunk = '';
  for (const row of rows) {
    chunk += tsvLine(row);
    if (chunk.length > 1 << 20) {
      if (!out.write(chunk)) await once(out, 'drain');
      chunk = '';
    }
  }
  out.end(chunk);
  await once(out, 'finish');
}

/** Writes exactly the rows the seeder would load into a fresh database, one TSV file per table. */
async function writeFiles(dir: string, options: SeedOptions): Promise<TableFile[]> {
  const spec = populationSpec(options);
  const accounts = buildAccounts(spec);
  const labels = new LabelLog();
  const stats = emptyTrafficStats();
  const files: TableFile[] = [
    { table: 'clients', columns: CLIENT_COLUMNS, file: path.join(dir, 'clients.tsv') },
    { table: 'locations', columns: LOCATION_COLUMNS, file: path.join(dir, 'locations.tsv') },
    { table: 'transactions', columns: TRANSACTION_COLUMNS, file: path.join(dir, 'transactions.tsv') },
    { table: 'accounts', columns: ACCOUNT_COLUMNS, file: path.join(dir, 'accounts.tsv') },
    { table: 'anomaly_labels', columns: LABEL_COLUMNS, file: path.join(dir, 'anomaly_labels.tsv') },
  ];
  const [clientsFile, locationsFile, transactionsFile, accountsFile, labelsFile] = files.map(
    (f) => f.file,
  ) as [string, string, string, string, string];
  await writeRows(clientsFile, clientRows(spec));
  await writeRows(locationsFile, locationRows(spec, 1));
  const typeIds = TRANSACTION_TYPES.map((_, i) => i + 1); // a fresh database numbers them in this order
  await writeRows(
    transactionsFile,
    transactionRows(
      {
        seed: options.seed,
        fromDay: spec.fromDay,
        toDay: spec.toDay,
        transactions: options.transactions,
        anomalyRate: options.anomalyRate,
        firstTransactionId: 1,
        firstEpisodeId: 1,
        typeIds,
      },
      accounts,
      labels,
      stats,
    ),
  );
  await writeRows(accountsFile, accountRows(spec, accounts));
  await writeRows(labelsFile, labels.rows());
  return files;
}

/** LOAD DATA LOCAL INFILE of the files; `seederSettings` = one transaction with FK and unique checks off. */
async function loadFiles(
  settings: DbSettings,
  files: TableFile[],
  seederSettings: boolean,
): Promise<RunAccount> {
  const conn = await mysql.createConnection({
    ...connectionOptions(settings),
    infileStreamFactory: (file: string) => createReadStream(file),
  });
  try {
    await conn.query('INSERT INTO transaction_types (type, description) VALUES ?', [
      TRANSACTION_TYPES.map((t) => [t.type, t.description]),
    ]);
    const serverPid = localDbServerPid();
    const tid = await serverThreadOf(settings, conn.threadId);
    const load0 = loadavg()[0] ?? 0;
    const before = threadTimes(serverPid, tid);
    const started = performance.now();
    if (seederSettings) {
      await conn.query('SET SESSION foreign_key_checks = 0');
      await conn.query('SET SESSION unique_checks = 0');
      await conn.beginTransaction();
    }
    for (const f of files)
      await conn.query(
        `LOAD DATA LOCAL INFILE ${conn.escape(f.file)} INTO TABLE \`${f.table}\` CHARACTER SET utf8mb4
           FIELDS TERMINATED BY '\\t' ESCAPED BY '\\\\' LINES TERMINATED BY '\\n'
           (${f.columns.map((c) => `\`${c}\``).join(', ')})`,
      );
    if (seederSettings) await conn.commit();
    const seconds = (performance.now() - started) / 1000;
    return {
      seconds,
      server: timesSince(before, threadTimes(serverPid, tid)),
      load: [load0, loadavg()[0] ?? 0],
    };
  } finally {
    await conn.end();
  }
}

interface ChildResult extends RunAccount {
  peakRssMb: number;
  method: string;
}

/**
 * Runs the seeder in a child process (its own peak RSS), into `settings`, with the JS heap capped as `npm run seed`
 * caps it (package.json).
 */
async function seedInChild(settings: DbSettings, options: SeedOptions): Promise<ChildResult> {
  const self = fileURLToPath(import.meta.url);
  const child = spawn(process.execPath, ['--max-old-space-size=512', '--import', 'tsx', self], {
    env: { ...process.env, [CHILD_ENV]: JSON.stringify({ settings, options }) },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let out = '';
  child.stdout.on('data', (c: Buffer) => {
    out += c.toString();
  });
  const [code] = (await once(child, 'exit')) as [number];
  if (code !== 0) throw new Error(`seeder child exited with ${code}`);
  const line = out.trim().split('\n').at(-1) ?? '{}';
  return JSON.parse(line) as ChildResult;
}

async function childMain(): Promise<void> {
  const { settings, options } = JSON.parse(process.env[CHILD_ENV] ?? '{}') as {
    settings: DbSettings;
    options: SeedOptions;
  };
  const serverPid = localDbServerPid();
  const load0 = loadavg()[0] ?? 0;
  const nodeBefore = threadTimes(process.pid, process.pid);
  let tid: number | undefined;
  let serverBefore: ThreadTimes | undefined;
  const started = performance.now();
  const summary = await runSeed(options, {
    settings,
    onStarted: async ({ threadId }) => {
      tid = await serverThreadOf(settings, threadId);
      serverBefore = threadTimes(serverPid, tid);
    },
  });
  const seconds = (performance.now() - started) / 1000;
  // The connection has ended; its server thread waits in the thread cache with its counters.
  const result: ChildResult = {
    seconds,
    peakRssMb: peakRssMb(),
    method: summary.method ?? '',
    server: timesSince(serverBefore, threadTimes(serverPid, tid)),
    node: timesSince(nodeBefore, threadTimes(process.pid, process.pid)),
    load: [load0, loadavg()[0] ?? 0],
  };
  process.stdout.write(`${JSON.stringify(result)}\n`);
}

const cli = defineCli({
  usage: 'npm run bench -- seed [options]',
  description:
    "The seeder against LOAD DATA LOCAL INFILE of the same rows, and the seeder's peak RSS at two sizes.",
  options: {
    transactions: {
      type: 'integer',
      min: 1,
      max: 50_000_000,
      default: 1_000_000,
      help: 'transactions of the full-size run (default 1000000)',
    },
    clients: {
      type: 'integer',
      min: 1,
      max: 2_000_000,
      help: 'clients of the full-size run (default: one per 20 transactions)',
    },
    small: {
      type: 'integer',
      min: 1,
      max: 50_000_000,
      default: 250_000,
      help: 'transactions of the smaller run, to show memory stays flat (default 250000)',
    },
    'no-plain': {
      type: 'boolean',
      help: 'skip the reference LOAD DATA with default session settings (autocommit, checks on)',
    },
  },
});

export async function run(args: string[]): Promise<void> {
  const values = cli.parse(args);
  if (!values) return;
  const { transactions, small } = values;
  const clients = values.clients ?? Math.round(transactions / 20);
  const full = parseSeedOptions({ clients, transactions, to: TO, seed: SEED });
  const reduced = parseSeedOptions({
    clients: Math.round((clients * small) / transactions),
    transactions: small,
    to: TO,
    seed: SEED,
  });
  console.log(
    `seed benchmark: ${transactions} transactions, ${clients} clients (${full.from} .. ${full.to}), seed ${SEED}; small run ${small}`,
  );

  const dir = await mkdtemp(path.join(tmpdir(), 'fm-seed-bench-'));
  const created: DbSettings[] = [];
  const scratch = async (label: string) => {
    const s = await createDatabase(label);
    created.push(s);
    return s;
  };
  try {
    process.stdout.write('writing the rows to TSV files (untimed)… ');
    const files = await writeFiles(dir, full);
    let bytes = 0;
    for (const f of files) bytes += (await stat(f.file)).size;
    console.log(`${(bytes / 1e6).toFixed(0)} MB`);

    process.stdout.write('baseline: LOAD DATA LOCAL INFILE of the files… ');
    const baselineDb = await scratch('baseline');
    const baseline = await loadFiles(baselineDb, files, true);
    console.log(`${baseline.seconds.toFixed(1)} s`);

    process.stdout.write(`seeder at ${transactions}… `);
    const seederDb = await scratch('full');
    const seeder = await seedInChild(seederDb, full);
    console.log(
      `${seeder.seconds.toFixed(1)} s (${seeder.method}), peak RSS ${seeder.peakRssMb.toFixed(0)} MB`,
    );
    const same =
      (await checksum(baselineDb, 'transactions')) === (await checksum(seederDb, 'transactions')) &&
      (await checksum(baselineDb, 'accounts')) === (await checksum(seederDb, 'accounts'));
    console.log(`same rows as the baseline (CHECKSUM TABLE transactions, accounts): ${same ? 'yes' : 'NO'}`);
    await dropDatabase(baselineDb);
    await dropDatabase(seederDb);

    process.stdout.write(`seeder at ${small}… `);
    const smallDb = await scratch('small');
    const smaller = await seedInChild(smallDb, reduced);
    console.log(`${smaller.seconds.toFixed(1)} s, peak RSS ${smaller.peakRssMb.toFixed(0)} MB`);
    await dropDatabase(smallDb);

    const measurements: Measurement[] = [
      { label: 'LOAD DATA LOCAL INFILE of the same rows (baseline)', seconds: baseline.seconds },
      { label: `seeder, ${transactions} transactions (generate + load)`, seconds: seeder.seconds },
    ];
    if (!values['no-plain']) {
      process.stdout.write('reference: the same LOAD DATA with default session settings… ');
      const plainDb = await scratch('plain');
      const plain = await loadFiles(plainDb, files, false);
      console.log(`${plain.seconds.toFixed(1)} s`);
      await dropDatabase(plainDb);
      measurements.push({ label: 'LOAD DATA, autocommit + FK/unique checks on', seconds: plain.seconds });
    }
    printRatios('seeding vs LOAD DATA of the same rows (target ≤ 1.5×)', measurements);
    console.log(
      `\nwhere the time went (server connection thread: on CPU / run queue / idle; Node's main thread: on CPU / run queue; 1-minute load average before -> after)`,
    );
    console.log(accountLine('baseline', baseline));
    console.log(accountLine(`seeder ${transactions}`, seeder));
    console.log(accountLine(`seeder ${small}`, smaller));
    console.log(
      `\npeak RSS of the seeder: ${smaller.peakRssMb.toFixed(0)} MB at ${small}, ${seeder.peakRssMb.toFixed(0)} MB at ${transactions} (target < 300 MB, flat)`,
    );
  } finally {
    for (const s of created) await dropDatabase(s).catch(() => undefined);
    await rm(dir, { recursive: true, force: true });
  }
}

if (process.env[CHILD_ENV]) {
  childMain().then(
    () => process.exit(0),
    (error) => {
      console.error(error);
      process.exit(1);
    },
  );
}
