/**
 * S3 failing the way networks do, under a real backup and restore: the fault proxy (tests/helpers/fault-proxy.ts)
 * sits between them and the test S3 server, and refuses, black-holes or freezes. Each failure must come within the
 * configured bounds with a message that says what happened, leave a failed backup_runs row for the dashboard, and
 * delete nothing: once the proxy passes again, the earlier backups are all there and the next backup works.
 *
 * The S3 client here gives up quickly (S3_CONNECT_TIMEOUT_MS 500, S3_REQUEST_TIMEOUT_MS 1000, S3_MAX_ATTEMPTS 2)
 * so the file runs in seconds; the bounds asserted are those settings plus a margin for a loaded machine.
 */
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { connect, createServer, type Socket } from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import type { S3Client } from '@aws-sdk/client-s3';
import type { Connection, RowDataPacket } from 'mysql2/promise';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { runBackup } from '../../lib/backup/backup.js';
import type { BackupContext } from '../../lib/backup/context.js';
import { DumpFailedError } from '../../lib/backup/errors.js';
import { backupKey } from '../../lib/backup/keys.js';
import { restoreBackup } from '../../lib/backup/restore.js';
import { getConfig } from '../../lib/config.js';
import { DependencyError } from '../../lib/errors.js';
import { createS3Client } from '../../lib/s3/client.js';
import { type FaultProxy, startFaultProxy } from '../helpers/fault-proxy.js';
import {
  addBulk,
  connectFileDatabase,
  createBucket,
  listKeys,
  readObject,
  seedBank,
  testContext,
} from './backup-fixture.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const S3_LIMITS = { S3_CONNECT_TIMEOUT_MS: 500, S3_REQUEST_TIMEOUT_MS: 1_000, S3_MAX_ATTEMPTS: 2 };
/** The longest one S3 call may take here: every attempt timed out, plus the retry's backoff. */
const S3_CALL_MS = S3_LIMITS.S3_MAX_ATTEMPTS * (S3_LIMITS.S3_REQUEST_TIMEOUT_MS + 500);
const CLEANUP_MS = 1_000;
/** What a loaded CI machine may add to any bound. */
const MARGIN_MS = 5_000;

let conn: Connection;
let proxy: FaultProxy;
let s3: S3Client;
let ctx: BackupContext;
let older: { key: string; sha256: string };
/** The S3 commands sent through the proxy, in order, with the upload id they carried or got. */
let sent: Array<{ command: string; uploadId?: string }> = [];
/** Set to freeze the proxy as soon as one part has been uploaded. */
let freezeAfterFirstPart = false;
/** Set to freeze the proxy as soon as S3 starts sending a dump (its headers are in, its body is coming). */
let freezeOnDumpRead = false;
let clock = 0;

/**
 * A start time (hence a key) of its own for each run, a second apart and in the past hour, so the CLI's run, started
 * now, is the newest row the dashboard reads.
 */
const nextStart = () => new Date(Date.now() - 3_600_000 + ++clock * 1_000);

async function timed<T>(work: () => Promise<T>): Promise<{ ms: number; outcome: T | Error }> {
  const started = performance.now();
  const outcome = await work().catch((error: Error) => error);
  return { ms: performance.now() - started, outcome };
}

/** Accepts connections and never answers, the ones already open included (reset first, as a restarted server). */
async function blackhole() {
  await proxy.set('kill');
  await new Promise((resolve) => setTimeout(resolve, 100)); // the client sees its idle connections reset
  await proxy.set('blackhole');
}

async function countRuns(): Promise<number> {
  const [rows] = await conn.query<RowDataPacket[]>('SELECT COUNT(*) AS n FROM backup_runs');
  return Number(rows[0]?.n);
}

/** A TCP proxy to the test S3 server that forwards what clients send at `bytesPerSecond` per connection. */
async function startThrottle(bytesPerSecond: number) {
  const target = new URL(getConfig().S3_ENDPOINT as string);
  const sockets = new Set<Socket>();
  const server = createServer((client) => {
    const upstream = connect(Number(target.port), target.hostname);
    sockets.add(client).add(upstream);
    client.on('data', (chunk: Buffer) => {
      client.pause();
      upstream.write(chunk);
      setTimeout(() => client.resume(), (chunk.length / bytesPerSecond) * 1000);
    });
    upstream.pipe(client);
    client.on('close', () => upstream.destroy());
    upstream.on('close', () => client.destroy());
    client.on('error', () => upstream.destroy());
    upstream.on('error', () => client.destroy());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  return {
    endpoint: `http://127.0.0.1:${port}`,
    async close() {
      for (const socket of sockets) socket.destroy();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}

async function runRow(key: string) {
  const [rows] = await conn.query<RowDataPacket[]>(
    'SELECT status, error, finished_at IS NOT NULL AS finished FROM backup_runs WHERE object_key = ?',
    [key],
  );
  return rows;
}

/**
 * After the fault: S3 answers again at once through the same client (no state left over from the fault), the earlier
 * backups are all there and the older one is byte for byte.
 */
async function expectNothingDeleted(keysBefore: string[]) {
  await proxy.set('pass');
  const recovery = await timed(() => listKeys(ctx.bucket, '', s3));
  expect(recovery.outcome).toEqual(keysBefore);
  expect(recovery.ms).toBeLessThan(MARGIN_MS);
  const body = await readObject(ctx.bucket, older.key);
  expect(createHash('sha256').update(body).digest('hex')).toBe(older.sha256);
}

beforeAll(async () => {
  conn = await connectFileDatabase();
  await seedBank(conn, { transactions: 200 });
  await addBulk(conn, 12); // ~12 MB gzip: three 5 MB parts, so the upload can be frozen between two
  const target = new URL(getConfig().S3_ENDPOINT as string);
  proxy = await startFaultProxy(Number(target.port), target.hostname);
  s3 = createS3Client({ ...getConfig(), ...S3_LIMITS, S3_ENDPOINT: `http://127.0.0.1:${proxy.port}` });
  s3.middlewareStack.add(
    (next, context) => async (args) => {
      const input = args.input as { UploadId?: string };
      const entry: { command: string; uploadId?: string } = { command: String(context.commandName) };
      if (input.UploadId) entry.uploadId = input.UploadId;
      sent.push(entry);
      const result = await next(args);
      const output = result.output as { UploadId?: string };
      if (output.UploadId) entry.uploadId = output.UploadId;
      if (entry.command === 'UploadPartCommand' && freezeAfterFirstPart) {
        freezeAfterFirstPart = false;
        await proxy.set('freeze');
      }
      const key = (args.input as { Key?: string }).Key ?? '';
      if (entry.command === 'GetObjectCommand' && key.endsWith('.sql.gz') && freezeOnDumpRead) {
        freezeOnDumpRead = false;
        await proxy.set('freeze');
      }
      return result;
    },
    { step: 'initialize', name: 'faultTestObserver' },
  );
  ctx = await testContext({
    s3,
    bucket: await createBucket('faults'),
    partSize: 5 * 1024 * 1024,
    cleanupTimeoutMs: CLEANUP_MS,
  });
  const good = await runBackup(ctx);
  older = { key: good.key, sha256: good.manifest.sha256 };
}, 180_000);

beforeEach(async () => {
  await proxy.set('pass');
  sent = [];
});

afterAll(async () => {
  await proxy?.close();
  await conn?.end();
});

describe('backup against a failing S3', () => {
  it('refusing: fails at once with ECONNREFUSED, records the failure, dumps and deletes nothing', async () => {
    const before = await listKeys(ctx.bucket, '', s3);
    await proxy.set('refuse');
    const at = nextStart();
    const { ms, outcome } = await timed(() => runBackup({ ...ctx, now: () => at }));
    expect(outcome).toBeInstanceOf(DependencyError);
    expect((outcome as Error).message).toBe(
      `S3 ListObjectsV2 on bucket ${ctx.bucket} failed: ECONNREFUSED, 2 attempts`,
    );
    expect(ms).toBeLessThan(S3_CALL_MS + MARGIN_MS);
    expect(sent.map((s) => s.command)).not.toContain('CreateMultipartUploadCommand');
    expect(await runRow(backupKey(ctx.prefix, ctx.settings.database, at))).toEqual([
      { status: 'failed', error: (outcome as Error).message, finished: 1 },
    ]);
    await expectNothingDeleted(before);
  });

  it('black-holed: the bucket check gives up after S3_REQUEST_TIMEOUT_MS on each attempt', async () => {
    const before = await listKeys(ctx.bucket, '', s3);
    await blackhole();
    const at = nextStart();
    const { ms, outcome } = await timed(() => runBackup({ ...ctx, now: () => at }));
    expect((outcome as Error).message).toBe(
      `S3 ListObjectsV2 on bucket ${ctx.bucket} failed: nothing sent or received for 1000 ms (S3_REQUEST_TIMEOUT_MS), 2 attempts`,
    );
    expect(ms).toBeGreaterThanOrEqual(S3_LIMITS.S3_REQUEST_TIMEOUT_MS - 50); // it waited for an answer
    expect(ms).toBeLessThan(S3_CALL_MS + MARGIN_MS);
    expect(await runRow(backupKey(ctx.prefix, ctx.settings.database, at))).toEqual([
      { status: 'failed', error: (outcome as Error).message, finished: 1 },
    ]);
    await expectNothingDeleted(before);
  });

  it("black-holed, with S3 timeouts longer than the run's limit: the limit ends the bucket check", async () => {
    const before = await listKeys(ctx.bucket, '', s3);
    const patient = createS3Client({
      ...getConfig(),
      S3_ENDPOINT: `http://127.0.0.1:${proxy.port}`,
      S3_REQUEST_TIMEOUT_MS: 60_000,
    });
    await blackhole();
    const at = nextStart();
    const { ms, outcome } = await timed(() =>
      runBackup({ ...ctx, s3: patient, timeoutMs: 2_000, now: () => at }),
    );
    expect((outcome as Error).message).toBe(
      `backup aborted: it ran past its time limit of 2 s; S3 ListObjectsV2 on bucket ${ctx.bucket} failed: cancelled before S3 answered`,
    );
    expect(ms).toBeGreaterThanOrEqual(2_000 - 50);
    expect(ms).toBeLessThan(2_000 + MARGIN_MS);
    expect(await runRow(backupKey(ctx.prefix, ctx.settings.database, at))).toMatchObject([
      { status: 'failed' },
    ]);
    await expectNothingDeleted(before);
    patient.destroy();
  });

  it('frozen mid-upload: the stuck part times out, the upload is given up and aborted, no object appears', async () => {
    const before = await listKeys(ctx.bucket, '', s3);
    freezeAfterFirstPart = true;
    const at = nextStart();
    const { ms, outcome } = await timed(() => runBackup({ ...ctx, now: () => at }));
    const commands = sent.map((s) => s.command);
    expect(commands.filter((c) => c === 'UploadPartCommand').length).toBeGreaterThanOrEqual(2);
    expect(commands).not.toContain('CompleteMultipartUploadCommand');
    const uploadId = sent.find((s) => s.command === 'CreateMultipartUploadCommand')?.uploadId;
    expect(uploadId).toBeTruthy();
    // The abort is sent for that upload; frozen, S3 cannot take it, and the message says so.
    expect(sent).toContainEqual({ command: 'AbortMultipartUploadCommand', uploadId });
    expect(outcome).toBeInstanceOf(DumpFailedError);
    const message = (outcome as Error).message;
    expect(message).toMatch(
      /^upload to s3:\/\/\S+ failed \(UploadPart\): nothing sent or received for 1000 ms \(S3_REQUEST_TIMEOUT_MS\), 2 attempts/,
    );
    expect(message).toContain(
      `its multipart upload ${uploadId} could not be aborted (no answer within 1000 ms)`,
    );
    expect(ms).toBeLessThan(S3_CALL_MS + CLEANUP_MS + MARGIN_MS);
    expect(await runRow(backupKey(ctx.prefix, ctx.settings.database, at))).toEqual([
      { status: 'failed', error: message, finished: 1 },
    ]);
    await expectNothingDeleted(before);
  });

  it('recovers: once S3 answers again, the next backup completes through the same client', async () => {
    const { key } = await runBackup({ ...ctx, now: nextStart });
    expect(await listKeys(ctx.bucket, key, s3)).toEqual([key, `${key}.manifest.json`]);
    expect(await runRow(key)).toMatchObject([{ status: 'succeeded' }]);
  });
});

describe('backup over a slow S3', () => {
  it('is not cut when the upload as a whole outlasts S3_REQUEST_TIMEOUT_MS: the limit is per request', async () => {
    // 5 MB/s per connection, one part at a time: each 5 MB part takes about 1 s, half the 2 s timeout; the three
    // parts together take longer than it.
    const requestTimeoutMs = 2_000;
    const throttle = await startThrottle(5 * 1024 * 1024);
    const slow = createS3Client({
      ...getConfig(),
      ...S3_LIMITS,
      S3_REQUEST_TIMEOUT_MS: requestTimeoutMs,
      S3_ENDPOINT: throttle.endpoint,
    });
    const parts: Array<{ started: number; ended: number }> = [];
    slow.middlewareStack.add(
      (next, context) => async (args) => {
        const started = performance.now();
        const result = await next(args);
        if (context.commandName === 'UploadPartCommand') parts.push({ started, ended: performance.now() });
        return result;
      },
      { step: 'initialize', name: 'partTimer' },
    );
    try {
      const { key } = await runBackup({ ...ctx, s3: slow, queueSize: 1, now: nextStart });
      expect(await runRow(key)).toMatchObject([{ status: 'succeeded' }]);
      expect(parts.length).toBeGreaterThanOrEqual(3);
      const uploadMs = Math.max(...parts.map((p) => p.ended)) - Math.min(...parts.map((p) => p.started));
      expect(uploadMs).toBeGreaterThan(requestTimeoutMs);
    } finally {
      slow.destroy();
      await throttle.close();
    }
  });
});

describe('restore against a failing S3', () => {
  it('black-holed: fails after S3_REQUEST_TIMEOUT_MS on each attempt, before the target is touched', async () => {
    const before = await listKeys(ctx.bucket, '', s3);
    const runsBefore = await countRuns();
    const target = `fm_fault_restore_${Date.now()}`;
    await blackhole();
    const { ms, outcome } = await timed(() => restoreBackup(ctx, { key: older.key, database: target }));
    expect(outcome).toBeInstanceOf(DependencyError);
    expect((outcome as Error).message).toBe(
      `S3 GetObject (manifest) on bucket ${ctx.bucket} failed: nothing sent or received for 1000 ms (S3_REQUEST_TIMEOUT_MS), 2 attempts`,
    );
    expect(ms).toBeLessThan(S3_CALL_MS + MARGIN_MS);
    const [schemas] = await conn.query<RowDataPacket[]>(
      'SELECT SCHEMA_NAME FROM information_schema.SCHEMATA WHERE SCHEMA_NAME = ?',
      [target],
    );
    expect(schemas).toEqual([]);
    // A restore writes no backup_runs row of its own; nothing else was recorded either.
    expect(await countRuns()).toBe(runsBefore);
    await expectNothingDeleted(before);
  });
  it('frozen mid-download: the read stops after S3_REQUEST_TIMEOUT_MS of silence, before the target is touched', async () => {
    const before = await listKeys(ctx.bucket, '', s3);
    const target = `fm_fault_restore_${Date.now()}`;
    freezeOnDumpRead = true;
    const { ms, outcome } = await timed(() => restoreBackup(ctx, { key: older.key, database: target }));
    expect(outcome).toBeInstanceOf(DependencyError);
    expect((outcome as Error).message).toMatch(
      new RegExp(
        `^S3 GetObject ${older.key} \\(after \\d+ bytes\\) on bucket ${ctx.bucket} failed: nothing sent or received for 1000 ms \\(S3_REQUEST_TIMEOUT_MS\\)$`,
      ),
    );
    expect(ms).toBeLessThan(S3_CALL_MS + MARGIN_MS);
    const [schemas] = await conn.query<RowDataPacket[]>(
      'SELECT SCHEMA_NAME FROM information_schema.SCHEMATA WHERE SCHEMA_NAME = ?',
      [target],
    );
    expect(schemas).toEqual([]);
    await expectNothingDeleted(before);
  });
});

describe('npm run backup against a black-holed S3', () => {
  it('prints why and exits 1 within the S3 bounds, and the dashboard sees the failed run', async () => {
    await blackhole();
    const started = performance.now();
    const result = await promisify(execFile)(
      path.join(root, 'node_modules/.bin/tsx'),
      ['scripts/backup.ts', '--skip-prune'],
      {
        cwd: root,
        timeout: 60_000,
        env: {
          ...process.env,
          ...Object.fromEntries(Object.entries(S3_LIMITS).map(([name, value]) => [name, String(value)])),
          S3_ENDPOINT: `http://127.0.0.1:${proxy.port}`,
          BACKUP_BUCKET: ctx.bucket,
        },
      },
    ).then(
      () => ({ code: 0, stderr: '' }),
      (error: { code: number; stderr: string }) => error,
    );
    const ms = performance.now() - started;
    expect(result.code).toBe(1);
    const [said, cause] = result.stderr.split('\n');
    expect(said).toBe(
      `error: S3 ListObjectsV2 on bucket ${ctx.bucket} failed: nothing sent or received for 1000 ms (S3_REQUEST_TIMEOUT_MS), 2 attempts`,
    );
    expect(cause).toMatch(/^ {2}cause: .* timed out after 1000 ms of inactivity/);
    expect(ms).toBeLessThan(S3_CALL_MS + 2 * MARGIN_MS); // and the CLI's own start
    const [latest] = await conn.query<RowDataPacket[]>(
      'SELECT status, trigger_source, error FROM backup_runs ORDER BY started_at DESC, id DESC LIMIT 1',
    );
    expect(latest).toEqual([
      { status: 'failed', trigger_source: 'manual', error: said?.slice('error: '.length) },
    ]);
  });
});
