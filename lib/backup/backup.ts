/**
 * One backup run: mysqldump of the database, gzipped and streamed to S3 under the backup prefix, then its manifest
 * (sha256, sizes, duration, server version, row counts and checksums per table, object inventory), then a row in
 * backup_runs. Two runs never overlap (a named lock on the database); a failed run leaves no object behind,
 * touches no older backup and is recorded as failed in backup_runs (when the database can take the row). The time
 * limit covers the whole run, the bucket check included.
 */
import type { Connection } from 'mysql2/promise';
import { acquireNamedLock, lockName, releaseNamedLock } from '../db/locks.js';
import { ConflictError, DependencyError } from '../errors.js';
import { logger } from '../log.js';
import { type BackupContext, openConnection } from './context.js';
import { objectInventory, serverInfo, startSnapshot, tableStats } from './database-stats.js';
import { backupKey, databasePrefix } from './keys.js';
import type { BackupManifest } from './manifest.js';
import { detectTool, dumpArgs, type ToolInfo, withDefaultsFile } from './mysql-tools.js';
import { type BackupTrigger, recordBackupFinished, recordBackupStarted } from './runs.js';
import { deleteObject, listObjects, putManifest, s3Failure } from './store.js';
import { type StreamDumpResult, streamDumpToS3 } from './stream-dump.js';

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

type Log = typeof logger;
type ServerInfo = Awaited<ReturnType<typeof serverInfo>>;
type DumpOutcome = StreamDumpResult & Pick<BackupManifest, 'tables' | 'objects'> & { args: string[] };

/** What the backup_runs row of a run needs, filled in as the run goes. */
interface RunRecord {
  key: string;
  trigger: BackupTrigger;
  startedAt: Date;
  runId?: number;
  serverVersion?: string;
}

const seconds = (ms: number) => `${Number((ms / 1000).toFixed(1))} s`;

/**
 * The run's limit: one signal that aborts on Ctrl-C (the caller's `signal`) or when `timeoutMs` has passed, with a
 * reason that says which.
 */
function runLimit(timeoutMs: number, signal?: AbortSignal): { abort: AbortSignal; clear: () => void } {
  const limit = new AbortController();
  const timer = setTimeout(
    () => limit.abort(new Error(`it ran past its time limit of ${seconds(timeoutMs)}`)),
    timeoutMs,
  );
  return {
    abort: signal ? AbortSignal.any([signal, limit.signal]) : limit.signal,
    clear: () => clearTimeout(timer),
  };
}

/** The error to report: when the limit (or Ctrl-C) cut the run, say so first. */
function explainAbort(error: Error, abort: AbortSignal): Error {
  if (!abort.aborted || error.message.startsWith('backup aborted')) return error;
  const reason = abort.reason instanceof Error ? abort.reason.message : 'aborted';
  return new DependencyError(`backup aborted: ${reason}; ${error.message}`, { cause: error });
}

/** The failed run in backup_runs (its row is created here when the run failed before writing one). */
async function recordFailure(
  ctx: BackupContext,
  bookkeeping: Connection,
  run: RunRecord,
  error: Error,
): Promise<void> {
  const { key, trigger, startedAt } = run;
  const database = ctx.settings.database;
  const runId =
    run.runId ??
    (await recordBackupStarted(bookkeeping, { key, bucket: ctx.bucket, database, trigger, startedAt }));
  await recordBackupFinished(bookkeeping, runId, {
    status: 'failed',
    finishedAt: ctx.now(),
    durationMs: Math.max(0, ctx.now().getTime() - startedAt.getTime()),
    error: error.message,
    serverVersion: run.serverVersion,
  });
}

/**
 * Independent preflights at once: the tool's flavour, the bucket (listing our own folder is all IAM allows; fail
 * before dumping anything when it does not answer, within the run's limit), and the two connections. On any
 * failure the run is recorded as failed (when the bookkeeping connection opened) and nothing is left open.
 */
async function preflight(
  ctx: BackupContext,
  run: { record: RunRecord; abort: AbortSignal; log: Log },
): Promise<{ client: ToolInfo; bookkeeping: Connection; stats: Connection }> {
  const [tool, bucketCheck, bookkeepingConn, statsConn] = await Promise.allSettled([
    detectTool(ctx.mysqldumpPath, 'MYSQLDUMP_PATH'),
    listObjects(ctx, databasePrefix(ctx.prefix, ctx.settings.database), run.abort),
    openConnection(ctx.settings),
    openConnection(ctx.settings),
  ]);
  const failed = [tool, bucketCheck, bookkeepingConn, statsConn].find((r) => r.status === 'rejected');
  if (failed) {
    const error = explainAbort((failed as PromiseRejectedResult).reason as Error, run.abort);
    run.log.error('backup preflight failed; nothing dumped, nothing deleted', { error });
    if (bookkeepingConn.status === 'fulfilled')
      await recordFailure(ctx, bookkeepingConn.value, run.record, error);
    for (const conn of [bookkeepingConn, statsConn])
      if (conn.status === 'fulfilled') await conn.value.end().catch(() => undefined);
    throw error;
  }
  return {
    client: (tool as PromiseFulfilledResult<ToolInfo>).value,
    bookkeeping: (bookkeepingConn as PromiseFulfilledResult<Connection>).value,
    stats: (statsConn as PromiseFulfilledResult<Connection>).value,
  };
}

/**
 * Streams the dump to `key` while the stats connection, in a snapshot opened just before mysqldump's, records the
 * tables and objects the dump should hold. A dump that cannot be described is removed.
 */
async function dumpAndDescribe(
  ctx: BackupContext,
  run: {
    key: string;
    client: ToolInfo;
    server: ServerInfo;
    stats: Connection;
    startedAt: Date;
    abort: AbortSignal;
    log: Log;
  },
): Promise<DumpOutcome> {
  const { key, client, server, stats, log } = run;
  const database = ctx.settings.database;
  return withDefaultsFile(ctx.settings, async (defaultsFile) => {
    const args = dumpArgs({ client, serverFlavour: server.flavour, database, defaultsFile });
    // Our snapshot opens just before mysqldump's, and is read while the dump streams.
    await startSnapshot(stats);
    const dumped = streamDumpToS3({
      s3: ctx.s3,
      bucket: ctx.bucket,
      key,
      command: ctx.mysqldumpPath,
      args,
      gzipLevel: ctx.gzipLevel,
      signal: run.abort,
      cleanupTimeoutMs: ctx.cleanupTimeoutMs,
      partSize: ctx.partSize,
      queueSize: ctx.queueSize,
      metadata: { database, 'server-version': server.version, 'started-at': run.startedAt.toISOString() },
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
      await deleteObject(ctx, key, AbortSignal.timeout(ctx.cleanupTimeoutMs)).catch(() => undefined);
      throw inventory.reason;
    }
    return {
      ...streamed.value,
      ...inventory.value,
      args: args.slice(1, -1), // neither the options file nor the database name
    };
  });
}

function manifestOf(
  ctx: BackupContext,
  run: {
    key: string;
    startedAt: Date;
    finishedAt: Date;
    durationMs: number;
    server: ServerInfo;
    client: ToolInfo;
    result: DumpOutcome;
  },
): BackupManifest {
  const { result } = run;
  return {
    formatVersion: 1,
    key: run.key,
    bucket: ctx.bucket,
    database: ctx.settings.database,
    startedAt: run.startedAt.toISOString(),
    finishedAt: run.finishedAt.toISOString(),
    durationMs: run.durationMs,
    sha256: result.sha256,
    bytes: result.bytes,
    dumpBytes: result.dumpBytes,
    gzipLevel: ctx.gzipLevel,
    server: run.server,
    client: { flavour: run.client.flavour, version: run.client.version },
    mysqldumpArgs: result.args,
    tables: result.tables,
    objects: result.objects,
  };
}

/** Writes the dump's manifest; without it the dump cannot be checked, so a failure removes the dump too. */
async function storeManifest(
  ctx: BackupContext,
  manifest: BackupManifest,
  abort: AbortSignal,
): Promise<void> {
  try {
    await putManifest(ctx, manifest, abort);
  } catch (error) {
    await deleteObject(ctx, manifest.key, AbortSignal.timeout(ctx.cleanupTimeoutMs)).catch(() => undefined);
    throw error;
  }
}

/** One locked run: the backup_runs row, the dump, its manifest, the row completed. */
async function backUpLocked(
  ctx: BackupContext,
  run: {
    /** Filled in as soon as known, for the failure record. */
    record: RunRecord;
    client: ToolInfo;
    bookkeeping: Connection;
    stats: Connection;
    abort: AbortSignal;
    log: Log;
  },
): Promise<BackupResult> {
  const { record, client, bookkeeping, log } = run;
  const { key, trigger, startedAt } = record;
  const { bucket } = ctx;
  const database = ctx.settings.database;
  const server = await serverInfo(run.stats);
  record.serverVersion = server.version;
  const runId = await recordBackupStarted(bookkeeping, { key, bucket, database, trigger, startedAt });
  record.runId = runId;
  const started = performance.now();
  log.info('backup started', {
    trigger,
    mysqldump: { binary: client.binary, flavour: client.flavour, version: client.version },
    server,
    gzipLevel: ctx.gzipLevel,
    timeoutMs: ctx.timeoutMs,
  });

  const result = await dumpAndDescribe(ctx, { ...run, key, startedAt, server });
  const finishedAt = ctx.now();
  const durationMs = Math.round(performance.now() - started);
  const manifest = manifestOf(ctx, { key, startedAt, finishedAt, durationMs, server, client, result });
  await storeManifest(ctx, manifest, run.abort);
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
}

/**
 * Takes a backup now. Fails within `ctx.timeoutMs` (plus `ctx.cleanupTimeoutMs` to abort the upload) whatever S3
 * does, and records a failure in backup_runs.
 *
 * @example const { key, manifest } = await runBackup(await defaultBackupContext(), { trigger: 'manual' });
 */
export async function runBackup(
  ctx: BackupContext,
  { trigger = 'manual', signal }: { trigger?: BackupTrigger; signal?: AbortSignal } = {},
): Promise<BackupResult> {
  const { bucket } = ctx;
  const database = ctx.settings.database;
  const startedAt = ctx.now();
  const key = backupKey(ctx.prefix, database, startedAt);
  const log = logger.createChild({ persistentKeys: { backupKey: key, bucket, database } });
  const record: RunRecord = { key, trigger, startedAt };
  const { abort, clear } = runLimit(ctx.timeoutMs, signal);
  try {
    const { client, bookkeeping, stats } = await preflight(ctx, { record, abort, log });
    try {
      return await withLock(bookkeeping, database, () =>
        backUpLocked(ctx, { record, client, bookkeeping, stats, abort, log }),
      );
    } catch (caught) {
      const error = explainAbort(caught as Error, abort);
      log.error('backup failed; no object left at the key, older backups untouched', {
        error,
        durationMs: Date.now() - startedAt.getTime(),
      });
      // A run refused because another is going has nothing to record: the other run's row tells the story.
      if (!(error instanceof ConflictError)) await recordFailure(ctx, bookkeeping, record, error);
      if ((error as { $metadata?: unknown }).$metadata) throw s3Failure(ctx, 'backup', error);
      throw error;
    } finally {
      await stats.end().catch(() => undefined);
      await bookkeeping.end().catch(() => undefined);
    }
  } finally {
    clear();
  }
}
