/**
 * Server-wide named locks (GET_LOCK) — the one mechanism every job uses so that runs that must not overlap never do,
 * even across containers. A lock belongs to the connection that took it; the server frees it if that connection
 * dies. Names are scoped to the database (`<database>.<name>`, at most 64 characters as the server requires).
 */
import type { Connection, RowDataPacket } from 'mysql2/promise';

/** Held by every anomaly scan; the seeder takes it too, so no scan writes alerts while a seed replaces the bank. */
export const SCAN_LOCK = 'anomaly-scan';

/** The full lock name for a database. */
export function lockName(database: string, name: string): string {
  return `${database}.${name}`.slice(0, 64);
}

/**
 * Takes the lock `name` of `database` on `conn`, waiting up to `waitSeconds`. Returns the full lock name when it was
 * taken (pass it to releaseNamedLock), or undefined when another session still holds it.
 */
export async function acquireNamedLock(
  conn: Connection,
  database: string,
  name: string,
  waitSeconds = 0,
): Promise<string | undefined> {
  const full = lockName(database, name);
  const [rows] = await conn.query<RowDataPacket[]>('SELECT GET_LOCK(?, ?) AS got', [full, waitSeconds]);
  return rows[0]?.got === 1 ? full : undefined;
}

/** Releases a lock taken with acquireNamedLock; never throws (the server frees it with the connection anyway). */
export async function releaseNamedLock(conn: Connection, full: string): Promise<boolean> {
  try {
    await conn.query('SELECT RELEASE_LOCK(?)', [full]);
    return true;
  } catch {
    return false;
  }
}
