/**
 * Everything a backup, restore, prune or verify needs from outside, in one object: defaults come from the
 * environment (getConfig()) and the module's S3 client; tests and the benchmark pass their own (another database,
 * another endpoint, a stand-in mysqldump, a clock).
 */
import mysql, { type Connection } from 'mysql2/promise';
import { getConfig } from '../config.js';
import { connectionOptions } from '../db/pool.js';
import { connectionFailure, type DbSettings, resolveDbSettings } from '../db/settings.js';
import { getS3 } from '../s3/client.js';
import type { BackupStore } from './store.js';

export interface BackupContext extends BackupStore {
  /** The database backed up (and where backup_runs is recorded). */
  settings: DbSettings;
  mysqldumpPath: string;
  mysqlPath: string;
  gzipLevel: number;
  retentionDays: number;
  /** The whole run — bucket check, dump, upload, manifest — is stopped after this long. */
  timeoutMs: number;
  /**
   * After a failure, how long S3 gets to abort the multipart upload or remove a dump that cannot be described (S3
   * may be what failed: the cleanup must not hang in its turn).
   */
  cleanupTimeoutMs: number;
  /** CHECKSUM TABLE per table in the manifest (the costly part of the stats; counts are always recorded). */
  tableChecksums: boolean;
  partSize?: number;
  queueSize?: number;
  now: () => Date;
}

export async function defaultBackupContext(overrides: Partial<BackupContext> = {}): Promise<BackupContext> {
  const config = getConfig();
  return {
    s3: overrides.s3 ?? getS3(),
    bucket: config.BACKUP_BUCKET,
    prefix: config.BACKUP_PREFIX,
    settings: overrides.settings ?? (await resolveDbSettings()),
    mysqldumpPath: config.MYSQLDUMP_PATH,
    mysqlPath: config.MYSQL_CLIENT_PATH,
    gzipLevel: config.BACKUP_GZIP_LEVEL,
    retentionDays: config.BACKUP_RETENTION_DAYS,
    timeoutMs: config.BACKUP_TIMEOUT_SECONDS * 1000,
    cleanupTimeoutMs: 10_000,
    tableChecksums: config.BACKUP_TABLE_CHECKSUMS,
    now: () => new Date(),
    ...overrides,
  };
}

/** A dedicated connection (not the pool's: the backup holds a long read-only snapshot on it). */
export async function openConnection(
  settings: DbSettings,
  database: string | undefined = settings.database,
): Promise<Connection> {
  try {
    return await mysql.createConnection({ ...connectionOptions(settings), database });
  } catch (error) {
    throw connectionFailure({ ...settings, database: database ?? settings.database }, error);
  }
}
