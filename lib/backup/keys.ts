/**
 * Backup object names. Pure: no S3, no clock.
 *
 *   <prefix><db>/<yyyy>/<mm>/<dd>/<db>-<yyyymmddThhmmssSSSZ>.sql.gz      the dump (gzip of mysqldump's output)
 *   <that key>.manifest.json                                             written only after the dump completed
 *
 * The timestamp in the name is the UTC start of the dump, so the age of a backup can be read from its key alone
 * (S3 stores that rewrite LastModified on copy do not make old backups look new), and keys sort by time.
 */

export const DUMP_SUFFIX = '.sql.gz';
export const MANIFEST_SUFFIX = '.manifest.json';

const pad = (n: number, width = 2) => String(n).padStart(width, '0');

/** `2026-11-24T01:15:00.123Z` → `20261124T011500123Z`. */
export function compactTimestamp(at: Date): string {
  return (
    `${at.getUTCFullYear()}${pad(at.getUTCMonth() + 1)}${pad(at.getUTCDate())}` +
    `T${pad(at.getUTCHours())}${pad(at.getUTCMinutes())}${pad(at.getUTCSeconds())}${pad(at.getUTCMilliseconds(), 3)}Z`
  );
}

/**
 * The key of a dump of `database` started at `at`.
 *
 * @example backupKey('backups/', 'financial_monitor', new Date('2026-11-24T01:15:00.123Z'))
 *   // 'backups/financial_monitor/2026/11/24/financial_monitor-20261124T011500123Z.sql.gz'
 */
export function backupKey(prefix: string, database: string, at: Date): string {
  const day = `${at.getUTCFullYear()}/${pad(at.getUTCMonth() + 1)}/${pad(at.getUTCDate())}`;
  return `${prefix}${database}/${day}/${database}-${compactTimestamp(at)}${DUMP_SUFFIX}`;
}

/** The folder holding every backup of one database. */
export function databasePrefix(prefix: string, database: string): string {
  return `${prefix}${database}/`;
}

export function manifestKeyOf(dumpKey: string): string {
  return `${dumpKey}${MANIFEST_SUFFIX}`;
}

export interface ParsedBackupKey {
  kind: 'dump' | 'manifest';
  /** The dump this object belongs to (itself for a dump). */
  dumpKey: string;
  database: string;
  /** When the dump started, from the key. */
  takenAt: Date;
}

const KEY_PATTERN =
  /^([A-Za-z0-9_]{1,64})\/(\d{4})\/(\d{2})\/(\d{2})\/\1-(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})(\d{3})Z\.sql\.gz(\.manifest\.json)?$/;

/**
 * Reads a key written by {@link backupKey} (or its manifest). Anything else — another prefix, a foreign file, a
 * folder whose date disagrees with the file name — gives `undefined`, and the prune leaves it alone.
 */
export function parseBackupKey(prefix: string, key: string): ParsedBackupKey | undefined {
  if (!key.startsWith(prefix)) return undefined;
  const match = KEY_PATTERN.exec(key.slice(prefix.length));
  if (!match) return undefined;
  const [, database, fy, fm, fd, y, mo, d, h, mi, s, ms, manifest] = match;
  if (fy !== y || fm !== mo || fd !== d) return undefined;
  const takenAt = new Date(
    Date.UTC(Number(y), Number(mo) - 1, Number(d), Number(h), Number(mi), Number(s), Number(ms)),
  );
  if (Number.isNaN(takenAt.getTime()) || compactTimestamp(takenAt) !== `${y}${mo}${d}T${h}${mi}${s}${ms}Z`)
    return undefined;
  const dumpKey = manifest ? key.slice(0, -MANIFEST_SUFFIX.length) : key;
  return { kind: manifest ? 'manifest' : 'dump', dumpKey, database: database as string, takenAt };
}
