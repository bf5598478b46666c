/**
 * `backup_runs`: one row per backup and the result of its latest restore test — what the dashboard shows.
 * Recording is best-effort: a database that cannot take the row (not migrated yet) must not cost the bank its backup,
 * so failures here are logged, never thrown.
 */
import type { Connection, ResultSetHeader, RowDataPacket } from 'mysql2/promise';
import { logger } from '../log.js';
import type { BackupManifest } from './manifest.js';

export type BackupTrigger = 'schedule' | 'manual' | 'verify';

const toDateTime = (at: Date) => at.toISOString().slice(0, 23).replace('T', ' ');

async function bestEffort<T>(what: string, work: () => Promise<T>): Promise<T | undefined> {
  try {
    return await work();
  } catch (error) {
    const e = error as { code?: string; message?: string };
    logger.warn(`could not record ${what} in backup_runs`, { code: e.code ?? e.message });
    return undefined;
  }
}

export async function recordBackupStarted(
  conn: Connection,
  run: { key: string; bucket: string; database: string; trigger: BackupTrigger; startedAt: Date },
): Promise<number | undefined> {
  return bestEffort('the backup start', async () => {
    const [result] = await conn.query<ResultSetHeader>(
      `INSERT INTO backup_runs (object_key, bucket, database_name, trigger_source, status, started_at)
       VALUES (?, ?, ?, ?, 'running', ?)`,
      [run.key, run.bucket, run.database, run.trigger, toDateTime(run.startedAt)],
    );
    return result.insertId;
  });
}

export async function recordBackupFinished(
  conn: Connection,
  id: number | undefined,
  result:
    | {
        status: 'succeeded';
        finishedAt: Date;
        durationMs: number;
        bytes: number;
        dumpBytes: number;
        sha256: string;
        serverVersion: string;
        details: unknown;
      }
    | { status: 'failed'; finishedAt: Date; durationMs: number; error: string; serverVersion?: string },
): Promise<void> {
  if (id === undefined) return;
  await bestEffort('the backup result', async () => {
    if (result.status === 'succeeded') {
      await conn.query(
        `UPDATE backup_runs SET status = 'succeeded', finished_at = ?, duration_ms = ?, bytes_compressed = ?,
                bytes_dump = ?, sha256 = ?, server_version = ?, details = ? WHERE id = ?`,
        [
          toDateTime(result.finishedAt),
          result.durationMs,
          result.bytes,
          result.dumpBytes,
          result.sha256,
          result.serverVersion,
          JSON.stringify(result.details),
          id,
        ],
      );
    } else {
      await conn.query(
        `UPDATE backup_runs SET status = 'failed', finished_at = ?, duration_ms = ?, error = ?,
                server_version = COALESCE(?, server_version) WHERE id = ?`,
        [
          toDateTime(result.finishedAt),
          result.durationMs,
          result.error.slice(0, 60_000),
          result.serverVersion ?? null,
          id,
        ],
      );
    }
  });
}

/**
 * Records a restore test of `key`. The backup's own row is updated; a backup taken elsewhere (another database
 * restored here, a bucket shared by stages) gets a row from its manifest first.
 */
export async function recordVerification(
  conn: Connection,
  verification: {
    key: string;
    bucket: string;
    database: string;
    takenAt: Date;
    bytes: number;
    sha256: string;
    serverVersion: string;
    verifiedAt: Date;
    status: 'passed' | 'failed';
    details: unknown;
    error?: string;
  },
): Promise<void> {
  await bestEffort('the verification', async () => {
    await conn.query(
      `INSERT INTO backup_runs (object_key, bucket, database_name, trigger_source, status, started_at, bytes_compressed,
                                sha256, server_version, verified_at, verify_status, details, error)
       VALUES (?, ?, ?, 'verify', 'succeeded', ?, ?, ?, ?, ?, ?, JSON_OBJECT('verify', JSON_EXTRACT(?, '$')), ?)
       ON DUPLICATE KEY UPDATE verified_at = VALUES(verified_at), verify_status = VALUES(verify_status),
         details = JSON_SET(COALESCE(details, JSON_OBJECT()), '$.verify', JSON_EXTRACT(?, '$')),
         error = IF(VALUES(verify_status) = 'failed', VALUES(error), error)`,
      [
        verification.key,
        verification.bucket,
        verification.database,
        toDateTime(verification.takenAt),
        verification.bytes,
        verification.sha256,
        verification.serverVersion,
        toDateTime(verification.verifiedAt),
        verification.status,
        JSON.stringify(verification.details),
        verification.error ?? null,
        JSON.stringify(verification.details),
      ],
    );
  });
}

/**
 * A restored database holds its own backup's backup_runs row as it stood when the snapshot was taken: 'running'
 * (the row is written before the dump, its result after). Records that backup's result there from its manifest —
 * what the source's row got when the backup finished — so the restored dashboard does not show a backup running
 * forever. The restore test (verify) leaves the copy as the snapshot was: it compares it with the manifest.
 */
export async function recordRestoredRun(conn: Connection, manifest: BackupManifest): Promise<void> {
  const id = await bestEffort('the restored backup', async () => {
    const [rows] = await conn.query<RowDataPacket[]>(
      "SELECT id FROM backup_runs WHERE object_key = ? AND status = 'running'",
      [manifest.key],
    );
    return rows[0]?.id as number | undefined;
  });
  await recordBackupFinished(conn, id, {
    status: 'succeeded',
    finishedAt: new Date(manifest.finishedAt),
    durationMs: manifest.durationMs,
    bytes: manifest.bytes,
    dumpBytes: manifest.dumpBytes,
    sha256: manifest.sha256,
    serverVersion: manifest.server.version,
    details: { tables: manifest.tables, objects: manifest.objects },
  });
}
