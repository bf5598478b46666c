/**
 * One mysql2 pool per container, created on first use and reused across invocations, plus the typed helpers every
 * repository uses: `query`, `execute`, `withTransaction`, `withNamedLock`. With MYSQL_SECRET_ID the pool checks
 * the secret again every SECRETS_MAX_AGE_SECONDS; after a rotation, new work goes to a pool with the new settings.
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
import { DependencyError } from '../errors.js';
import { logger } from '../log.js';
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

/** True when an error means the connection (not the statement) failed — safe to retry an idempotent read. */
export function isConnectionError(error: unknown): boolean {
  const code = (error as { code?: string } | null)?.code;
  return typeof code === 'string' && CONNECTION_ERRORS.has(code);
}

function describe(error: unknown): string {
  const e = error as { code?: string; message?: string };
  return e.code ?? e.message ?? String(error);
}

/**
 * Runs a read and returns typed rows. A lost connection (Lambda thaw, server restart) is retried once on a fresh
 * connection; a second failure becomes a DependencyError.
 *
 * @example const rows = await query<{ id: number }>('SELECT id FROM clients WHERE country = ?', ['PL']);
 */
export async function query<T extends Row = Row>(
  sql: string,
  params: Params = [],
  db?: Queryable,
): Promise<T[]> {
  const run = async (target: Queryable) => {
    const [rows] = await target.query<RowDataPacket[]>(sql, params as unknown[]);
    return rows as unknown as T[];
  };
  if (db) return run(db);
  try {
    return await run(await getPool());
  } catch (error) {
    if (!isConnectionError(error)) throw error;
    logger.warn('database connection lost; retrying once', { code: describe(error) });
    try {
      return await run(await getPool());
    } catch (retryError) {
      if (isConnectionError(retryError))
        throw new DependencyError('database unreachable', { cause: retryError });
      throw retryError;
    }
  }
}

/**
 * Runs `sql` on a connection of the pool and hands each row (an array of its columns) to `onRow` as it arrives,
 * without collecting the result set: the driver's callback interface underneath the promise one, which buffers.
 */
export async function streamRows(
  sql: string,
  params: unknown[],
  onRow: (row: unknown[]) => void,
): Promise<void> {
  const conn = await (await getPool()).getConnection();
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
    conn.release();
  }
}

/** Runs a write (INSERT/UPDATE/DELETE/DDL) and returns the result header. Writes are never retried blindly. */
export async function execute(sql: string, params: Params = [], db?: Queryable): Promise<ResultSetHeader> {
  const target = db ?? (await getPool());
  try {
    const [result] = await target.query<ResultSetHeader>(sql, params as unknown[]);
    return result;
  } catch (error) {
    if (isConnectionError(error)) throw new DependencyError('database unreachable', { cause: error });
    throw error;
  }
}

const DEADLOCK_CODES = new Set(['ER_LOCK_DEADLOCK', 'ER_LOCK_WAIT_TIMEOUT']);

/**
 * Runs `work` in one DB transaction on a dedicated connection: commits when it resolves, rolls back when it throws.
 * A deadlock is retried (up to `retries` times) because InnoDB rolled the whole transaction back already.
 */
export async function withTransaction<T>(
  work: (conn: PoolConnection) => Promise<T>,
  { retries = 2 }: { retries?: number } = {},
): Promise<T> {
  for (let attempt = 0; ; attempt++) {
    const conn = await (await getPool()).getConnection();
    try {
      await conn.beginTransaction();
      const result = await work(conn);
      await conn.commit();
      return result;
    } catch (error) {
      await conn.rollback().catch(() => undefined);
      const code = (error as { code?: string }).code;
      if (attempt < retries && code && DEADLOCK_CODES.has(code)) {
        logger.warn('transaction rolled back by a deadlock; retrying', { attempt: attempt + 1, code });
        continue;
      }
      throw error;
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
