/**
 * Server-wide named locks (GET_LOCK) — the one mechanism every job uses so that runs that must not overlap never do,
 * even across containers. A lock belongs to the connection that took it; the server frees it if that connection
 * dies. Names are scoped to the database (`<database>.<name>`, at most 64 characters as the server requires).
 *
 * Who holds a lock: whoever takes one also takes a marker lock whose name says which job it is and carries its
 * connection id (`<lock>@seed#42`). A refused job asks IS_USED_LOCK which connection holds the lock, then which
 * marker that connection holds. Markers are named locks too, so they die with their connection: nothing to clean up
 * after a crash, nothing that can go stale, and no table needed (a migration marks its locks before any exists).
 */
import { createHash } from 'node:crypto';
import type { Connection, RowDataPacket } from 'mysql2/promise';

/** Held by every anomaly scan; the seeder and the migrator take it too, so no scan runs while they change things. */
export const SCAN_LOCK = 'anomaly-scan';

/** The jobs that take the scan lock, by the `job` they mark it with. */
export const SCAN_LOCK_JOBS: readonly string[] = [SCAN_LOCK, 'seed', 'migrate', 'import'];

/** Anything that runs a query: a connection, a pool connection or the pool. */
type Session = Pick<Connection, 'query'>;

/** The full lock name for a database. */
export function lockName(database: string, name: string): string {
  return `${database}.${name}`.slice(0, 64);
}

/** The marker `job` holds beside lock `full` on connection `connectionId`; long names keep a hash of the lock's. */
function markerName(full: string, job: string, connectionId: number): string {
  const tail = `@${job.slice(0, 20)}#${connectionId}`;
  if (full.length + tail.length <= 64) return full + tail;
  const hash = createHash('sha256').update(full).digest('hex').slice(0, 8);
  return `${full.slice(0, 64 - tail.length - 9)}~${hash}${tail}`;
}

/** The markers taken with each lock, by connection, so releaseNamedLock lets go of both. */
const markers = new WeakMap<object, Map<string, string>>();

async function connectionIdOf(conn: Session): Promise<number> {
  const [rows] = await conn.query<RowDataPacket[]>('SELECT CONNECTION_ID() AS id');
  return Number(rows[0]?.id);
}

/**
 * Takes the lock `name` of `database` on `conn`, waiting up to `waitSeconds`, marked as held by `job` (by default
 * the job the lock is named after). Returns the full lock name when it was taken (pass it to releaseNamedLock), or
 * undefined when another session still holds it.
 *
 * @example const lock = await acquireNamedLock(conn, 'fm', SCAN_LOCK, 60, 'seed'); // a seed holds the scan lock
 */
export async function acquireNamedLock(
  conn: Connection,
  database: string,
  name: string,
  waitSeconds = 0,
  job = name,
): Promise<string | undefined> {
  const full = lockName(database, name);
  // The server's connection id, not the driver's: behind a proxy the two can differ, IS_USED_LOCK answers the former.
  const marker = markerName(full, job, await connectionIdOf(conn));
  // The marker first: whoever sees the lock held finds its holder's marker already there.
  await conn.query('SELECT GET_LOCK(?, 0)', [marker]);
  const [rows] = await conn.query<RowDataPacket[]>('SELECT GET_LOCK(?, ?) AS got', [full, waitSeconds]);
  if (rows[0]?.got !== 1) {
    await conn.query('SELECT RELEASE_LOCK(?)', [marker]);
    return undefined;
  }
  const held = markers.get(conn) ?? new Map<string, string>();
  held.set(full, marker);
  markers.set(conn, held);
  return full;
}

/** Releases a lock taken with acquireNamedLock; never throws (the server frees it with the connection anyway). */
export async function releaseNamedLock(conn: Connection, full: string): Promise<boolean> {
  const marker = markers.get(conn)?.get(full);
  markers.get(conn)?.delete(full);
  try {
    await conn.query('SELECT RELEASE_LOCK(?)', [full]);
    if (marker) await conn.query('SELECT RELEASE_LOCK(?)', [marker]);
    return true;
  } catch {
    return false;
  }
}

export interface LockHolder {
  /** The server connection that holds the lock. */
  connectionId: number;
  /** The job it marked the lock with (one of the `jobs` asked about); undefined when it left no marker. */
  job?: string;
}

/**
 * Who holds the lock `name` of `database` now: its connection and, among `jobs`, the one whose marker that
 * connection holds. Undefined when nobody holds it (any more).
 *
 * @example const holder = await findLockHolder(pool, 'fm', SCAN_LOCK, SCAN_LOCK_JOBS); // { connectionId: 42, job: 'seed' }
 */
export async function findLockHolder(
  session: Session,
  database: string,
  name: string,
  jobs: readonly string[] = [name],
): Promise<LockHolder | undefined> {
  const full = lockName(database, name);
  const [rows] = await session.query<RowDataPacket[]>('SELECT IS_USED_LOCK(?) AS id', [full]);
  const id = rows[0]?.id;
  if (id === null || id === undefined) return undefined;
  const connectionId = Number(id);
  if (jobs.length === 0) return { connectionId };
  const [marks] = await session.query<RowDataPacket[]>(
    `SELECT ${jobs.map((_, i) => `IS_USED_LOCK(?) AS m${i}`).join(', ')}`,
    jobs.map((job) => markerName(full, job, connectionId)),
  );
  const job = jobs.find((_, i) => Number(marks[0]?.[`m${i}`]) === connectionId);
  return job ? { connectionId, job } : { connectionId };
}
