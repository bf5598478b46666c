/**
 * One mysql2 pool per container, created on first use and reused across invocations, plus the typed helpers every
 * repository uses: `query`, `execute`, `withTransaction`, `withNamedLock`. With MYSQL_SECRET_ID the pool checks
 * the secret again every SECRETS_MAX_AGE_SECONDS; after a rotation, new work goes to a pool with the new settings.
 *
 * Waits are bounded where a client is waiting: inside `withBoundedWaits` (./bounded-waits.ts; every HTTP request,
 * the health probe) a connection must come within MYSQL_CONNECT_TIMEOUT_MS and each statement's answer within
 * MYSQL_QUERY_TIMEOUT_MS, or the call fails with a DependencyError (a route answers 503) and a connection left
 * mid-statement is discarded, never handed out again. Jobs and CLIs run outside it: their statements may take
 * minutes by design. Everywhere a failure of the connection (refused, reset, timed out, lost) becomes a
 * DependencyError whose cause is the driver's error; a failure of the statement (a duplicate key, a deadlock) stays
 * the driver's error.
 *
 * Dates: DATETIME/DATE columns come back as strings ('YYYY-MM-DD HH:MM:SS'), never as JS Dates, so no time zone
 * can shift a bank's booking time. DECIMAL money comes back as strings; convert deliberately where arithmetic needs it.
 */
import mysql, {
  type Pool,
  type PoolConnection,
  type ResultSetHeader,
  type RowDataPacket,
} from 'mysql2/promise';
import { getConfig } from '../config.js';
import { AppError, DependencyError } from '../errors.js';
import { logger } from '../log.js';
import { waitLimits, within } from './bounded-waits.js';
import { acquireNamedLock, releaseNamedLock } from './locks.js';
import { type DbSettings, resolveDbSettings, sameSettings } from './settings.js';

export type Row = Record<string, unknown>;
export type Params = ReadonlyArray<unknown> | Record<string, unknown>;
export type Queryable = Pick<Pool, 'query' | 'execute'> | PoolConnection;

interface OpenPool {
  pool: Pool;
  /** What its connections log in with. */
  settings: DbSettings;
  /** Connections handed out and not back yet, so a replaced pool is closed only once its work is done. */
  out: Set<object>;
}

let current: Promise<OpenPool> | undefined;
/** When the settings behind `current` were last compared with the secret (epoch ms). */
let checkedAt = 0;
/** Pools replaced after a rotation whose connections are still at work. */
const retired = new Set<OpenPool>();
/** For each connection of a pool, what to call when it will not come back (its pool's bookkeeping). */
const gone = new WeakMap<object, () => void>();

/** Options shared by the pool and one-off connections (migrations, tests). */
export function connectionOptions(settings: DbSettings): mysql.PoolOptions {
  return {
    host: settings.host,
    port: settings.port,
    user: settings.user,
    password: settings.password,
    database: settings.database,
    charset: 'utf8mb4_unicode_ci',
    dateStrings: true,
    supportBigNumbers: true,
    bigNumberStrings: false,
    connectTimeout: getConfig().MYSQL_CONNECT_TIMEOUT_MS,
    namedPlaceholders: false,
    multipleStatements: false,
    // (Node's own CA list and host name check: an RDS Proxy's certificate is issued by a public CA.)
    ...(getConfig().MYSQL_TLS ? { ssl: { minVersion: 'TLSv1.2', rejectUnauthorized: true } } : {}),
  };
}

/** A pool for `settings`, counting the connections it hands out. */
function openPool(settings: DbSettings): OpenPool {
  const { MYSQL_POOL_SIZE } = getConfig();
  const pool = mysql.createPool({
    ...connectionOptions(settings),
    connectionLimit: MYSQL_POOL_SIZE,
    maxIdle: MYSQL_POOL_SIZE,
    idleTimeout: 60_000,
    enableKeepAlive: true,
    keepAliveInitialDelay: 10_000,
    queueLimit: 0,
  });
  const open: OpenPool = { pool, settings, out: new Set() };
  const back = (connection: object) => {
    open.out.delete(connection);
    if (retired.has(open) && open.out.size === 0) closeRetired(open);
  };
  pool.on('acquire', (connection: object) => open.out.add(connection));
  pool.on('release', back);
  // A connection that fails or closes while handed out never comes back through 'release'.
  pool.on('connection', (connection: NodeJS.EventEmitter) => {
    connection.once('end', () => back(connection));
    connection.once('error', () => back(connection));
    gone.set(connection, () => back(connection));
  });
  return open;
}

function closeRetired(open: OpenPool): void {
  retired.delete(open);
  open.pool.end().catch((error) => logger.warn('could not close a replaced pool', { code: describe(error) }));
}

/**
 * Compares the secret's settings with the pool's; after a rotation the next callers get a pool with the new ones,
 * and the old pool closes once the connections it handed out are back. If the secret cannot be read, the working
 * pool stays (its sessions outlive a password change) until the next check, a max age later.
 */
async function recheck(previous: Promise<OpenPool>): Promise<OpenPool> {
  const open = await previous;
  let settings: DbSettings;
  try {
    settings = await resolveDbSettings();
  } catch (error) {
    logger.warn('could not re-read the database secret; keeping the current pool', {
      code: describe(error),
    });
    return open;
  }
  if (sameSettings(settings, open.settings)) return open;
  logger.info('the database secret changed; new connections use the new settings');
  retired.add(open);
  if (open.out.size === 0) closeRetired(open);
  return openPool(settings);
}

/**
 * The process-wide pool. Lambda freezes idle containers, so idle connections are dropped early and kept alive.
 * With MYSQL_SECRET_ID, one call every SECRETS_MAX_AGE_SECONDS compares the secret with the pool's settings.
 */
export function getPool(): Promise<Pool> {
  const { MYSQL_SECRET_ID, SECRETS_MAX_AGE_SECONDS } = getConfig();
  if (!current) {
    checkedAt = Date.now();
    setCurrent(resolveDbSettings().then(openPool));
  } else if (MYSQL_SECRET_ID && Date.now() - checkedAt >= SECRETS_MAX_AGE_SECONDS * 1000) {
    checkedAt = Date.now(); // concurrent callers share this check
    setCurrent(recheck(current));
  }
  return (current as Promise<OpenPool>).then((open) => open.pool);
}

function setCurrent(next: Promise<OpenPool>): void {
  current = next;
  next.catch(() => {
    if (current === next) current = undefined; // let the next call try again
  });
}

/** Closes the pool, and any replaced one still open (CLIs and tests call this before exiting; Lambda never needs to). */
export async function closePool(): Promise<void> {
  const pending = current;
  current = undefined;
  const replaced = [...retired];
  retired.clear();
  await Promise.all(replaced.map((open) => open.pool.end()));
  if (pending) await (await pending).pool.end();
}

const CONNECTION_ERRORS = new Set([
  'PROTOCOL_CONNECTION_LOST',
  'ECONNRESET',
  'ECONNREFUSED',
  'ETIMEDOUT',
  'EPIPE',
  'ENOTFOUND',
  'EHOSTUNREACH',
  'ER_CON_COUNT_ERROR',
  'PROTOCOL_SEQUENCE_TIMEOUT',
  'ER_SERVER_SHUTDOWN',
]);

/** Failures of a connection that was open, so a fresh one may well work (a server restart, a Lambda thaw). */
const LOST_CONNECTION = new Set(['PROTOCOL_CONNECTION_LOST', 'ECONNRESET', 'EPIPE']);

/**
 * `attempt()`, tried again on another connection for as long as the one it got turns out lost: at most once per
 * connection the pool may hold, plus one. A server restart (or a Lambda thaw) loses every pooled connection at once,
 * and the pool hears of each loss only as it comes, so the first retry may well take another lost one.
 */
async function onLiveConnection<T>(attempt: () => Promise<T>): Promise<T> {
  for (let tries = 1; ; tries++) {
    try {
      return await attempt();
    } catch (error) {
      const code = (error as { code?: unknown } | null)?.code;
      if (typeof code !== 'string' || !LOST_CONNECTION.has(code) || tries > getConfig().MYSQL_POOL_SIZE)
        throw error;
      logger.warn('database connection found lost; retrying on another', { code, tries });
    }
  }
}

/**
 * True when an error means the connection (not the statement) failed. mysql2 marks `fatal` every error after which
 * its connection is unusable: socket errors, timeouts, a refused handshake.
 */
export function isConnectionError(error: unknown): boolean {
  const e = error as { code?: unknown; fatal?: unknown } | null;
  return e?.fatal === true || (typeof e?.code === 'string' && CONNECTION_ERRORS.has(e.code));
}

function describe(error: unknown): string {
  const e = error as { code?: string; message?: string };
  return e.code ?? e.message ?? String(error);
}

/** `error` as a DependencyError (cause: the driver's error) when the connection failed; otherwise unchanged. */
function unavailable(error: unknown): unknown {
  if (error instanceof AppError || !isConnectionError(error)) return error;
  return new DependencyError(`database unreachable (${describe(error)})`, { cause: error });
}

/**
 * Takes a connection that stopped answering out of service for good: out of its pool, its socket closed at once
 * (mysql2's destroy() only half-closes it, and the server at the other end no longer answers).
 */
function discard(conn: PoolConnection): void {
  const core = conn.connection as unknown as { stream?: { destroy(): void } };
  conn.destroy();
  core.stream?.destroy();
  gone.get(core)?.();
}

/**
 * A connection of `pool` (the process's by default). Within withBoundedWaits the whole wait ends within
 * MYSQL_CONNECT_TIMEOUT_MS; a connection that arrives after that goes back to the pool.
 */
async function acquire(pool?: Pool): Promise<PoolConnection> {
  const pending = (async () => (pool ?? (await getPool())).getConnection())();
  const limits = waitLimits();
  try {
    if (!limits) return await pending;
    const what = `no database connection within ${limits.connectMs} ms (MYSQL_CONNECT_TIMEOUT_MS)`;
    return await within(pending, limits.connectMs, { what, code: 'ETIMEDOUT' }, () => {
      pending.then(
        (late) => late.release(),
        () => undefined,
      );
    });
  } catch (error) {
    throw unavailable(error);
  }
}

/**
 * Runs one statement on `conn`. Within withBoundedWaits its answer must come within MYSQL_QUERY_TIMEOUT_MS, or the
 * connection is discarded: mysql2 still counts that statement as running, and would queue the next one behind it.
 * Not mysql2's own per-query `timeout`: its clock starts only when the statement leaves the connection's queue, and
 * statements queued behind a timed-out one are never answered.
 */
async function onConnection<T extends RowDataPacket[] | ResultSetHeader>(
  conn: PoolConnection,
  sql: string,
  params: Params,
): Promise<T> {
  const pending = conn.query<T>(sql, params as unknown[]).then(([result]) => result);
  const limits = waitLimits();
  if (!limits) return pending;
  const what = `the database did not answer a statement within ${limits.statementMs} ms (MYSQL_QUERY_TIMEOUT_MS)`;
  return within(pending, limits.statementMs, { what, code: 'PROTOCOL_SEQUENCE_TIMEOUT' }, () =>
    discard(conn),
  );
}

function isPool(db: Queryable): db is Pool {
  return typeof (db as Partial<Pool>).getConnection === 'function';
}

/** One statement on `db` (a connection, or a pool: the process's by default). */
async function run<T extends RowDataPacket[] | ResultSetHeader>(
  sql: string,
  params: Params,
  db?: Queryable,
): Promise<T> {
  if (db && !isPool(db)) return onConnection<T>(db as PoolConnection, sql, params);
  if (!waitLimits()) {
    const [result] = await (db ?? (await getPool())).query<T>(sql, params as unknown[]);
    return result;
  }
  const conn = await acquire(db);
  try {
    return await onConnection<T>(conn, sql, params);
  } finally {
    conn.release(); // (a discarded connection is no longer the pool's: nothing happens)
  }
}

/**
 * Runs a read and returns typed rows. A connection found lost (Lambda thaw, server restart) is replaced and the read
 * run again (onLiveConnection); any other failure of the connection becomes a DependencyError.
 *
 * @example const rows = await query<{ id: number }>('SELECT id FROM clients WHERE country = ?', ['PL']);
 */
export async function query<T extends Row = Row>(
  sql: string,
  params: Params = [],
  db?: Queryable,
): Promise<T[]> {
  const read = async () => (await run<RowDataPacket[]>(sql, params, db)) as unknown as T[];
  try {
    return db ? await read() : await onLiveConnection(read);
  } catch (error) {
    throw unavailable(error);
  }
}

/**
 * Runs `sql` on a connection of the pool and hands each row (an array of its columns) to `onRow` as it arrives,
 * without collecting the result set: the driver's callback interface underneath the promise one, which buffers.
 * `on`: a connection of the caller's instead (its session settings and counters), kept open.
 */
export async function streamRows(
  sql: string,
  params: unknown[],
  onRow: (row: unknown[]) => void,
  on?: PoolConnection,
): Promise<void> {
  const conn = on ?? (await (await getPool()).getConnection());
  try {
    const raw = (
      conn as unknown as { connection: { query: (o: object, p: unknown[]) => NodeJS.EventEmitter } }
    ).connection;
    await new Promise<void>((resolve, reject) => {
      const q = raw.query({ sql, rowsAsArray: true }, params);
      q.on('error', reject);
      q.on('end', () => resolve());
      q.on('result', onRow);
    });
  } finally {
    if (!on) conn.release();
  }
}

/** Runs a write (INSERT/UPDATE/DELETE/DDL) and returns the result header. Writes are never retried blindly. */
export async function execute(sql: string, params: Params = [], db?: Queryable): Promise<ResultSetHeader> {
  try {
    return await run<ResultSetHeader>(sql, params, db);
  } catch (error) {
    throw unavailable(error);
  }
}

const DEADLOCK_CODES = new Set(['ER_LOCK_DEADLOCK', 'ER_LOCK_WAIT_TIMEOUT']);

/** A connection of the pool with a transaction begun on it; one found lost before BEGIN went through is replaced. */
async function begin(): Promise<PoolConnection> {
  try {
    return await onLiveConnection(async () => {
      const conn = await acquire();
      try {
        await onConnection(conn, 'START TRANSACTION', []);
        return conn;
      } catch (error) {
        conn.release();
        throw error;
      }
    });
  } catch (error) {
    throw unavailable(error);
  }
}

/**
 * Runs `work` in one DB transaction on a dedicated connection: commits when it resolves, rolls back when it throws.
 * A deadlock is retried (up to `retries` times) because InnoDB rolled the whole transaction back already; a
 * connection found lost at BEGIN, before anything was written, is replaced. Getting the connection, BEGIN, COMMIT
 * and ROLLBACK are bounded like any statement (withBoundedWaits).
 */
export async function withTransaction<T>(
  work: (conn: PoolConnection) => Promise<T>,
  { retries = 2 }: { retries?: number } = {},
): Promise<T> {
  for (let deadlocks = 0; ; deadlocks++) {
    const conn = await begin();
    try {
      const result = await work(conn);
      await onConnection(conn, 'COMMIT', []);
      return result;
    } catch (error) {
      // (On a discarded connection this fails at once; the server rolls back as the connection closes.)
      await onConnection(conn, 'ROLLBACK', []).catch(() => undefined);
      const code = (error as { code?: string }).code;
      if (deadlocks < retries && code && DEADLOCK_CODES.has(code)) {
        logger.warn('transaction rolled back by a deadlock; retrying', { attempt: deadlocks + 1, code });
        continue;
      }
      throw unavailable(error);
    } finally {
      conn.release();
    }
  }
}

export interface LockResult<T> {
  acquired: boolean;
  result?: T;
}

/**
 * Runs `work` while holding a server-wide named lock (GET_LOCK), so two runs of the same job never overlap — even
 * across containers. The lock lives on its own connection; the server frees it if that connection dies, so the
 * job's writes must still be idempotent (they are: uniqueness in the schema). The name is scoped to the database.
 *
 * Returns `{ acquired: false }` when another holder keeps the lock past `waitSeconds`.
 */
export async function withNamedLock<T>(
  name: string,
  work: () => Promise<T>,
  { waitSeconds = 0 }: { waitSeconds?: number } = {},
): Promise<LockResult<T>> {
  // The lock keeps one connection for the whole work, which needs another: with a pool of one it would wait forever.
  if (getConfig().MYSQL_POOL_SIZE < 2)
    throw new DependencyError(`a named lock needs MYSQL_POOL_SIZE of 2 or more (${name})`);
  const pool = await getPool();
  const settings = await resolveDbSettings();
  const conn = await pool.getConnection();
  try {
    const lock = await acquireNamedLock(conn, settings.database, name, waitSeconds);
    if (!lock) return { acquired: false };
    try {
      return { acquired: true, result: await work() };
    } finally {
      if (!(await releaseNamedLock(conn, lock))) {
        logger.warn('could not release named lock (the server frees it with the connection)', { lock });
      }
    }
  } finally {
    conn.release();
  }
}
