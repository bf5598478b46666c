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
 * Load order: clients, locations, transactions (generated day by day; final balances accumulate in memory),
 * accounts (with those balances), anomaly_labels, then seed_runs.
 */
import type { RowDataPacket } from 'mysql2/promise';
import { acquireNamedLock, releaseNamedLock, SCAN_LOCK } from '../db/locks.js';
import { type DbSettings, resolveDbSettings } from '../db/settings.js';
import { ANOMALY_KINDS, DECOY_KINDS, TRANSACTION_COLUMNS, TRANSACTION_TYPES } from '../domain/bank.js';
import { ConflictError, DependencyError } from '../errors.js';
import { type LoadMethod, SeedConnection } from './load.js';
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
import { emptyTrafficStats, LABEL_COLUMNS, type TrafficStats, transactionRows } from './traffic.js';

/** The tables the seeder writes (brief tables first), and what must exist before it runs. */
export const SEEDED_TABLES = ['clients', 'locations', 'accounts', 'transactions', 'anomaly_labels'] as const;
const REQUIRED_TABLES = [...SEEDED_TABLES, 'transaction_types', 'seed_runs'];
/**
 * Tables derived from the seeded data without a foreign key to it, emptied by --reset too: the scan's state
 * (`scan_runs`, `scan_watermarks`, `scan_amount_histogram` …) — a watermark or histogram kept across a reset would
 * describe transactions that no longer exist.
 */
const isDerivedTable = (table: string) => table.startsWith('scan_');

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
  /** Called once the load method is known and the transaction is open (tests use it to kill the connection). */
  onStarted?: (info: { threadId: number; method: LoadMethod }) => void;
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

/** Tables that (transitively) reference the seeded tables, children first, for --reset. */
async function resetOrder(seed: SeedConnection, database: string): Promise<string[]> {
  const [edges] = await seed.conn.query<RowDataPacket[]>(
    `SELECT TABLE_NAME AS child, REFERENCED_TABLE_NAME AS parent
       FROM information_schema.REFERENTIAL_CONSTRAINTS WHERE CONSTRAINT_SCHEMA = ?`,
    [database],
  );
  const children = new Map<string, Set<string>>();
  for (const e of edges) {
    const set = children.get(String(e.parent)) ?? new Set<string>();
    set.add(String(e.child));
    children.set(String(e.parent), set);
  }
  const order: string[] = [];
  const visiting = new Set<string>();
  const visit = (table: string) => {
    if (order.includes(table) || visiting.has(table)) return;
    visiting.add(table);
    for (const child of children.get(table) ?? []) if (child !== table) visit(child);
    order.push(table);
  };
  for (const t of ['clients', 'locations', 'accounts', 'transactions', 'anomaly_labels']) visit(t);
  const [present] = await seed.conn.query<RowDataPacket[]>(
    'SELECT TABLE_NAME AS name FROM information_schema.TABLES WHERE TABLE_SCHEMA = ?',
    [database],
  );
  const names = new Set(present.map((r) => String(r.name)));
  return [
    ...order.filter((t) => t !== 'transaction_types'),
    ...[...names].filter((t) => isDerivedTable(t) && !order.includes(t)).sort(),
  ];
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

function* failingAfter(rows: Iterable<Row>, limit: number | undefined): Generator<Row> {
  let n = 0;
  for (const row of rows) {
    if (limit !== undefined && n >= limit) throw new Error(`injected failure after ${limit} transactions`);
    n++;
    yield row;
  }
}

/** Holds the seed lock, then waits for a running scan (`locks` collects what was taken, for the caller to release). */
async function lockOutOthers(
  seed: SeedConnection,
  database: string,
  scanLockWaitSeconds: number,
  locks: string[],
): Promise<void> {
  const seedLock = await acquireNamedLock(seed.conn, database, 'seed');
  if (!seedLock) throw new ConflictError(`another seed is running on database ${database}`);
  locks.push(seedLock);
  // No scan may write alerts while the bank is replaced or extended (scans load alerts without per-row foreign
  // key lookups): wait for a running scan to finish, up to a minute.
  const scanLock = await acquireNamedLock(seed.conn, database, SCAN_LOCK, scanLockWaitSeconds);
  if (!scanLock) {
    throw new ConflictError(`an anomaly scan is still running on database ${database}; try again`);
  }
  locks.push(scanLock);
}

async function assertMigrated(seed: SeedConnection, database: string): Promise<void> {
  const [tables] = await seed.conn.query<RowDataPacket[]>(
    'SELECT TABLE_NAME AS name FROM information_schema.TABLES WHERE TABLE_SCHEMA = ?',
    [database],
  );
  const present = new Set(tables.map((r) => String(r.name)));
  const missing = REQUIRED_TABLES.filter((t) => !present.has(t));
  if (missing.length > 0)
    throw new DependencyError(
      `database ${database} lacks ${missing.join(', ')}; run \`npm run migrate\` first`,
    );
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
}

/** The highest ids already in the bank (0 when empty): an appended bank continues after them. */
async function lastIds(seed: SeedConnection): Promise<LastIds> {
  const row = await one<Record<string, number | string>>(
    seed,
    `SELECT (SELECT COALESCE(MAX(id), 0) FROM clients) AS clients,
            (SELECT COALESCE(MAX(id), 0) FROM locations) AS locations,
            (SELECT COALESCE(MAX(id), 0) FROM accounts) AS accounts,
            (SELECT COALESCE(MAX(id), 0) FROM transactions) AS transactions,
            (SELECT COALESCE(MAX(episode_id), 0) FROM anomaly_labels) AS episodes`,
  );
  return {
    clients: Number(row.clients),
    locations: Number(row.locations),
    accounts: Number(row.accounts),
    transactions: Number(row.transactions),
    episodes: Number(row.episodes),
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
  const load = (table: string, columns: readonly string[], source: Iterable<Row>) =>
    seed.load(method, table, columns, source, (n: number) => {
      done += n;
      hooks.onProgress?.({ table, done, total: Math.max(total, done) });
    });

  const rows: Record<string, number> = {};
  rows.clients = await load('clients', CLIENT_COLUMNS, clientRows(spec));
  rows.locations = await load('locations', LOCATION_COLUMNS, locationRows(spec, next.locations + 1));
  const labels: Row[] = [];
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
  rows.transactions = await load(
    'transactions',
    TRANSACTION_COLUMNS,
    failingAfter(traffic, hooks.failAfterTransactions),
  );
  rows.accounts = await load('accounts', ACCOUNT_COLUMNS, accountRows(spec, accounts));
  rows.anomaly_labels = await load('anomaly_labels', LABEL_COLUMNS, labels);
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
    await assertMigrated(seed, settings.database);
    const before = await existingCounts(seed);
    const mode = seedModeFor(before, options, settings.database);
    if (mode === 'already-seeded')
      return { ...base, status: 'already-seeded', rows: before, labels: [], elapsedMs: Date.now() - started };
    const method = await loadMethodFor(seed, hooks.method);

    await seed.conn.query('SET SESSION foreign_key_checks = 0');
    await seed.conn.query(`SET SESSION unique_checks = ${mode === 'append' ? 1 : 0}`);
    await seed.conn.beginTransaction();
    try {
      hooks.onStarted?.({ threadId: seed.threadId, method });
      if (mode === 'reset')
        for (const table of await resetOrder(seed, settings.database))
          await seed.conn.query(`DELETE FROM \`${table}\``);
      const bank = await loadBank(seed, method, options, hooks);
      const labels = labelSummaryOf(bank.stats);
      await recordSeedRun(seed, { started, mode, method, options, bank, labels });
      await seed.conn.commit();
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
    } catch (error) {
      await seed.conn.rollback().catch(() => undefined);
      throw error;
    }
  } finally {
    for (const lock of locks.reverse()) await releaseNamedLock(seed.conn, lock);
    await seed.end();
  }
}
