/**
 * One backup run: mysqldump of the database, gzipped and streamed to S3 under the backup prefix, then its manifest
 * (sha256, sizes, duration, server version, row counts and checksums per table, object inventory), then a row in
 * backup_runs. Two runs never overlap (a named lock on the database); a failed run leaves no object behind and
 * touches no older backup.
 */
import type { Connection } from 'mysql2/promise';
import { acquireNamedLock, lockName, releaseNamedLock } from '../db/locks.js';
import { ConflictError } from '../errors.js';
import { logger } from '../log.js';
import { type BackupContext, openConnection } from './context.js';
import { objectInventory, serverInfo, startSnapshot, tableStats } from './database-stats.js';
import { backupKey, databasePrefix } from './keys.js';
import type { BackupManifest } from './manifest.js';
import { detectTool, dumpArgs, type ToolInfo, withDefaultsFile } from './mysql-tools.js';
import { type BackupTrigger, recordBackupFinished, recordBackupStarted } from './runs.js';
import { deleteObject, listObjects, putManifest, s3Failure } from './store.js';
import { streamDumpToS3 } from './stream-dump.js';

export interface BackupResult {
  key: string;
  manifest: BackupManifest;
}

async function withLock<T>(conn: Connection, database: string, work: () => Promise<T>): Promise<T> {
  const lock = await acquireNamedLock(conn, database, 'backup');
  if (!lock) {
    throw new ConflictError(
      `another backup of this database is running (lock ${lockName(database, 'backup')})`,
    );
  }
  try {
    return await work();
  } finally {
    await releaseNamedLock(conn, lock);
  }
}

/**
 * Takes a backup now.
 *
 * @example const { key, manifest } = await runBackup(await defaultBackupContext(), { trigger: 'manual' });
 */
export async function runBackup(
  ctx: BackupContext,
  { trigger = 'manual', signal }: { trigger?: BackupTrigger; signal?: AbortSignal } = {},
): Promise<BackupResult> {
  const { settings, bucket } = ctx;
  const database = settings.database;
  const startedAt = ctx.now();
  const key = backupKey(ctx.prefix, database, startedAt);
  const log = logger.createChild({ persistentKeys: { backupKey: key, bucket, database } });

  // Independent preflights at once: the tool's flavour, the bucket (listing our own folder is all IAM allows; fail
  // before dumping anything when it does not answer), and the two connections.
  const [tool, bucketCheck, bookkeepingConn, statsConn] = await Promise.allSettled([
    detectTool(ctx.mysqldumpPath, 'MYSQLDUMP_PATH'),
    listObjects(ctx, databasePrefix(ctx.prefix, database)),
    openConnection(settings),
    openConnection(settings),
  ]);
  const failed = [tool, bucketCheck, bookkeepingConn, statsConn].find((r) => r.status === 'rejected');
  if (failed) {
    for (const conn of [bookkeepingConn, statsConn])
      if (conn.status === 'fulfilled') await conn.value.end().catch(() => undefined);
    const error = (failed as PromiseRejectedResult).reason as Error;
    log.error('backup preflight failed; nothing dumped, nothing deleted', { error });
    throw error;
  }
  const client = (tool as PromiseFulfilledResult<ToolInfo>).value;
  const bookkeeping = (bookkeepingConn as PromiseFulfilledResult<Connection>).value;
  const stats = (statsConn as PromiseFulfilledResult<Connection>).value;
  const timeout = AbortSignal.timeout(ctx.timeoutMs);
  const abort = signal ? AbortSignal.any([signal, timeout]) : timeout;
  let runId: number | undefined;
  let serverVersion: string | undefined;
  try {
    return await withLock(bookkeeping, database, async () => {
      const server = await serverInfo(stats);
      serverVersion = server.version;
      runId = await recordBackupStarted(bookkeeping, { key, bucket, database, trigger, startedAt });
      const started = performance.now();
      log.info('backup started', {
        trigger,
        mysqldump: { binary: client.binary, flavour: client.flavour, version: client.version },
        server,
        gzipLevel: ctx.gzipLevel,
        timeoutMs: ctx.timeoutMs,
      });

      const result = await withDefaultsFile(settings, async (defaultsFile) => {
        const args = dumpArgs({ client, serverFlavour: server.flavour, database, defaultsFile });
        // Our snapshot opens just before mysqldump's, and is read while the dump streams.
        await startSnapshot(stats);
        const dumped = streamDumpToS3({
          s3: ctx.s3,
          bucket,
          key,
          command: ctx.mysqldumpPath,
          args,
          gzipLevel: ctx.gzipLevel,
          signal: abort,
          partSize: ctx.partSize,
          queueSize: ctx.queueSize,
          metadata: { database, 'server-version': server.version, 'started-at': startedAt.toISOString() },
          onProgress: ({ dumpBytes, bytes }) => log.debug('backup progress', { dumpBytes, bytes }),
        });
        // A failed dump stops the stats too (closing their connection ends a long CHECKSUM TABLE).
        dumped.catch(() => stats.destroy());
        const recorded = (async () => {
          const tables = await tableStats(stats, database, { checksums: ctx.tableChecksums });
          const objects = await objectInventory(stats, database);
          await stats.query('COMMIT');
          return { tables, objects };
        })();
        const [streamed, inventory] = await Promise.allSettled([dumped, recorded]);
        if (streamed.status === 'rejected') throw streamed.reason;
        if (inventory.status === 'rejected') {
          // The dump is complete but cannot be described: remove it so it never passes for a good backup.
          await deleteObject(ctx, key).catch(() => undefined);
          throw inventory.reason;
        }
        return {
          ...streamed.value,
          ...inventory.value,
          args: args.slice(1, -1), // neither the options file nor the database name
        };
      });

      const finishedAt = ctx.now();
      const durationMs = Math.round(performance.now() - started);
      const manifest: BackupManifest = {
        formatVersion: 1,
        key,
        bucket,
        database,
        startedAt: startedAt.toISOString(),
        finishedAt: finishedAt.toISOString(),
        durationMs,
        sha256: result.sha256,
        bytes: result.bytes,
        dumpBytes: result.dumpBytes,
        gzipLevel: ctx.gzipLevel,
        server,
        client: { flavour: client.flavour, version: client.version },
        mysqldumpArgs: result.args,
        tables: result.tables,
        objects: result.objects,
      };
      try {
        await putManifest(ctx, manifest);
      } catch (error) {
        // Without its manifest the dump cannot be checked: remove it, fail the run.
        await deleteObject(ctx, key).catch(() => undefined);
        throw error;
      }
      if (result.stderr) log.warn('mysqldump wrote to stderr', { stderr: result.stderr });
      log.info('backup completed', {
        bytes: result.bytes,
        dumpBytes: result.dumpBytes,
        sha256: result.sha256,
        durationMs,
        parts: result.parts,
        tables: result.tables.length,
        rows: result.tables.reduce((sum, t) => sum + t.rows, 0),
      });
      await recordBackupFinished(bookkeeping, runId, {
        status: 'succeeded',
        finishedAt,
        durationMs,
        bytes: result.bytes,
        dumpBytes: result.dumpBytes,
        sha256: result.sha256,
        serverVersion: server.version,
        details: { tables: result.tables, objects: result.objects },
      });
      return { key, manifest };
    });
  } catch (error) {
    const e = error as Error;
    log.error('backup failed; no object left at the key, older backups untouched', {
      error: e,
      durationMs: Date.now() - startedAt.getTime(),
    });
    await recordBackupFinished(bookkeeping, runId, {
      status: 'failed',
      finishedAt: ctx.now(),
      durationMs: Math.max(0, ctx.now().getTime() - startedAt.getTime()),
      error: e.message,
      serverVersion,
    });
    if ((error as { $metadata?: unknown }).$metadata) throw s3Failure(ctx, 'backup', error);
    throw error;
  } finally {
    await stats.end().catch(() => undefined);
    await bookkeeping.end().catch(() => undefined);
  }
}
