import { execFile, execFileSync, spawn } from 'node:child_process';
import { chmod, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Connection, RowDataPacket } from 'mysql2/promise';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { defaultBackupContext } from '../../lib/backup/context.js';
import { manifestKeyOf } from '../../lib/backup/keys.js';
import { restoreBackup } from '../../lib/backup/restore.js';
import { resolveDbSettings } from '../../lib/db/settings.js';
import {
  blankDatabase,
  checksums,
  connectFileDatabase,
  createBucket,
  listKeys,
  seedBank,
} from './backup-fixture.js';

// The Fargate task's entrypoint (scripts/backup-task.ts) as the container runs it: a plain process, its environment
// its only configuration, against the real database and S3 server.
const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
let conn: Connection;
let bucket: string;
const cleanups: Array<() => Promise<void>> = [];

interface TaskResult {
  code: number;
  /** The JSON log lines, parsed. */
  logs: Array<Record<string, unknown>>;
}

async function runTask(args: string[], env: Record<string, string> = {}): Promise<TaskResult> {
  const { code, stdout, stderr } = await new Promise<{ code: number; stdout: string; stderr: string }>(
    (resolve) => {
      execFile(
        path.join(root, 'node_modules/.bin/tsx'),
        ['scripts/backup-task.ts', ...args],
        {
          cwd: root,
          timeout: 120_000,
          env: { ...process.env, POWERTOOLS_LOG_LEVEL: 'INFO', BACKUP_BUCKET: bucket, ...env },
        },
        (error, stdout, stderr) =>
          resolve({ code: error ? Number((error as { code?: number }).code ?? 1) : 0, stdout, stderr }),
      );
    },
  );
  const lines = `${stdout}\n${stderr}`.split('\n').filter((l) => l.trim());
  // Every line the task writes is JSON: what CloudWatch Logs Insights reads.
  return { code, logs: lines.map((l) => JSON.parse(l) as Record<string, unknown>) };
}

async function backupRuns(): Promise<RowDataPacket[]> {
  const [rows] = await conn.query<RowDataPacket[]>(
    'SELECT object_key, bucket, trigger_source, status, error FROM backup_runs ORDER BY id',
  );
  return rows;
}

beforeAll(async () => {
  conn = await connectFileDatabase();
  await seedBank(conn, { transactions: 200 });
  bucket = await createBucket('task');
});

afterAll(async () => {
  for (const cleanup of cleanups) await cleanup().catch(() => undefined);
  await conn?.end();
});

describe('backup task entrypoint (the Fargate container)', () => {
  it('backs up on a scheduled run: the dump and its manifest in S3, a backup_runs row, a dump that restores', async () => {
    const result = await runTask(['--trigger', 'schedule']);
    expect(result.code).toBe(0);
    const finished = result.logs.find((l) => l.message === 'job finished') as {
      result: { action: string; key: string; pruned: string[] };
    };
    expect(finished.result).toMatchObject({ action: 'backup', pruned: [] });
    const { key } = finished.result;
    expect(await listKeys(bucket)).toEqual([key, manifestKeyOf(key)]);
    expect(await backupRuns()).toEqual([
      expect.objectContaining({ object_key: key, bucket, trigger_source: 'schedule', status: 'succeeded' }),
    ]);

    const target = await blankDatabase('task_restore');
    cleanups.push(target.drop);
    await target.drop(); // the restore creates it
    const ctx = await defaultBackupContext({ bucket, settings: await resolveDbSettings() });
    await restoreBackup(ctx, { key, database: target.name });
    const source = await checksums(conn, ctx.settings.database);
    const restored = await checksums(conn, target.name);
    const { backup_runs: _a, ...sourceData } = source;
    const { backup_runs: _b, ...restoredData } = restored;
    expect(restoredData).toEqual(sourceData);
  });

  it('verifies the newest backup with --action verify', async () => {
    const result = await runTask(['--action', 'verify']);
    expect(result.code).toBe(0);
    expect(result.logs.find((l) => l.message === 'job finished')).toMatchObject({
      result: { action: 'verify', status: 'passed' },
    });
  });

  it('refuses a bad environment before opening anything: exit 78, the variable named, nothing written', async () => {
    const runsBefore = await backupRuns();
    const keysBefore = await listKeys(bucket);
    const result = await runTask([], { BACKUP_PREFIX: '../elsewhere', BACKUP_RETENTION_DAYS: 'a week' });
    expect(result.code).toBe(78);
    expect(result.logs).toEqual([
      expect.objectContaining({
        level: 'ERROR',
        message: 'backup task: invalid environment',
        problems: [
          expect.stringMatching(/^BACKUP_PREFIX expects a key prefix/),
          expect.stringMatching(/^BACKUP_RETENTION_DAYS expects a whole number/),
        ],
      }),
    ]);
    expect(await backupRuns()).toEqual(runsBefore);
    expect(await listKeys(bucket)).toEqual(keysBefore);
  });

  it('refuses unknown arguments with exit 64 and writes nothing', async () => {
    const runsBefore = await backupRuns();
    const result = await runTask(['--action', 'drop-everything']);
    expect(result.code).toBe(64);
    expect(result.logs).toEqual([
      expect.objectContaining({ problem: '--action expects backup, verify or prune' }),
    ]);
    expect(await backupRuns()).toEqual(runsBefore);
  });

  it('stops on SIGTERM (ECS stopping the task): exit 143, the upload aborted, the run recorded as failed', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'fm-task-wrapper-'));
    cleanups.push(() => rm(dir, { recursive: true, force: true }));
    // mysqldump that writes its dump and then never exits: the backup is mid-upload when the signal comes.
    const real = execFileSync('sh', ['-c', 'command -v mysqldump']).toString().trim();
    const stuck = path.join(dir, 'stuck-mysqldump.sh');
    await writeFile(
      stuck,
      `#!/bin/sh\nif [ "$1" = --version ]; then exec ${real} --version; fi\n${real} "$@"\nexec sleep 60\n`,
    );
    await chmod(stuck, 0o755);
    const keysBefore = await listKeys(bucket);
    // One process, as in the container (node runs the TypeScript through tsx's loader): the signal reaches the job.
    const child = spawn(process.execPath, ['--import', 'tsx', 'scripts/backup-task.ts'], {
      cwd: root,
      env: { ...process.env, POWERTOOLS_LOG_LEVEL: 'INFO', BACKUP_BUCKET: bucket, MYSQLDUMP_PATH: stuck },
    });
    let output = '';
    let signalled = false;
    const read = (chunk: Buffer) => {
      output += chunk.toString();
      if (!signalled && output.includes('"backup started"')) {
        signalled = true;
        setTimeout(() => child.kill('SIGTERM'), 1000);
      }
    };
    child.stdout.on('data', read);
    child.stderr.on('data', read);
    const started = Date.now();
    const code = await new Promise<number | null>((resolve) => child.once('exit', (c) => resolve(c)));
    expect(code).toBe(143);
    expect(Date.now() - started).toBeLessThan(30_000);
    expect(output).toContain('stopped by SIGTERM');
    expect(await listKeys(bucket)).toEqual(keysBefore);
    expect((await backupRuns()).at(-1)).toMatchObject({ status: 'failed' });
  });

  it('fails with exit 1 when the bucket is not there: the run recorded as failed, no object, nothing pruned', async () => {
    const missing = `fm-task-missing-${Date.now()}`;
    const result = await runTask([], { BACKUP_BUCKET: missing });
    expect(result.code).toBe(1);
    const failed = result.logs.find((l) => l.message === 'job failed');
    expect(JSON.stringify(failed)).toContain(missing);
    expect((await backupRuns()).at(-1)).toMatchObject({ bucket: missing, status: 'failed' });
    expect(await listKeys(bucket)).toHaveLength(2); // the first test's backup, untouched
  });
});
