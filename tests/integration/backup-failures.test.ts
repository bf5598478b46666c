import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { chmod, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { connect, createServer, type Socket } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { S3Client } from '@aws-sdk/client-s3';
import type { Connection, RowDataPacket } from 'mysql2/promise';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runBackup } from '../../lib/backup/backup.js';
import type { BackupContext } from '../../lib/backup/context.js';
import { DumpFailedError } from '../../lib/backup/errors.js';
import { manifestKeyOf } from '../../lib/backup/keys.js';
import { getConfig } from '../../lib/config.js';
import { DependencyError } from '../../lib/errors.js';
import { LOCAL_S3_CREDENTIALS } from '../../scripts/local/s3-server.js';
import {
  addBulk,
  connectFileDatabase,
  createBucket,
  listKeys,
  readObject,
  seedBank,
  testContext,
} from './backup-fixture.js';

const realMysqldump = execFileSync('sh', ['-c', 'command -v mysqldump']).toString().trim();
let dir: string;
let conn: Connection;
let ctx: BackupContext;
let older: { key: string; sha256: string };
/** Names of the S3 commands the backup sent, in order (observed on the real client, nothing replaced). */
let sent: string[] = [];

/** A stand-in for mysqldump: a shell script around the real one. */
async function wrapper(name: string, body: string): Promise<string> {
  const file = path.join(dir, name);
  const versionPassThrough = 'if [ "$1" = --version ]; then exec MYSQLDUMP --version; fi';
  await writeFile(file, `#!/bin/sh\n${versionPassThrough}\n${body}\n`.replaceAll('MYSQLDUMP', realMysqldump));
  await chmod(file, 0o755);
  return file;
}

async function expectOlderBackupIntact(keysBefore: string[]) {
  expect(await listKeys(ctx.bucket)).toEqual(keysBefore);
  const body = await readObject(ctx.bucket, older.key);
  expect(createHash('sha256').update(body).digest('hex')).toBe(older.sha256);
}

beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'fm-backup-wrappers-'));
  conn = await connectFileDatabase();
  await seedBank(conn, { transactions: 200 });
  await addBulk(conn, 12); // ~12 MB of random bytes → ~24 MB of hex in the dump, ≥ 2 parts of 8 MB gzip
  const s3 = new S3Client({
    region: getConfig().AWS_REGION,
    endpoint: getConfig().S3_ENDPOINT,
    forcePathStyle: true,
    credentials: LOCAL_S3_CREDENTIALS,
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
  });
  s3.middlewareStack.add(
    (next, context) => async (args) => {
      sent.push(String(context.commandName));
      return next(args);
    },
    { step: 'initialize', name: 'recordCommands' },
  );
  ctx = await testContext({ s3, bucket: await createBucket('failures'), partSize: 5 * 1024 * 1024 });
  const good = await runBackup(ctx);
  older = { key: good.key, sha256: good.manifest.sha256 };
}, 180_000);

afterAll(async () => {
  await conn?.end();
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe('backup failures leave no partial object and touch no older backup', () => {
  it('the good backup used as "older" was a real multipart upload', () => {
    expect(sent).toContain('CreateMultipartUploadCommand');
    expect(sent).toContain('CompleteMultipartUploadCommand');
  });

  it('mysqldump killed mid-stream → the multipart upload is aborted, no object, a clear error', async () => {
    const before = await listKeys(ctx.bucket);
    sent = [];
    // The real mysqldump, its output cut after ~12 MB, then the dumping process dies by SIGKILL.
    const killed = await wrapper('killed-mid-stream.sh', 'MYSQLDUMP "$@" | head -c 12000000\nkill -KILL $$');
    const failure = runBackup({ ...ctx, mysqldumpPath: killed, now: () => new Date(Date.now() + 1000) });
    await expect(failure).rejects.toThrow(DumpFailedError);
    await expect(failure).rejects.toThrow(/mysqldump was killed by SIGKILL/);
    expect(sent).toContain('CreateMultipartUploadCommand');
    expect(sent).toContain('UploadPartCommand');
    expect(sent).toContain('AbortMultipartUploadCommand');
    expect(sent).not.toContain('CompleteMultipartUploadCommand');
    await expectOlderBackupIntact(before);
  });

  it('mysqldump killed after writing a complete-looking dump → still no object', async () => {
    const before = await listKeys(ctx.bucket);
    sent = [];
    const killed = await wrapper('killed-at-end.sh', 'MYSQLDUMP "$@"\nkill -KILL $$');
    await expect(
      runBackup({ ...ctx, mysqldumpPath: killed, now: () => new Date(Date.now() + 2000) }),
    ).rejects.toThrow(/killed by SIGKILL/);
    expect(sent).not.toContain('CompleteMultipartUploadCommand');
    expect(sent).not.toContain('PutObjectCommand');
    await expectOlderBackupIntact(before);
  });

  it('a dump that exits 0 without its closing line is refused', async () => {
    const before = await listKeys(ctx.bucket);
    const truncated = await wrapper('truncated.sh', 'MYSQLDUMP "$@" | head -c 100000\nexit 0');
    await expect(
      runBackup({ ...ctx, mysqldumpPath: truncated, now: () => new Date(Date.now() + 3000) }),
    ).rejects.toThrow(/lacks the final "-- Dump completed" line/);
    await expectOlderBackupIntact(before);
  });

  it('mysqldump exiting non-zero → its stderr is in the error and in backup_runs', async () => {
    const before = await listKeys(ctx.bucket);
    const failing = await wrapper(
      'access-denied.sh',
      "echo \"mysqldump: Got error: 1045: Access denied for user 'backup'@'10.0.0.1'\" >&2\nexit 2",
    );
    const failure = runBackup({ ...ctx, mysqldumpPath: failing, now: () => new Date(Date.now() + 4000) });
    await expect(failure).rejects.toThrow(/mysqldump exited with code 2; stderr: mysqldump: Got error: 1045/);
    await expectOlderBackupIntact(before);
    const [rows] = await conn.query<RowDataPacket[]>(
      "SELECT status, error FROM backup_runs WHERE status = 'failed' AND error LIKE '%1045%'",
    );
    expect(rows).toHaveLength(1);
  });

  it('a backup past its time limit is aborted like a failure', async () => {
    const before = await listKeys(ctx.bucket);
    const slow = await wrapper('slow.sh', 'MYSQLDUMP "$@"\nexec sleep 30');
    const started = Date.now();
    await expect(
      runBackup({ ...ctx, mysqldumpPath: slow, timeoutMs: 1500, now: () => new Date(Date.now() + 5000) }),
    ).rejects.toThrow(/backup aborted/);
    expect(Date.now() - started).toBeLessThan(20_000);
    await expectOlderBackupIntact(before);
  });

  it('S3 unreachable → a clear error before anything is dumped, nothing deleted', async () => {
    const before = await listKeys(ctx.bucket);
    const port = await new Promise<number>((resolve) => {
      const server = createServer().listen(0, '127.0.0.1', () => {
        const { port } = server.address() as { port: number };
        server.close(() => resolve(port));
      });
    });
    const unreachable = new S3Client({
      region: getConfig().AWS_REGION,
      endpoint: `http://127.0.0.1:${port}`,
      forcePathStyle: true,
      credentials: LOCAL_S3_CREDENTIALS,
      maxAttempts: 1,
    });
    const failure = runBackup({ ...ctx, s3: unreachable, now: () => new Date(Date.now() + 6000) });
    await expect(failure).rejects.toThrow(DependencyError);
    await expect(failure).rejects.toThrow(
      new RegExp(`S3 ListObjectsV2 on bucket ${ctx.bucket} failed: ECONNREFUSED`),
    );
    await expectOlderBackupIntact(before);
  });

  it('S3 failing mid-upload → mysqldump is stopped, a clear error, no object, nothing deleted', async () => {
    const before = await listKeys(ctx.bucket);
    // A TCP proxy to the test S3 server that drops every connection once ~6 MB have gone through it.
    const target = new URL(getConfig().S3_ENDPOINT as string);
    const sockets = new Set<Socket>();
    let forwarded = 0;
    const proxy = createServer((client) => {
      const upstream = connect(Number(target.port), target.hostname);
      sockets.add(client).add(upstream);
      client.on('data', (chunk: Buffer) => {
        forwarded += chunk.length;
        if (forwarded > 6_000_000) {
          for (const socket of sockets) socket.destroy();
          proxy.close();
          return;
        }
        upstream.write(chunk);
      });
      upstream.pipe(client);
      client.on('error', () => upstream.destroy());
      upstream.on('error', () => client.destroy());
    });
    await new Promise<void>((resolve) => proxy.listen(0, '127.0.0.1', resolve));
    const { port } = proxy.address() as { port: number };
    const flaky = new S3Client({
      region: getConfig().AWS_REGION,
      endpoint: `http://127.0.0.1:${port}`,
      forcePathStyle: true,
      credentials: LOCAL_S3_CREDENTIALS,
      requestChecksumCalculation: 'WHEN_REQUIRED',
      responseChecksumValidation: 'WHEN_REQUIRED',
      maxAttempts: 1,
    });
    try {
      const failure = runBackup({ ...ctx, s3: flaky, now: () => new Date(Date.now() + 7000) });
      await expect(failure).rejects.toThrow(DumpFailedError);
      await expect(failure).rejects.toThrow(/upload to s3:\/\/.* failed/);
    } finally {
      for (const socket of sockets) socket.destroy();
      proxy.close();
    }
    await expectOlderBackupIntact(before);
  });

  it('the older backup still has its manifest and is what a restore would pick', async () => {
    expect(await listKeys(ctx.bucket)).toEqual([older.key, manifestKeyOf(older.key)]);
  });
});
