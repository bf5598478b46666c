/**
 * Names of the server-wide named locks the jobs take (withNamedLock scopes each to the database as
 * `<database>.<name>`). Jobs that must not run at the same time take each other's locks.
 */

/** Held by every anomaly scan; the seeder takes it too, so no scan writes alerts while a seed replaces the bank. */
export const SCAN_LOCK = 'anomaly-scan';

/** The full lock name for a database, as withNamedLock builds it. */
export function lockName(database: string, name: string): string {
  return `${database}.${name}`.slice(0, 64);
}
