/**
 * `runSeed`: fills the database with a synthetic bank, all or nothing.
 *
 * Everything happens in ONE database transaction on a dedicated connection (with a named lock so two seeds never
 * overlap): `--reset` deletes the old rows inside it, the tables are bulk-loaded inside it, and the run's
 * `seed_runs` row is written last, then COMMIT. Any failure — a bad row, a killed connection, a crashed process —
 * rolls the whole transaction back (the server does so itself when the connection dies), so the database is
 * exactly as it was before the run: a failed `--reset` keeps the old bank, a failed `--append` adds nothing.
 * Loading into an empty table inside one transaction with foreign-key and unique checks off lets InnoDB take its
 * bulk path (MariaDB 10.6+ writes one undo record per table, so both the load and a rollback are fast); the
 * generator guarantees the keys and references those checks would verify, and the tests verify them.
 *
 * Load order: transactions first (generated day by day; final balances accumulate in memory), then clients,
 * locations, accounts (with those balances), anomaly_labels, then seed_runs. The transactions are the bulk of the
 * server's work, and the tables after them are generated while the server still stores them (lib/seed/load.ts):
 * generated first, clients and locations kept the server waiting. With the checks off, the order is free.
 *
 * Reproducible to the byte: every row the seeder writes carries its id (labels included — server-assigned ids would
 * carry on from a bank replaced or a run rolled back), so the same options give the same tables after a fresh seed
 * or any number of resets. After the commit, the AUTO_INCREMENT counters of the tables it emptied or filled start
 * again after their highest id, so later rows (a scan's runs and alerts) are numbered as on a fresh database too:
 * that is DDL, which would commit the open transaction, so it cannot run inside it.
 */
import type { RowDataPacket } from 'mysql2/promise';
import { lockHeld, notMigrated } from '../db/failures.js';
import {
  acquireNamedLock,
  findLockHolder,
  releaseNamedLock,
  SCAN_LOCK,
  SCAN_LOCK_JOBS,
} from '../db/locks.js';
import { type DbSettings, resolveDbSettings } from '../db/settings.js';
import {
  ANOMALY_KINDS,
  DECOY_KINDS,
  LABEL_COLUMNS,
  TRANSACTION_COLUMNS,
  TRANSACTION_TYPES,
} from '../domain/bank.js';
import { ConflictError, DependencyError } from '../errors.js';
import { LabelLog } from './labels.js';
import { type LoadMethod, SeedConnection, type SeedLoad } from './load.js';
import { dayCount, type SeedOptions } from './options.js';
import {
  ACCOUNT_COLUMNS,
  accountRows,
  buildAccounts,
  CLIENT_COLUMNS,
  clientRows,
  LOCATION_COLUMNS,
  locationRows,
  populationSpec,
} from './population.js';
import type { Row } from './rows.js';
import { emptyTables, resetTables, restartAutoIncrements, SEEDED_TABLES } from './tables.js';
import { emptyTrafficStats, type TrafficStats, transactionRows } from './traffic.js';

/** The summary's rows per table, the bank's people first (not the load order). */
const SUMMARY_ORDER = ['clients', 'locations', 'transactions', 'accounts', 'anomaly_labels'] as const;

/** What must exist before the seeder runs. */
const REQUIRED_TABLES = [...SEEDED_TABLES, 'transaction_types', 'seed_runs'];

export type SeedMode = 'fresh' | 'reset' | 'append';

export interface SeedProgress {
  table: string;
  /** Rows written so far across all tables, and the expected total. */
  done: number;
  total: number;
}

export interface SeedHooks {
  /** Defaults to the process's database (MYSQL_URL or the Secrets Manager secret). */
  settings?: DbSettings;
  /** Force a method; `auto` (default) probes and falls back to INSERT when local infile is refused. */
  method?: LoadMethod | 'auto';
  /** mysql2 capability flags for the connection (tests: `['-LOCAL_FILES']`). */
  connectionFlags?: string[];
  onProgress?: (progress: SeedProgress) => void;
  /**
   * Called once the load method is known, the transaction open and --reset's old bank deleted in it; the run waits
   * for it (tests use it to kill the connection, or to hold the locks while they look).
   */
  onStarted?: (info: { threadId: number; method: LoadMethod }) => void | Promise<void>;
  /** Test hook: throw after this many transaction rows were generated (the run must then leave no trace). */
  failAfterTransactions?: number;
  /** How long to wait for a running anomaly scan to finish before refusing (default 60 s). */
  scanLockWaitSeconds?: number;
}

export interface SeedSummary {
  status: 'seeded' | 'already-seeded';
  database: string;
  mode?: SeedMode;
  method?: LoadMethod;
  seed: number;
  from: string;
  to: string;
  /** Rows written per table (before the run when status is already-seeded: rows found). */
  rows: Record<string, number>;
  transactionStatus?: { completed: number; pending: number; cancelled: number };
  /** Per kind: episodes injected, rows labelled, suspicious (1) or decoy (0). */
  labels: Array<{ kind: string; suspicious: boolean; episodes: number; rows: number; skipped: number }>;
  elapsedMs: number;
}

async function one<T>(seed: SeedConnection, sql: string, params: unknown[] = []): Promise<T> {
  const [rows] = await seed.conn.query<RowDataPacket[]>(sql, params);
  return rows[0] as T;
}

async function existingCounts(seed: SeedConnection): Promise<Record<string, number>> {
  const row = await one<Record<string, number | string>>(
    seed,
    `SELECT (SELECT COUNT(*) FROM clients) AS clients, (SELECT COUNT(*) FROM accounts) AS accounts,
            (SELECT COUNT(*) FROM transactions) AS transactions, (SELECT COUNT(*) FROM locations) AS locations`,
  );
  return Object.fromEntries(Object.entries(row).map(([k, v]) => [k, Number(v)]));
}

async function ensureTransactionTypes(seed: SeedConnection): Promise<number[]> {
  await seed.conn.query('INSERT IGNORE INTO transaction_types (type, description) VALUES ?', [
    TRANSACTION_TYPES.map((t) => [t.type, t.description]),
  ]);
  const [rows] = await seed.conn.query<RowDataPacket[]>('SELECT id, type FROM transaction_types');
  const byType = new Map(rows.map((r) => [String(r.type).toLowerCase(), Number(r.id)]));
  return TRANSACTION_TYPES.map((t) => {
    const id = byType.get(t.type.toLowerCase());
    if (id === undefined) throw new DependencyError(`transaction type "${t.type}" is missing`);
    return id;
  });
}

function* failingAfter(rows: Iterable<Row>, limit: number): Generator<Row> {
  let n = 0;
  for (const row of rows) {
    if (n >= limit) throw new Error(`injected failure after ${limit} transactions`);
    n++;
    yield row;
  }
}

/**
 * Holds the seed lock, then waits for a running scan or migration (`locks` collects what was taken, for the caller
 * to release). Both are marked as the seed's, so a scan refused meanwhile can say a seed holds its lock.
 */
async function lockOutOthers(
  seed: SeedConnection,
  database: string,
  scanLockWaitSeconds: number,
  locks: string[],
): Promise<void> {
  const seedLock = await acquireNamedLock(seed.conn, database, 'seed', 0, 'seed');
  if (!seedLock) {
    const holder = await findLockHolder(seed.conn, database, 'seed');
    throw lockHeld({ lock: 'seed lock', database, holder, asker: 'seed' });
  }
  locks.push(seedLock);
  // No scan may write alerts while the bank is replaced or extended (scans load alerts without per-row foreign
  // key lookups): wait for a running scan to finish, up to a minute.
  const scanLock = await acquireNamedLock(seed.conn, database, SCAN_LOCK, scanLockWaitSeconds, 'seed');
  if (!scanLock) {
    const holder = await findLockHolder(seed.conn, database, SCAN_LOCK, SCAN_LOCK_JOBS);
    throw lockHeld(
      { lock: 'scan lock', database, holder, asker: 'seed' },
      `waited ${scanLockWaitSeconds} s; try again when it has finished`,
    );
  }
  locks.push(scanLock);
}

async function assertMigrated(seed: SeedConnection, settings: DbSettings): Promise<void> {
  const [tables] = await seed.conn.query<RowDataPacket[]>(
    'SELECT TABLE_NAME AS name FROM information_schema.TABLES WHERE TABLE_SCHEMA = ?',
    [settings.database],
  );
  const present = new Set(tables.map((r) => String(r.name)));
  const missing = REQUIRED_TABLES.filter((t) => !present.has(t));
  if (missing.length > 0) throw notMigrated(settings, missing);
}

/** What the run does with the bank it finds; `already-seeded` when asked to fill an empty database that is not. */
function seedModeFor(
  before: Record<string, number>,
  options: SeedOptions,
  database: string,
): SeedMode | 'already-seeded' {
  const empty = Object.values(before).every((n) => n === 0);
  if (!empty && options.ifEmpty) return 'already-seeded';
  if (!empty && !options.reset && !options.append)
    throw new ConflictError(
      `database ${database} already holds a bank (${before.clients} clients, ${before.accounts} accounts, ${before.transactions} transactions); pass --reset to replace it or --append to add to it`,
    );
  return empty ? 'fresh' : options.reset ? 'reset' : 'append';
}

async function loadMethodFor(seed: SeedConnection, requested: SeedHooks['method']): Promise<LoadMethod> {
  if (requested === 'insert' || requested === 'load-data') return requested;
  return (await seed.canLoadLocal('transaction_types')) ? 'load-data' : 'insert';
}

interface LastIds {
  clients: number;
  locations: number;
  accounts: number;
  transactions: number;
  episodes: number;
  labels: number;
}

/** The highest ids already in the bank (0 when empty): an appended bank continues after them. */
async function lastIds(seed: SeedConnection): Promise<LastIds> {
  const row = await one<Record<string, number | string>>(
    seed,
    `SELECT (SELECT COALESCE(MAX(id), 0) FROM clients) AS clients,
            (SELECT COALESCE(MAX(id), 0) FROM locations) AS locations,
            (SELECT COALESCE(MAX(id), 0) FROM accounts) AS accounts,
            (SELECT COALESCE(MAX(id), 0) FROM transactions) AS transactions,
            (SELECT COALESCE(MAX(episode_id), 0) FROM anomaly_labels) AS episodes,
            (SELECT COALESCE(MAX(id), 0) FROM anomaly_labels) AS labels`,
  );
  return {
    clients: Number(row.clients),
    locations: Number(row.locations),
    accounts: Number(row.accounts),
    transactions: Number(row.transactions),
    episodes: Number(row.episodes),
    labels: Number(row.labels),
  };
}

interface LoadedBank {
  rows: Record<string, number>;
  stats: TrafficStats;
  firstTransactionId: number;
}

/** Generates the bank and loads it table by table in load order (see the header), inside the open transaction. */
async function loadBank(
  seed: SeedConnection,
  method: LoadMethod,
  options: SeedOptions,
  hooks: SeedHooks,
): Promise<LoadedBank> {
  const typeIds = await ensureTransactionTypes(seed);
  const next = await lastIds(seed);
  const spec = populationSpec(options, {
    firstClientId: next.clients + 1,
    firstAccountId: next.accounts + 1,
  });
  const accounts = buildAccounts(spec);
  const total = options.clients * 2 + options.transactions + accounts.count;
  let done = 0;
  const labels = new LabelLog();
  const stats = emptyTrafficStats();
  const firstTransactionId = next.transactions + 1;
  const traffic = transactionRows(
    {
      seed: options.seed,
      fromDay: spec.fromDay,
      toDay: spec.toDay,
      transactions: options.transactions,
      anomalyRate: options.anomalyRate,
      firstTransactionId,
      firstEpisodeId: next.episodes + 1,
      typeIds,
    },
    accounts,
    labels,
    stats,
  );
  // Each generator runs only once the one before it is spent: accounts and labels read what the traffic left.
  const loads: SeedLoad[] = [
    {
      table: 'transactions',
      columns: TRANSACTION_COLUMNS,
      // The test hook's wrapper only when asked for: a generator between generator and loader costs per row.
      rows:
        hooks.failAfterTransactions === undefined
          ? traffic
          : failingAfter(traffic, hooks.failAfterTransactions),
    },
    { table: 'clients', columns: CLIENT_COLUMNS, rows: clientRows(spec) },
    { table: 'locations', columns: LOCATION_COLUMNS, rows: locationRows(spec, next.locations + 1) },
    { table: 'accounts', columns: ACCOUNT_COLUMNS, rows: accountRows(spec, accounts) },
    { table: 'anomaly_labels', columns: ['id', ...LABEL_COLUMNS], rows: labels.rows(next.labels + 1) },
  ];
  const sent = await seed.loadAll(method, loads, (table, n) => {
    done += n;
    hooks.onProgress?.({ table, done, total: Math.max(total, done) });
  });
  const sentTo = new Map(loads.map((load, i) => [load.table, sent[i] ?? 0]));
  const rows = Object.fromEntries(SUMMARY_ORDER.map((table) => [table, sentTo.get(table) ?? 0]));
  return { rows, stats, firstTransactionId };
}

function labelSummaryOf(stats: TrafficStats): SeedSummary['labels'] {
  return [...ANOMALY_KINDS, ...DECOY_KINDS].map((kind) => ({
    kind,
    suspicious: (ANOMALY_KINDS as readonly string[]).includes(kind),
    episodes: stats.episodes[kind] ?? 0,
    rows: stats.labelledRows[kind] ?? 0,
    skipped: stats.skipped[kind] ?? 0,
  }));
}

const sqlTime = (ms: number) => new Date(ms).toISOString().slice(0, 23).replace('T', ' ');

/** The run's seed_runs row, written last inside the transaction. */
async function recordSeedRun(
  seed: SeedConnection,
  run: {
    started: number;
    mode: SeedMode;
    method: LoadMethod;
    options: SeedOptions;
    bank: LoadedBank;
    labels: SeedSummary['labels'];
  },
): Promise<void> {
  const { rows, firstTransactionId } = run.bank;
  const transactions = rows.transactions ?? 0;
  const elapsedMs = Date.now() - run.started;
  await seed.conn.query(
    `INSERT INTO seed_runs (started_at, finished_at, mode, method, seed, options, counts, first_transaction_id,
                            last_transaction_id, elapsed_ms)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    [
      sqlTime(run.started),
      sqlTime(Date.now()),
      run.mode,
      run.method,
      run.options.seed,
      JSON.stringify({ ...run.options, days: dayCount(run.options) }),
      JSON.stringify({ rows, labels: run.labels }),
      transactions > 0 ? firstTransactionId : null,
      transactions > 0 ? firstTransactionId + transactions - 1 : null,
      elapsedMs,
    ],
  );
}

/**
 * Seeds the database described by `hooks.settings` (default: the process's). Validate `options` with
 * `parseSeedOptions` first.
 *
 * @example await runSeed(parseSeedOptions({ clients: 50, transactions: 2_000, to: '2026-01-01', reset: true }))
 */
export async function runSeed(options: SeedOptions, hooks: SeedHooks = {}): Promise<SeedSummary> {
  const started = Date.now();
  const settings = hooks.settings ?? (await resolveDbSettings());
  const seed = await SeedConnection.open(settings, { flags: hooks.connectionFlags });
  const locks: string[] = [];
  const base = { database: settings.database, seed: options.seed, from: options.from, to: options.to };
  try {
    await lockOutOthers(seed, settings.database, hooks.scanLockWaitSeconds ?? 60, locks);
    await assertMigrated(seed, settings);
    const before = await existingCounts(seed);
    const mode = seedModeFor(before, options, settings.database);
    if (mode === 'already-seeded')
      return { ...base, status: 'already-seeded', rows: before, labels: [], elapsedMs: Date.now() - started };
    const method = await loadMethodFor(seed, hooks.method);
    const reset = mode === 'reset' ? await resetTables(seed, settings.database) : { bank: [], derived: [] };

    await seed.conn.query('SET SESSION foreign_key_checks = 0');
    await seed.conn.query(`SET SESSION unique_checks = ${mode === 'append' ? 1 : 0}`);
    await seed.conn.beginTransaction();
    let bank: LoadedBank;
    let labels: SeedSummary['labels'];
    try {
      await emptyTables(seed, reset.bank);
      await hooks.onStarted?.({ threadId: seed.threadId, method });
      bank = await loadBank(seed, method, options, hooks);
      labels = labelSummaryOf(bank.stats);
      // The derived tables last: a scan that steps aside meanwhile records its skipped run in scan_runs, and that
      // insert waits for the commit once this transaction has deleted scan_runs' rows (and the gaps between them).
      await emptyTables(seed, reset.derived);
      await recordSeedRun(seed, { started, mode, method, options, bank, labels });
      await seed.conn.commit();
    } catch (error) {
      await seed.conn.rollback().catch(() => undefined);
      throw error;
    }
    if (mode !== 'append')
      await restartAutoIncrements(
        seed,
        settings.database,
        mode === 'reset' ? [...reset.bank, ...reset.derived] : SEEDED_TABLES,
      );
    const { completed, pending, cancelled } = bank.stats;
    return {
      ...base,
      status: 'seeded',
      mode,
      method,
      rows: bank.rows,
      transactionStatus: { completed, pending, cancelled },
      labels,
      elapsedMs: Date.now() - started,
    };
  } finally {
    for (const lock of locks.reverse()) await releaseNamedLock(seed.conn, lock);
    await seed.end();
  }
}
