/**
 * Restores a backup object into a database: S3 → gunzip → the mysql client, streamed.
 *
 * The object is proven before anything is applied: a first pass streams it through sha256 and compares digest and
 * size with its manifest (a corrupt or truncated object is refused and the target is not touched). The second pass,
 * which applies it, reads the same version (`If-Match` on the ETag seen by the first) and hashes again on the way.
 * A target holding any table, view, routine, trigger or event is refused unless `force`, which drops and recreates
 * it first — the restored database is then exactly the backup, nothing of the old contents mixed in.
 *
 * A restore has no overall time limit (a large one takes as long as it takes), but every S3 request has the
 * client's (S3_CONNECT_TIMEOUT_MS, S3_REQUEST_TIMEOUT_MS, S3_MAX_ATTEMPTS): an S3 that stops answering fails it
 * within those, before or while it reads, instead of leaving it waiting.
 */
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { PassThrough, type Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGunzip } from 'node:zlib';
import { GetObjectCommand } from '@aws-sdk/client-s3';
import type { RowDataPacket } from 'mysql2/promise';
import { ConflictError, NotFoundError, ValidationError } from '../errors.js';
import { logger } from '../log.js';
import { type BackupContext, openConnection } from './context.js';
import { isEmptyDatabase } from './database-stats.js';
import { DumpFailedError, IntegrityError } from './errors.js';
import { parseBackupKey } from './keys.js';
import type { BackupManifest } from './manifest.js';
import { detectTool, restoreArgs, TailBuffer, withDefaultsFile } from './mysql-tools.js';
import {
  type BackupStore,
  describeS3Error,
  getManifest,
  listBackups,
  objectExists,
  s3Failure,
} from './store.js';

export const DATABASE_NAME = /^[A-Za-z0-9_]{1,64}$/;

/** How many keys "no backup under that key" offers instead. */
const SUGGESTIONS = 5;

export interface RestoreOptions {
  key: string;
  /** Target database (created when absent). */
  database: string;
  /** Replace a non-empty target. */
  force?: boolean;
  signal?: AbortSignal;
}

export interface RestoreResult {
  key: string;
  database: string;
  bytes: number;
  sha256: string;
  durationMs: number;
  manifest: BackupManifest;
}

async function openObject(
  store: BackupStore,
  key: string,
  { ifMatch, signal }: { ifMatch?: string; signal?: AbortSignal } = {},
): Promise<{ body: Readable; etag?: string }> {
  try {
    const result = await store.s3.send(
      new GetObjectCommand({ Bucket: store.bucket, Key: key, ...(ifMatch ? { IfMatch: ifMatch } : {}) }),
      { abortSignal: signal },
    );
    if (!result.Body) throw new Error('empty body');
    return { body: result.Body as Readable, etag: result.ETag };
  } catch (error) {
    throw s3Failure(store, `GetObject ${key}`, error);
  }
}

/** Streams the object through sha256; nothing is kept. */
export async function hashObject(
  store: BackupStore,
  key: string,
  signal?: AbortSignal,
): Promise<{ sha256: string; bytes: number; etag?: string }> {
  const { body, etag } = await openObject(store, key, { signal });
  const hash = createHash('sha256');
  let bytes = 0;
  try {
    for await (const chunk of body) {
      hash.update(chunk as Buffer);
      bytes += (chunk as Buffer).length;
    }
  } catch (error) {
    throw s3Failure(store, `GetObject ${key} (after ${bytes} bytes)`, error);
  }
  return { sha256: hash.digest('hex'), bytes, etag };
}

/** Throws IntegrityError unless the object matches its manifest. */
export async function checkIntegrity(
  store: BackupStore,
  key: string,
  manifest: BackupManifest,
  signal?: AbortSignal,
): Promise<{ etag?: string }> {
  const { sha256, bytes, etag } = await hashObject(store, key, signal);
  if (sha256 !== manifest.sha256 || bytes !== manifest.bytes) {
    throw new IntegrityError(
      `backup ${key} does not match its manifest (sha256 ${sha256.slice(0, 12)}… vs ${manifest.sha256.slice(0, 12)}…, ` +
        `${bytes} vs ${manifest.bytes} bytes); refusing to restore it`,
    );
  }
  return { etag };
}

function assertRestoreRequest(ctx: BackupContext, { key, database }: RestoreOptions): void {
  if (!DATABASE_NAME.test(database))
    throw new ValidationError('--database expects a database name of letters, digits and _ (at most 64)');
  if (parseBackupKey(ctx.prefix, key)?.kind !== 'dump')
    throw new ValidationError(
      `--key expects a backup key such as ${ctx.prefix}<db>/<yyyy>/<mm>/<dd>/<db>-<timestamp>.sql.gz`,
    );
}

/** Creates the target database; one holding anything is refused, or dropped first with `force`. */
async function prepareTarget(
  ctx: BackupContext,
  database: string,
  force: boolean,
  log: typeof logger,
): Promise<void> {
  const server = await openConnection(ctx.settings, undefined);
  try {
    const [exists] = await server.query<RowDataPacket[]>(
      'SELECT SCHEMA_NAME FROM information_schema.SCHEMATA WHERE SCHEMA_NAME = ?',
      [database],
    );
    if (exists.length > 0 && !(await isEmptyDatabase(server, database))) {
      if (!force)
        throw new ConflictError(`database ${database} is not empty; pass --force to replace its contents`);
      log.warn('restore: --force given; dropping the non-empty target first', { target: database });
      await server.query(`DROP DATABASE \`${database}\``);
    }
    await server.query(
      `CREATE DATABASE IF NOT EXISTS \`${database}\` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci`,
    );
  } finally {
    await server.end().catch(() => undefined);
  }
}

/** The mysql client reading a dump on stdin, and a promise of its exit (rejects unless it exits 0). */
function spawnClient(ctx: BackupContext, database: string, defaultsFile: string) {
  const child = spawn(ctx.mysqlPath, restoreArgs({ database, defaultsFile }), {
    stdio: ['pipe', 'ignore', 'pipe'],
  });
  const stderr = new TailBuffer();
  child.stderr.on('data', (chunk: Buffer) => stderr.push(chunk));
  const exited = new Promise<void>((resolve, reject) => {
    child.once('error', (error) =>
      reject(new DumpFailedError(`${ctx.mysqlPath} failed to start`, '', { cause: error })),
    );
    child.once('close', (code, signal) =>
      code === 0
        ? resolve()
        : reject(
            new DumpFailedError(
              `mysql ${signal ? `was killed by ${signal}` : `exited with code ${code}`}; ${database} is partially restored (re-run with --force)`,
              stderr.toString(),
            ),
          ),
    );
  });
  return { child, stderr, exited };
}

/** Streams `body` through sha256 and gunzip into the mysql client; resolves with what went through. */
async function applyDump(
  ctx: BackupContext,
  body: Readable,
  database: string,
  signal: AbortSignal | undefined,
): Promise<{ sha256: string; bytes: number }> {
  const hash = createHash('sha256');
  let bytes = 0;
  const tap = new PassThrough();
  tap.on('data', (chunk: Buffer) => {
    hash.update(chunk);
    bytes += chunk.length;
  });
  await withDefaultsFile(ctx.settings, async (defaultsFile) => {
    const { child, stderr, exited } = spawnClient(ctx, database, defaultsFile);
    const onAbort = () => child.kill('SIGKILL');
    signal?.addEventListener('abort', onAbort, { once: true });
    // The object stopped coming (S3 failed, a timeout): stop the client too, so it does not take a cut dump for
    // the end of one. A client that failed on its own is reported with its own error.
    let cut = false;
    const piping = pipeline(body, tap, createGunzip(), child.stdin).catch((error: Error) => {
      if (child.exitCode === null && child.signalCode === null) {
        cut = true;
        child.kill('SIGKILL');
      }
      throw error;
    });
    try {
      const [piped, ended] = await Promise.allSettled([piping, exited]);
      if (ended.status === 'rejected' && !cut) throw ended.reason;
      if (piped.status === 'rejected') {
        const error = piped.reason as Error;
        const why = error.name === 'TimeoutError' ? describeS3Error(error) : error.message;
        throw new DumpFailedError(
          `restore stream failed after ${bytes} bytes: ${why}; ${database} may be partially restored (re-run with --force)`,
          stderr.toString(),
          { cause: error },
        );
      }
    } finally {
      signal?.removeEventListener('abort', onAbort);
    }
  });
  return { sha256: hash.digest('hex'), bytes };
}

/**
 * The manifest of `key`. Without one, tells a dump that exists without its manifest (refused: incomplete or not
 * ours) from a key with nothing under it (not found, with the newest backups it could have meant).
 */
async function manifestOf(ctx: BackupContext, key: string, signal?: AbortSignal): Promise<BackupManifest> {
  const manifest = await getManifest(ctx, key, signal);
  if (manifest) return manifest;
  if (await objectExists(ctx, key, signal))
    throw new IntegrityError(
      `backup ${key} has no manifest (incomplete or not ours); refusing to restore it`,
    );
  throw new NotFoundError(await noSuchBackup(ctx, key, signal));
}

/**
 * "No backup under that key", and the keys it could have meant: the newest backups of the key's database, or when
 * it has none, the newest under the prefix.
 */
async function noSuchBackup(ctx: BackupContext, key: string, signal?: AbortSignal): Promise<string> {
  const database = parseBackupKey(ctx.prefix, key)?.database;
  const where = `s3://${ctx.bucket}/${ctx.prefix}`;
  const sameDatabase = await listBackups(ctx, { database, signal });
  const candidates = sameDatabase.length > 0 ? sameDatabase : await listBackups(ctx, { signal });
  const lines = [`no backup under that key: s3://${ctx.bucket}/${key}`];
  if (candidates.length === 0) lines.push(`there are no backups under ${where} at all`);
  else {
    const of = sameDatabase.length > 0 ? `of ${database}` : `under ${where} (none of ${database})`;
    lines.push(`the newest backups ${of}:`);
    for (const backup of candidates.slice(0, SUGGESTIONS))
      lines.push(`  ${backup.key}${backup.complete ? '' : '  (no manifest: incomplete)'}`);
  }
  lines.push('npm run backup -- --list shows them all');
  return lines.join('\n');
}

/**
 * Restores `key` into `database`.
 *
 * @example await restoreBackup(await defaultBackupContext(), { key, database: 'fm_restored' })
 */
export async function restoreBackup(ctx: BackupContext, options: RestoreOptions): Promise<RestoreResult> {
  const { key, database, force = false } = options;
  assertRestoreRequest(ctx, options);
  const log = logger.createChild({
    persistentKeys: { backupKey: key, bucket: ctx.bucket, target: database },
  });
  const started = performance.now();

  const manifest = await manifestOf(ctx, key, options.signal);
  const client = await detectTool(ctx.mysqlPath, 'MYSQL_CLIENT_PATH');

  log.info('restore: checking the object against its manifest', { bytes: manifest.bytes });
  const { etag } = await checkIntegrity(ctx, key, manifest, options.signal);
  await prepareTarget(ctx, database, force, log);

  log.info('restore: applying', { client: client.binary, flavour: client.flavour });
  const { body } = await openObject(ctx, key, { ifMatch: etag, signal: options.signal });
  const { sha256, bytes } = await applyDump(ctx, body, database, options.signal);
  if (sha256 !== manifest.sha256)
    throw new IntegrityError(
      `backup ${key} changed while it was being restored; ${database} must not be trusted`,
    );
  const durationMs = Math.round(performance.now() - started);
  log.info('restore completed', { bytes, sha256, durationMs });
  return { key, database, bytes, sha256, durationMs, manifest };
}
