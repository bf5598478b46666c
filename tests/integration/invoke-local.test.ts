/**
 * `serverless invoke local --stage local --function <f>` as a user runs it, in a child process against this file's
 * database and the test S3 server: each invocation must print its result and exit on its own, within a bound (the
 * module-scope pool used to keep the CLI waiting for good after the result). Each run bundles its function first.
 */
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { rm } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createTestDatabase } from '../helpers/database.js';
import { createBucket, listKeys } from './backup-fixture.js';

const root = fileURLToPath(new URL('../..', import.meta.url));
/** Bundling plus the work; a CLI still running after this is a hang, and is killed. */
const EXIT_WITHIN_MS = 60_000;
/** Its own esbuild folder, so parallel runs of the suite (or `npm start`) never bundle into the same one. */
const workFolder = `.esbuild-invoke-local-${randomBytes(4).toString('hex')}`;

interface Invocation {
  code: number | null;
  ms: number;
  timedOut: boolean;
  stdout: string;
  stderr: string;
}

function invokeLocal(fn: string, args: string[] = [], env: Record<string, string> = {}): Promise<Invocation> {
  const started = performance.now();
  const child = spawn(
    `${root}node_modules/.bin/serverless`,
    ['invoke', 'local', '--stage', 'local', '--function', fn, ...args],
    {
      cwd: root,
      env: { ...process.env, ESBUILD_WORK_FOLDER: workFolder, LOG_LEVEL: 'WARN', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true, // its own process group, so a hung CLI is killed with everything it started
    },
  );
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => {
    stdout += chunk.toString();
  });
  child.stderr.on('data', (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    if (child.pid) process.kill(-child.pid, 'SIGKILL');
  }, EXIT_WITHIN_MS);
  return new Promise((resolve, reject) => {
    child.once('error', reject);
    child.once('close', (code) => {
      clearTimeout(timer);
      resolve({ code, ms: performance.now() - started, timedOut, stdout, stderr });
    });
  });
}

/** The result the CLI prints last: a JSON document indented by 4, after any one-line JSON log lines. */
function resultOf(run: Invocation): Record<string, unknown> {
  const lines = run.stdout.trimEnd().split('\n');
  const start = lines.lastIndexOf('{');
  if (start < 0) throw new Error(`no result printed:\n${run.stdout}\n${run.stderr}`);
  return JSON.parse(lines.slice(start).join('\n'));
}

/** Exited by itself, within the bound, with status 0 — or the assertion shows everything the CLI printed. */
function expectCleanExit(run: Invocation): void {
  const story = `exit ${run.code} after ${Math.round(run.ms)} ms${run.timedOut ? ' (killed: still running)' : ''}\n${run.stdout}\n${run.stderr}`;
  expect(run.timedOut, story).toBe(false);
  expect(run.code, story).toBe(0);
}

let bucket: string;

beforeAll(async () => {
  bucket = await createBucket('invoke-local');
});

afterAll(async () => {
  await rm(path.join(root, workFolder), { recursive: true, force: true });
});

describe('serverless invoke local', () => {
  it('seed-data seeds a tiny bank, prints its summary and exits', { timeout: 90_000 }, async () => {
    const data = { clients: 20, transactions: 400, to: '2026-01-01', seed: 7 };
    const run = await invokeLocal('seed-data', ['--data', JSON.stringify(data)]);
    expectCleanExit(run);
    expect(resultOf(run)).toMatchObject({
      status: 'seeded',
      rows: { clients: 20, transactions: 400 },
    });
  });

  it('scan-anomalies, run without --data, scans that bank, prints its summary and exits', {
    timeout: 90_000,
  }, async () => {
    const run = await invokeLocal('scan-anomalies');
    expectCleanExit(run);
    const summary = resultOf(run);
    expect(summary).toMatchObject({ status: 'succeeded', mode: 'incremental', transactionsScanned: 400 });
    expect((summary.alerts as { created: number }).created).toBeGreaterThan(0);
  });

  it('backup-database dumps the database to the bucket, prints the key and exits', {
    timeout: 90_000,
  }, async () => {
    const run = await invokeLocal('backup-database', ['--data', '{"action":"backup"}'], {
      BACKUP_BUCKET: bucket,
    });
    expectCleanExit(run);
    const result = resultOf(run);
    expect(result).toMatchObject({ action: 'backup', key: expect.stringMatching(/^backups\/.+\.sql\.gz$/) });
    expect(await listKeys(bucket, 'backups/')).toContain(result.key);
  });

  it('ops-check, run without --data, prints the minutes since that scan and backup and exits', {
    timeout: 90_000,
  }, async () => {
    const run = await invokeLocal('ops-check');
    expectCleanExit(run);
    const result = resultOf(run) as { backup: { minutesSince: number }; scan: { minutesSince: number } };
    // Minutes, floored: under a minute on an idle machine, a few when it is loaded; "never" is 999 999.
    expect(result.backup.minutesSince).toBeLessThanOrEqual(3);
    expect(result.scan.minutesSince).toBeLessThanOrEqual(3);
  });

  it('health, an HTTP route, answers 200 and exits', { timeout: 90_000 }, async () => {
    const run = await invokeLocal('health', ['--path', 'tests/events/http-get-health.json'], {
      BACKUP_BUCKET: bucket,
    });
    expectCleanExit(run);
    expect(resultOf(run)).toMatchObject({ statusCode: 200 });
  });

  it('scan-anomalies failing on a database never migrated prints the error and exits 1', {
    timeout: 90_000,
  }, async () => {
    const blank = await createTestDatabase(inject('mysqlUrl'), { label: 'invokelocal', migrated: false });
    try {
      const run = await invokeLocal('scan-anomalies', [], { MYSQL_URL: blank.url });
      expect(run.timedOut, run.stdout).toBe(false);
      expect(run.code, run.stdout).toBe(1);
      expect(resultOf(run)).toMatchObject({
        errorMessage: expect.stringMatching(
          new RegExp(
            `^database ${blank.name} on \\S+ is not migrated: table scan_\\w+ is missing; run npm run migrate$`,
          ),
        ),
      });
    } finally {
      await blank.drop();
    }
  });
});
