/**
 * One mysql2 pool per container, created on first use and reused across invocations, plus the typed helpers every
 * repository uses: `query`, `execute`, `withTransaction`, `withNamedLock`.
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
import { config } from '../config.js';
import { DependencyError } from '../errors.js';
import { logger } from '../log.js';
import { acquireNamedLock, releaseNamedLock } from './locks.js';
import { type DbSettings, resolveDbSettings } from './settings.js';

export type Row = Record<string, unknown>;
export type Params = ReadonlyArray<unknown> | Record<string, unknown>;
export type Queryable = Pick<Pool, 'query' | 'execute'> | PoolConnection;

let poolPromise: Promise<Pool> | undefined;

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
    connectTimeout: config.MYSQL_CONNECT_TIMEOUT_MS,
    namedPlaceholders: false,
    multipleStatements: false,
  };
}

/** The process-wide pool. Lambda freezes idle containers, so idle connections are dropped early and kept alive. */
export function getPool(): Promise<Pool> {
  poolPromise ??= resolveDbSettings()
    .then((settings) =>
      mysql.createPool({
        ...connectionOptions(settings),
        connectionLimit: config.MYSQL_POOL_SIZE,
        maxIdle: config.MYSQL_POOL_SIZE,
        idleTimeout: 60_000,
        enableKeepAlive: true,
        keepAliveInitialDelay: 10_000,
        queueLimit: 0,
      }),
    )
    .catch((error) => {
      poolPromise = undefined;
      throw error;
    });
  return poolPromise;
}

/** Closes the pool (CLIs and tests call this before exiting; Lambda never needs to). */
export async function closePool(): Promise<void> {
  const pending = poolPromise;
  poolPromise = undefined;
  if (pending) await (await pending).end();
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
