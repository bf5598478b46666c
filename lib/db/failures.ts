/**
 * What went wrong with the database, in words that say what to do — the one mapping every CLI and job uses, so
 * `npm run seed`, `migrate`, `scan`, `backup` … and the scheduled Lambdas explain the same failure the same way:
 * the server refuses, does not answer, the host is unknown, the database is missing, the credentials are refused,
 * the schema is not migrated, the connection was lost, or a lock is held. The driver's code stays in parentheses
 * (searchable), never alone; the password never appears.
 */
import { ConflictError, DependencyError } from '../errors.js';
import type { LockHolder } from './locks.js';
import type { DbSettings } from './settings.js';

export type DbFailureKind =
  | 'server-refused'
  | 'no-answer'
  | 'host-unknown'
  | 'database-missing'
  | 'credentials-refused'
  | 'not-migrated'
  | 'connection-lost'
  | 'lock-held';

/** A database failure put in words; `kind` names the case, `cause` keeps the driver's error. */
export class DbFailure extends DependencyError {
  override name = 'DbFailure';
  constructor(
    readonly kind: DbFailureKind,
    message: string,
    options?: ErrorOptions,
  ) {
    super(message, options);
  }
}

/** The server's ways of refusing a user (MariaDB answers an unknown user with the NO_PASSWORD one). */
const ACCESS_DENIED = [
  'ER_ACCESS_DENIED_ERROR',
  'ER_ACCESS_DENIED_NO_PASSWORD_ERROR',
  'ER_DBACCESS_DENIED_ERROR',
  'ER_HOST_NOT_PRIVILEGED',
];

const KIND_OF_CODE: ReadonlyMap<string, DbFailureKind> = new Map([
  ['ECONNREFUSED', 'server-refused'],
  ['ER_CON_COUNT_ERROR', 'server-refused'],
  ['ETIMEDOUT', 'no-answer'],
  ['EHOSTUNREACH', 'no-answer'],
  ['ENETUNREACH', 'no-answer'],
  ['PROTOCOL_SEQUENCE_TIMEOUT', 'no-answer'],
  ['ENOTFOUND', 'host-unknown'],
  ['EAI_AGAIN', 'host-unknown'],
  ['EAI_FAIL', 'host-unknown'],
  ['ER_BAD_DB_ERROR', 'database-missing'],
  ...ACCESS_DENIED.map((code) => [code, 'credentials-refused'] as const),
  ['ER_NO_SUCH_TABLE', 'not-migrated'],
  ['PROTOCOL_CONNECTION_LOST', 'connection-lost'],
  ['ECONNRESET', 'connection-lost'],
  ['EPIPE', 'connection-lost'],
  ['ER_SERVER_SHUTDOWN', 'connection-lost'],
  ['ER_CONNECTION_KILLED', 'connection-lost'],
  ['ER_LOCK_WAIT_TIMEOUT', 'lock-held'],
]);

interface DriverError {
  code: string;
  message: string;
}

/**
 * An error from mysql2: a server answer (it carries `sqlState`) or a socket failure of the driver (it marks those
 * `fatal`). Other libraries' socket errors — the S3 client's ECONNREFUSED — are not the database's and stay theirs.
 */
function isDriverError(e: unknown): e is DriverError {
  if (!e || typeof e !== 'object') return false;
  const x = e as { code?: unknown; sqlState?: unknown; fatal?: unknown };
  return typeof x.code === 'string' && (typeof x.sqlState === 'string' || x.fatal === true);
}

/** The driver error inside `error`: itself, a cause (a few levels deep) or the first of an AggregateError's. */
function driverErrorIn(error: unknown, depth = 0): DriverError | undefined {
  if (isDriverError(error)) return error;
  if (depth > 4 || !error || typeof error !== 'object') return undefined;
  const e = error as { cause?: unknown; errors?: unknown[] };
  for (const inner of [e.cause, ...(Array.isArray(e.errors) ? e.errors : [])]) {
    const found = driverErrorIn(inner, depth + 1);
    if (found) return found;
  }
  return undefined;
}

/** The table a "Table 'db.t' doesn't exist" names, when it is in `database`. */
function missingTable(message: string, database: string): string | undefined {
  const match = /Table '([^'.]+)\.([^']+)' doesn't exist/.exec(message);
  return match && match[1] === database ? match[2] : undefined;
}

function words(
  kind: DbFailureKind,
  code: string,
  s: DbSettings,
  configuredBy: string,
  table?: string,
): string {
  const where = `${s.host}:${s.port}`;
  switch (kind) {
    case 'server-refused':
      return code === 'ER_CON_COUNT_ERROR'
        ? `MySQL at ${where} refused the connection: it has too many open (${code}); try again shortly, or raise its max_connections`
        : `MySQL at ${where} refused the connection: nothing listens there (${code}); start the server or set ${configuredBy}`;
    case 'no-answer':
      return code === 'PROTOCOL_SEQUENCE_TIMEOUT'
        ? `MySQL at ${where} stopped answering in the middle of a conversation (${code}); check the server, then try again`
        : `MySQL at ${where} does not answer: ${code === 'ETIMEDOUT' ? 'the connection timed out' : 'no route to that host'} (${code}); check the host, the port and any firewall between, or set ${configuredBy}`;
    case 'host-unknown':
      return code === 'EAI_AGAIN'
        ? `host ${s.host} could not be looked up: DNS did not answer (${code}); check the network and the host of ${configuredBy}`
        : `host ${s.host} is unknown: DNS has no address for it (${code}); check the host of ${configuredBy}`;
    case 'database-missing':
      return `database ${s.database} does not exist on ${where} yet; npm run migrate creates it and its tables (npm start does it too)`;
    case 'credentials-refused':
      return `MySQL at ${where} refused user ${s.user} (${code}); check the user and password of ${configuredBy}`;
    case 'not-migrated':
      return notMigratedWords(s, [table ?? '?']);
    case 'connection-lost':
      return `the connection to MySQL at ${where} was lost (${code}); check that the server is up, then try again`;
    case 'lock-held':
      return `another session held rows or a table this run needed for longer than the server waits (${code}); try again once it has finished`;
  }
}

function notMigratedWords(s: DbSettings, tables: readonly string[]): string {
  const what =
    tables.length === 1 ? `table ${tables[0]} is missing` : `tables ${tables.join(', ')} are missing`;
  return `database ${s.database} on ${s.host}:${s.port} is not migrated: ${what}; run npm run migrate`;
}

/**
 * `error` in words when it is (or wraps) a database failure of a known kind; undefined otherwise. `configuredBy`
 * names where the settings come from, for the advice ("set MYSQL_URL").
 *
 * @example throw describeDbFailure(error, settings) ?? error;
 */
export function describeDbFailure(
  error: unknown,
  settings: DbSettings,
  configuredBy = 'MYSQL_URL',
): DbFailure | undefined {
  if (error instanceof DbFailure) return error;
  const driver = driverErrorIn(error);
  const kind = driver && KIND_OF_CODE.get(driver.code);
  if (!driver || !kind) return undefined;
  const table = kind === 'not-migrated' ? missingTable(driver.message, settings.database) : undefined;
  if (kind === 'not-migrated' && !table) return undefined; // a table of another schema: not ours to explain
  return new DbFailure(kind, words(kind, driver.code, settings, configuredBy, table), { cause: error });
}

/** Tables this code needs are missing from the database: it has not been migrated (to this version). */
export function notMigrated(settings: DbSettings, tables: readonly string[]): DbFailure {
  return new DbFailure('not-migrated', notMigratedWords(settings, tables));
}

/** How messages name the jobs that mark the locks they take (lib/db/locks.ts). */
const JOB_NOUNS: Readonly<Record<string, string>> = {
  'anomaly-scan': 'anomaly scan',
  seed: 'seed',
  migrate: 'migration',
  import: 'import',
};

/** 'a seed', 'an anomaly scan', 'another anomaly scan' (when `asker` is the same job), 'another session'. */
function holderName(job: string | undefined, asker: string | undefined): string {
  const noun = job && JOB_NOUNS[job];
  if (!noun) return 'another session';
  if (job === asker) return `another ${noun}`;
  return /^[aeiou]/.test(noun) ? `an ${noun}` : `a ${noun}`;
}

export interface LockHeldContext {
  /** The lock as users know it: 'scan lock', 'seed lock'. */
  lock: string;
  database: string;
  /** Who holds it (lib/db/locks.ts findLockHolder); undefined once it has been let go. */
  holder: LockHolder | undefined;
  /** The job asking, so a second scan reads "another anomaly scan". */
  asker?: string;
}

/**
 * Who holds a named lock, in words: "a seed is running on database fm (connection 42 holds the scan lock)".
 *
 * @example `${lockHeldWords({ lock: 'scan lock', database, holder, asker: SCAN_LOCK })}; this scan stepped aside`
 */
export function lockHeldWords({ lock, database, holder, asker }: LockHeldContext): string {
  if (!holder) return `another session held the ${lock} on database ${database} and has let go of it since`;
  return `${holderName(holder.job, asker)} is running on database ${database} (connection ${holder.connectionId} holds the ${lock})`;
}

/** A job refused because another holds its lock: the holder in words, and what to do. */
export function lockHeld(context: LockHeldContext, advice = 'try again when it has finished'): ConflictError {
  return new ConflictError(`${lockHeldWords(context)}; ${advice}`);
}
