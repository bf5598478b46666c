/**
 * ops-check against the file's own MariaDB: what it publishes after a real backup (to the test S3 server) and a
 * real scan, after old ones, and when there was none — read back from the EMF line it prints, as CloudWatch would.
 */
import { readFile } from 'node:fs/promises';
import type { Context } from 'aws-lambda';
import type { Connection } from 'mysql2/promise';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { z } from 'zod';
import { handler } from '../../functions/ops-check.js';
import { runBackupJob } from '../../lib/backup/job.js';
import { recordBackupFinished, recordBackupStarted, recordVerification } from '../../lib/backup/runs.js';
import { getConfig } from '../../lib/config.js';
import { execute } from '../../lib/db/pool.js';
import { ValidationError } from '../../lib/errors.js';
import { METRICS_SERVICE, NEVER_MINUTES, OPS_METRICS, type OpsCheckResult } from '../../lib/ops/check.js';
import { finishRun, recordSkippedRun, startRun } from '../../lib/scan/runs.js';
import { runScan } from '../../lib/scan/scan.js';
import { connectFileDatabase, createBucket } from './backup-fixture.js';

const context = { awsRequestId: 'test-request', functionName: 'ops-check' } as Context;
const scheduled = JSON.parse(
  await readFile(new URL('../events/eventbridge-scheduled-ops-check.json', import.meta.url), 'utf8'),
) as unknown;

/**
 * The Embedded Metric Format's structure (CloudWatch's specification): a root `_aws` with a millisecond Timestamp
 * and metric directives naming a namespace, dimension sets and metrics, each dimension and metric a root member.
 */
const emfSchema = z.looseObject({
  _aws: z.strictObject({
    Timestamp: z.number().int().positive(),
    CloudWatchMetrics: z
      .array(
        z.strictObject({
          Namespace: z.string().min(1).max(255),
          Dimensions: z.array(z.array(z.string().min(1)).max(30)),
          Metrics: z
            .array(
              z.looseObject({
                Name: z.string().min(1).max(255),
                Unit: z.string().optional(),
                StorageResolution: z.union([z.literal(1), z.literal(60)]).optional(),
              }),
            )
            .min(1)
            .max(100),
        }),
      )
      .min(1),
  }),
});

interface Published {
  namespace: string;
  dimensions: Record<string, unknown>;
  values: Record<string, unknown>;
  timestamp: number;
}

/** Runs the handler, capturing stdout (where Lambda's log lines go), and returns its result and its EMF document. */
async function invokeAndRead(
  event: unknown = scheduled,
): Promise<{ result: OpsCheckResult; emf: Published }> {
  const lines: string[] = [];
  const spy = vi.spyOn(process.stdout, 'write').mockImplementation((chunk) => {
    lines.push(...String(chunk).split('\n'));
    return true;
  });
  let result: OpsCheckResult;
  try {
    result = (await handler(event, context)) as OpsCheckResult;
  } finally {
    spy.mockRestore();
  }
  const documents = lines
    .filter((line) => line.trim().startsWith('{'))
    .map((line) => JSON.parse(line) as Record<string, unknown>)
    .filter((doc) => '_aws' in doc);
  expect(documents).toHaveLength(1);
  const doc = emfSchema.parse(documents[0]);
  const [directive] = doc._aws.CloudWatchMetrics;
  if (!directive) throw new Error('no metric directive');
  // Every dimension and every metric the directive names is a member of the document, as EMF requires.
  for (const name of directive.Dimensions.flat()) expect(doc, `dimension ${name}`).toHaveProperty([name]);
  for (const { Name } of directive.Metrics) expect(typeof doc[Name], `metric ${Name}`).toBe('number');
  expect(directive.Dimensions).toEqual([['service', 'Stage']]);
  return {
    result,
    emf: {
      namespace: directive.Namespace,
      dimensions: Object.fromEntries(directive.Dimensions.flat().map((d) => [d, doc[d]])),
      values: Object.fromEntries(directive.Metrics.map((m) => [m.Name, doc[m.Name]])),
      timestamp: doc._aws.Timestamp,
    },
  };
}

let conn: Connection;
let bucket: string;

beforeAll(async () => {
  conn = await connectFileDatabase();
  bucket = await createBucket('ops');
});

afterAll(async () => {
  await conn.end();
});

afterEach(() => {
  vi.restoreAllMocks();
});

const hoursAgo = (hours: number) => new Date(Date.now() - hours * 3_600_000);

describe('ops-check', () => {
  it('rejects a payload: it takes none, and the invocation fails', async () => {
    await expect(handler({ mode: 'full' }, context)).rejects.toThrow(ValidationError);
  });

  it('publishes the "never" value for a database that was never backed up nor scanned, as valid EMF', async () => {
    const { result, emf } = await invokeAndRead();
    expect(result).toEqual({
      backup: { lastSucceededAt: null, minutesSince: NEVER_MINUTES },
      scan: { lastCompletedAt: null, minutesSince: NEVER_MINUTES },
    });
    expect(emf.namespace).toBe(getConfig().OPS_METRICS_NAMESPACE);
    expect(emf.dimensions).toEqual({ service: METRICS_SERVICE, Stage: getConfig().STAGE });
    expect(emf.values).toEqual({
      [OPS_METRICS.backupAge]: NEVER_MINUTES,
      [OPS_METRICS.scanAge]: NEVER_MINUTES,
    });
    expect(Math.abs(emf.timestamp - Date.now())).toBeLessThan(60_000);
  });

  it('does not count a failed or unfinished backup, a restore-test row, or a skipped or failed scan', async () => {
    const failed = await recordBackupStarted(conn, {
      key: 'backups/failed.sql.gz',
      bucket,
      database: 'x',
      trigger: 'schedule',
      startedAt: hoursAgo(1),
    });
    await recordBackupFinished(conn, failed, {
      status: 'failed',
      finishedAt: hoursAgo(1),
      durationMs: 10,
      error: 'mysqldump: exit 2',
    });
    await recordBackupStarted(conn, {
      key: 'backups/running.sql.gz',
      bucket,
      database: 'x',
      trigger: 'manual',
      startedAt: new Date(),
    });
    // A restore test of a copy this database did not take (restored from elsewhere): no backup of this database.
    await recordVerification(conn, {
      key: 'backups/elsewhere.sql.gz',
      bucket,
      database: 'x',
      takenAt: hoursAgo(0.5),
      bytes: 1,
      sha256: '0'.repeat(64),
      serverVersion: 'test',
      verifiedAt: new Date(),
      status: 'passed',
      details: {},
    });
    await recordSkippedRun('incremental', 'another scan');
    await finishRun(await startRun('incremental', {}, null), 'failed', 'boom');

    const { emf } = await invokeAndRead();
    expect(emf.values).toEqual({
      [OPS_METRICS.backupAge]: NEVER_MINUTES,
      [OPS_METRICS.scanAge]: NEVER_MINUTES,
    });
  });

  it('publishes the age of an old backup and scan: over 26 h and 1 h, what the alarms fire on', async () => {
    const old = await recordBackupStarted(conn, {
      key: 'backups/old.sql.gz',
      bucket,
      database: 'x',
      trigger: 'schedule',
      startedAt: hoursAgo(27.25),
    });
    await recordBackupFinished(conn, old, {
      status: 'succeeded',
      finishedAt: hoursAgo(27),
      durationMs: 900_000,
      bytes: 1,
      dumpBytes: 1,
      sha256: '0'.repeat(64),
      serverVersion: 'test',
      details: {},
    });
    const scan = await runScan({ mode: 'incremental' });
    expect(scan.status).toBe('succeeded');
    // Back two hours on the clock scan_runs is written with (the database's).
    await execute(
      `UPDATE scan_runs SET started_at = NOW(3) - INTERVAL 121 MINUTE, finished_at = NOW(3) - INTERVAL 120 MINUTE
        WHERE status = 'succeeded'`,
    );

    const { result, emf } = await invokeAndRead();
    expect(emf.values[OPS_METRICS.backupAge]).toBeGreaterThanOrEqual(27 * 60);
    expect(emf.values[OPS_METRICS.backupAge]).toBeLessThanOrEqual(27 * 60 + 1);
    expect(emf.values[OPS_METRICS.backupAge]).toBeGreaterThan(26 * 60);
    expect(emf.values[OPS_METRICS.scanAge]).toBeGreaterThanOrEqual(120);
    expect(emf.values[OPS_METRICS.scanAge]).toBeLessThanOrEqual(121);
    expect(result.backup.lastSucceededAt).toMatch(/^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d/);
    expect(result.scan.lastCompletedAt).toMatch(/^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d/);
  });

  it('publishes minutes since a fresh backup and scan, near zero', async () => {
    const backup = await runBackupJob(
      { action: 'backup', prune: false },
      { remainingMs: 900_000, context: { bucket } },
    );
    expect(backup).toMatchObject({ action: 'backup' });
    const scan = await runScan({ mode: 'incremental' });
    expect(scan.status).toBe('succeeded');

    const { result, emf } = await invokeAndRead();
    expect(emf.values[OPS_METRICS.backupAge]).toBeLessThanOrEqual(1);
    expect(emf.values[OPS_METRICS.scanAge]).toBeLessThanOrEqual(1);
    expect(result.backup.minutesSince).toBe(emf.values[OPS_METRICS.backupAge]);
    expect(result.scan.minutesSince).toBe(emf.values[OPS_METRICS.scanAge]);
  });

  it('counts a scan that stopped at its deadline (partial) as completed: the next run goes on', async () => {
    const stopped = await startRun('incremental', {}, 1);
    await finishRun(
      stopped,
      'partial',
      'stopped at the deadline: transactions up to id 20000 of 90000 scanned',
    );
    await execute("UPDATE scan_runs SET finished_at = NOW(3) - INTERVAL 10 MINUTE WHERE status = 'partial'");

    const { result, emf } = await invokeAndRead();
    expect(emf.values[OPS_METRICS.scanAge]).toBeGreaterThanOrEqual(10);
    expect(emf.values[OPS_METRICS.scanAge]).toBeLessThanOrEqual(11);
    expect(result.scan.lastCompletedAt).not.toBeNull();
  });

  it('fails the invocation, publishing nothing, when the database cannot be read', async () => {
    await execute('RENAME TABLE scan_runs TO scan_runs_away');
    try {
      const lines: string[] = [];
      vi.spyOn(process.stdout, 'write').mockImplementation((chunk) => {
        lines.push(String(chunk));
        return true;
      });
      await expect(handler(scheduled, context)).rejects.toThrow(
        /is not migrated: table scan_runs is missing; run npm run migrate$/,
      );
      expect(lines.filter((l) => l.includes('"_aws"'))).toEqual([]);
    } finally {
      vi.restoreAllMocks();
      await execute('RENAME TABLE scan_runs_away TO scan_runs');
    }
  });
});
