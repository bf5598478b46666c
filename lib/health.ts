/**
 * Reachability of the system's dependencies, for GET /health and `npm start`'s banner.
 */
import { HeadBucketCommand } from '@aws-sdk/client-s3';
import { getConfig } from './config.js';
import { withBoundedWaits } from './db/bounded-waits.js';
import { query } from './db/pool.js';
import { getS3 } from './s3/client.js';

export interface DependencyStatus {
  ok: boolean;
  latencyMs: number;
  /** A short, safe description of the failure (an error code, never a stack or a connection string). */
  error?: string;
}

export interface HealthReport {
  status: 'ok' | 'degraded';
  db: DependencyStatus & { version?: string; schemaVersion?: string };
  s3: DependencyStatus & { bucket: string };
}

function errorCode(error: unknown): string {
  const e = error as {
    code?: string;
    name?: string;
    $metadata?: { httpStatusCode?: number };
    cause?: { code?: unknown };
  };
  if (e.$metadata?.httpStatusCode) return `${e.name ?? 'S3Error'} (HTTP ${e.$metadata.httpStatusCode})`;
  // A DependencyError's own code says only that; the driver's (its cause) says what happened.
  if (typeof e.cause?.code === 'string') return e.cause.code;
  return e.code ?? e.name ?? 'error';
}

async function timed<T>(
  probe: () => Promise<T>,
  timeoutMs: number,
): Promise<{ value?: T; status: DependencyStatus }> {
  const started = performance.now();
  let timer: NodeJS.Timeout | undefined;
  try {
    const value = await Promise.race([
      probe(),
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(Object.assign(new Error('timeout'), { code: 'TIMEOUT' })), timeoutMs);
      }),
    ]);
    return { value, status: { ok: true, latencyMs: Math.round(performance.now() - started) } };
  } catch (error) {
    return {
      status: { ok: false, latencyMs: Math.round(performance.now() - started), error: errorCode(error) },
    };
  } finally {
    clearTimeout(timer);
  }
}

/** Probes the DB and the backup bucket concurrently, each with its own time limit. */
export async function checkHealth({ timeoutMs = 3_000 }: { timeoutMs?: number } = {}): Promise<HealthReport> {
  const { BACKUP_BUCKET } = getConfig();
  const [db, s3] = await Promise.all([
    // The database's own limits end the probe first (about MYSQL_CONNECT_TIMEOUT_MS + MYSQL_QUERY_TIMEOUT_MS at
    // most), also where no request bounds them (npm start's banner), and discard a connection that froze.
    timed(async () => {
      const [row] = await withBoundedWaits(() =>
        query<{ version: string; schema: string | null }>(
          'SELECT VERSION() AS version, (SELECT MAX(name) FROM schema_migrations) AS `schema`',
        ),
      );
      return row;
    }, timeoutMs),
    timed(() => getS3().send(new HeadBucketCommand({ Bucket: BACKUP_BUCKET })), timeoutMs),
  ]);
  return {
    status: db.status.ok && s3.status.ok ? 'ok' : 'degraded',
    db: {
      ...db.status,
      ...(db.value ? { version: db.value.version, schemaVersion: db.value.schema ?? undefined } : {}),
    },
    s3: { ...s3.status, bucket: BACKUP_BUCKET },
  };
}
