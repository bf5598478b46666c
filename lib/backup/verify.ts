/**
 * The restore test behind `npm run backup -- --verify`: restores the newest good backup into a scratch database,
 * compares its row counts, CHECKSUM TABLE values and object inventory with what the backup recorded about the
 * source, records the outcome in backup_runs (the dashboard's "last verified" figure) and drops the scratch copy.
 */
import { randomBytes } from 'node:crypto';
import { NotFoundError } from '../errors.js';
import { logger } from '../log.js';
import { type BackupContext, openConnection } from './context.js';
import { compareStats, objectInventory, type StatsDifference, tableStats } from './database-stats.js';
import { VerifyFailedError } from './errors.js';
import { parseBackupKey } from './keys.js';
import { restoreBackup } from './restore.js';
import { recordVerification } from './runs.js';
import { newestGoodBackup } from './store.js';

export interface VerifyResult {
  key: string;
  status: 'passed' | 'failed';
  scratchDatabase: string;
  tables: number;
  rows: number;
  differences: StatsDifference[];
  durationMs: number;
}

type Manifest = Awaited<ReturnType<typeof restoreBackup>>['manifest'];

interface Comparison {
  differences: StatsDifference[];
  manifest?: Manifest;
  error?: Error;
}

/** Restores `key` into `scratch` and compares the copy with the backup's record; the scratch copy is then dropped. */
async function restoreAndCompare(
  ctx: BackupContext,
  key: string,
  scratch: string,
  signal: AbortSignal | undefined,
  log: typeof logger,
): Promise<Comparison> {
  const comparison: Comparison = { differences: [] };
  try {
    const restored = await restoreBackup(ctx, { key, database: scratch, signal });
    comparison.manifest = restored.manifest;
    const conn = await openConnection(ctx.settings, scratch);
    try {
      const actual = {
        tables: await tableStats(conn, scratch),
        objects: await objectInventory(conn, scratch),
      };
      comparison.differences = compareStats(restored.manifest, actual);
    } finally {
      await conn.end().catch(() => undefined);
    }
  } catch (caught) {
    comparison.error = caught as Error;
  } finally {
    const server = await openConnection(ctx.settings, undefined).catch(() => undefined);
    await server
      ?.query(`DROP DATABASE IF EXISTS \`${scratch}\``)
      .catch((dropError: Error) => log.warn('could not drop the scratch database', { error: dropError }));
    await server?.end().catch(() => undefined);
  }
  return comparison;
}

/** The outcome in backup_runs (the dashboard's "last verified"); skipped when the database does not answer. */
async function recordOutcome(
  ctx: BackupContext,
  result: VerifyResult,
  { manifest, error, differences }: Comparison,
): Promise<void> {
  const bookkeeping = await openConnection(ctx.settings).catch(() => undefined);
  if (!bookkeeping) return;
  await recordVerification(bookkeeping, {
    key: result.key,
    bucket: ctx.bucket,
    database: ctx.settings.database,
    takenAt: parseBackupKey(ctx.prefix, result.key)?.takenAt ?? new Date(manifest?.startedAt ?? Date.now()),
    bytes: manifest?.bytes ?? 0,
    sha256: manifest?.sha256 ?? '',
    serverVersion: manifest?.server.version ?? '',
    verifiedAt: ctx.now(),
    status: result.status,
    details: { tables: result.tables, rows: result.rows, differences, durationMs: result.durationMs },
    error: error?.message ?? (differences.length ? `${differences.length} difference(s)` : undefined),
  });
  await bookkeeping.end().catch(() => undefined);
}

function differencesError(key: string, differences: StatsDifference[]): VerifyFailedError {
  return new VerifyFailedError(
    `the restored copy of ${key} differs from the source's record: ${differences
      .slice(0, 5)
      .map((d) => `${d.what} expected ${JSON.stringify(d.expected)} got ${JSON.stringify(d.actual)}`)
      .join('; ')}`,
  );
}

/** Restores and checks the newest good backup (or `key`); throws VerifyFailedError after recording a failure. */
export async function verifyBackup(
  ctx: BackupContext,
  { key: requestedKey, signal }: { key?: string; signal?: AbortSignal } = {},
): Promise<VerifyResult> {
  const database = ctx.settings.database;
  const key = requestedKey ?? (await newestGoodBackup(ctx, database));
  if (!key)
    throw new NotFoundError(`no complete backup of ${database} under s3://${ctx.bucket}/${ctx.prefix}`);
  const scratch = `${database.slice(0, 40)}_verify_${randomBytes(4).toString('hex')}`;
  const log = logger.createChild({ persistentKeys: { backupKey: key, scratchDatabase: scratch } });
  const started = performance.now();
  log.info('verify started');

  const comparison = await restoreAndCompare(ctx, key, scratch, signal, log);
  // No backup under that key: nothing was tested, so nothing is recorded against it.
  if (comparison.error instanceof NotFoundError) throw comparison.error;
  const { differences, manifest, error } = comparison;
  const status = !error && differences.length === 0 ? 'passed' : 'failed';
  const durationMs = Math.round(performance.now() - started);
  const result: VerifyResult = {
    key,
    status,
    scratchDatabase: scratch,
    tables: manifest?.tables.length ?? 0,
    rows: manifest?.tables.reduce((sum, t) => sum + t.rows, 0) ?? 0,
    differences,
    durationMs,
  };
  await recordOutcome(ctx, result, comparison);

  if (status === 'passed') {
    log.info('verify passed', { tables: result.tables, rows: result.rows, durationMs });
    return result;
  }
  log.error('verify failed', { error, differences, durationMs });
  throw error ?? differencesError(key, differences);
}
