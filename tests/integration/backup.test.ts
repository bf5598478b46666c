import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { PutObjectCommand } from '@aws-sdk/client-s3';
import type { Connection, RowDataPacket } from 'mysql2/promise';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runBackup } from '../../lib/backup/backup.js';
import type { BackupContext } from '../../lib/backup/context.js';
import { IntegrityError } from '../../lib/backup/errors.js';
import { backupKey, manifestKeyOf } from '../../lib/backup/keys.js';
import type { BackupManifest } from '../../lib/backup/manifest.js';
import { restoreBackup } from '../../lib/backup/restore.js';
import { recordRestoredRun } from '../../lib/backup/runs.js';
import { verifyBackup } from '../../lib/backup/verify.js';
import { ConflictError, NotFoundError } from '../../lib/errors.js';
import { getS3 } from '../../lib/s3/client.js';
import {
  addBulk,
  blankDatabase,
  checksums,
  connectFileDatabase,
  createBucket,
  listKeys,
  readObject,
  seedBank,
  testContext,
} from './backup-fixture.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
let conn: Connection;
let ctx: BackupContext;
let backup: { key: string; manifest: BackupManifest };
const cleanups: Array<() => Promise<void>> = [];

beforeAll(async () => {
  conn = await connectFileDatabase();
  await seedBank(conn);
  await addBulk(conn, 3); // ~6 MB of hex in the dump: several gzip members, a multipart-sized object
  ctx = await testContext({ bucket: await createBucket('roundtrip') });
  backup = await runBackup(ctx, { trigger: 'manual' });
});

afterAll(async () => {
  for (const cleanup of cleanups) await cleanup().catch(() => undefined);
  await conn?.end();
});

async function scratch(label: string) {
  const db = await blankDatabase(label);
  cleanups.push(db.drop);
  return db;
}

/**
 * Every table of the restored copy matches the source: the live source for all tables the backup itself does not
 * write to, and for every table (backup_runs included: its row was updated after the snapshot) the figures the
 * backup recorded in its snapshot.
 */
async function expectSameAsSource(database: string) {
  const source = await checksums(conn, ctx.settings.database);
  const restored = await checksums(conn, database);
  expect(Object.keys(restored).sort()).toEqual(Object.keys(source).sort());
  expect(Object.keys(source).length).toBeGreaterThan(8);
  const { backup_runs: _runs, ...sourceData } = source;
  const { backup_runs: _copy, ...restoredData } = restored;
  expect(restoredData).toEqual(sourceData);
  expect(restored).toEqual(
    Object.fromEntries(backup.manifest.tables.map((t) => [t.name, `${t.rows} rows, checksum ${t.checksum}`])),
  );
}

describe('backup → restore round trip', () => {
  it('stores a gzip dump under backups/<db>/<yyyy>/<mm>/<dd>/ with a manifest whose sha256 and size match', async () => {
    const { key, manifest } = backup;
    const db = ctx.settings.database;
    expect(key).toMatch(new RegExp(`^backups/${db}/\\d{4}/\\d{2}/\\d{2}/${db}-\\d{8}T\\d{9}Z\\.sql\\.gz$`));
    expect(await listKeys(ctx.bucket)).toEqual([key, manifestKeyOf(key)]);
    const body = await readObject(ctx.bucket, key);
    expect(body.subarray(0, 2)).toEqual(Buffer.from([0x1f, 0x8b]));
    expect(manifest.sha256).toBe(createHash('sha256').update(body).digest('hex'));
    expect(manifest.bytes).toBe(body.length);
    expect(manifest.dumpBytes).toBeGreaterThan(manifest.bytes);
    expect(manifest.server.version).toMatch(/^\d+\.\d+/);
    expect(manifest.tables.find((t) => t.name === 'transactions')?.rows).toBe(500);
    // Ours, besides whatever views the migrations add.
    expect(manifest.objects.views).toContain('v_client_balances');
    expect(manifest.objects).toMatchObject({
      triggers: ['trg_clients_upper'],
      procedures: ['count_transactions'],
      functions: ['double_it'],
      events: ['ev_nightly_noop'],
    });
  });

  it('records the run in backup_runs for the dashboard', async () => {
    const [rows] = await conn.query<RowDataPacket[]>(
      'SELECT status, bytes_compressed, sha256, server_version, error FROM backup_runs WHERE object_key = ?',
      [backup.key],
    );
    expect(rows).toEqual([
      {
        status: 'succeeded',
        bytes_compressed: backup.manifest.bytes,
        sha256: backup.manifest.sha256,
        server_version: backup.manifest.server.version,
        error: null,
      },
    ]);
  });

  it('restores into a new database with CHECKSUM TABLE identical for every table', async () => {
    const target = await scratch('restore');
    await target.drop(); // restore creates an absent target itself
    await restoreBackup(ctx, { key: backup.key, database: target.name });
    await expectSameAsSource(target.name);
  });

  it("records, in the restored database, its own backup's result (its snapshot has the run still going)", async () => {
    const target = await scratch('runs');
    await restoreBackup(ctx, { key: backup.key, database: target.name });
    const db = await target.connect();
    try {
      const row = async () =>
        (
          await db.query<RowDataPacket[]>(
            'SELECT status, finished_at IS NOT NULL AS finished, bytes_compressed, sha256 FROM backup_runs WHERE object_key = ?',
            [backup.key],
          )
        )[0];
      // As the snapshot had it (and as the restore test compares it with the manifest).
      expect(await row()).toEqual([{ status: 'running', finished: 0, bytes_compressed: null, sha256: null }]);
      await recordRestoredRun(db, backup.manifest);
      expect(await row()).toEqual([
        {
          status: 'succeeded',
          finished: 1,
          bytes_compressed: backup.manifest.bytes,
          sha256: backup.manifest.sha256,
        },
      ]);
      // Only that run, and only while it says running.
      await recordRestoredRun(db, { ...backup.manifest, sha256: 'f'.repeat(64) });
      expect((await row())[0]?.sha256).toBe(backup.manifest.sha256);
    } finally {
      await db.end();
    }
  });

  it('brings back the view, the trigger, the stored procedure and function, and the event — working', async () => {
    const target = await scratch('objects');
    await restoreBackup(ctx, { key: backup.key, database: target.name });
    const db = await target.connect();
    try {
      const [view] = await db.query<RowDataPacket[]>(
        'SELECT client_id, balance FROM v_client_balances ORDER BY 1',
      );
      expect(view).toEqual([
        { client_id: 1, balance: '1234.56' },
        { client_id: 2, balance: '99999.99' },
      ]);
      await db.query(
        "INSERT INTO clients (first_name, last_name, identifier, birth_date, gender, registration_date, country, locale) VALUES ('a', 'kowalska', 'x', '2000-01-01', 'F', '2024-01-01', 'PL', 'pl_PL')",
      );
      const [client] = await db.query<RowDataPacket[]>(
        "SELECT last_name FROM clients WHERE identifier = 'x'",
      );
      expect(client[0]?.last_name).toBe('KOWALSKA'); // the trigger fired
      const [out] = await db.query<RowDataPacket[][]>('CALL count_transactions(1, @n); SELECT @n AS n');
      expect(out.at(-1)).toEqual([{ n: 250 }]);
      const [fn] = await db.query<RowDataPacket[]>('SELECT double_it(21) AS v');
      expect(fn[0]?.v).toBe(42);
      const [events] = await db.query<RowDataPacket[]>(
        'SELECT EVENT_NAME AS name, STATUS AS status FROM information_schema.EVENTS WHERE EVENT_SCHEMA = ?',
        [target.name],
      );
      expect(events).toEqual([{ name: 'ev_nightly_noop', status: 'DISABLED' }]);
    } finally {
      await db.end();
    }
  });

  it('keeps binary data and non-ASCII text byte for byte', async () => {
    const target = await scratch('bytes');
    await restoreBackup(ctx, { key: backup.key, database: target.name });
    const digests = `SELECT id, LENGTH(data) AS length, SHA2(data, 256) AS sha FROM %s.backup_fixture_blobs ORDER BY id`;
    const [original] = await conn.query<RowDataPacket[]>(
      digests.replace('%s', `\`${ctx.settings.database}\``),
    );
    const [copy] = await conn.query<RowDataPacket[]>(digests.replace('%s', `\`${target.name}\``));
    expect(original.length).toBeGreaterThan(40);
    expect(copy).toEqual(original);
    const [text] = await conn.query<RowDataPacket[]>(
      `SELECT first_name, last_name FROM \`${target.name}\`.clients ORDER BY id LIMIT 1`,
    );
    expect(text[0]).toEqual({ first_name: 'Zażółć', last_name: 'Gęślą' });
  });

  it('refuses a non-empty target without --force and leaves it as it was', async () => {
    const target = await scratch('nonempty');
    const db = await target.connect();
    try {
      await db.query('CREATE TABLE keep_me (id INT PRIMARY KEY); INSERT INTO keep_me VALUES (7)');
      await expect(restoreBackup(ctx, { key: backup.key, database: target.name })).rejects.toThrow(
        ConflictError,
      );
      await expect(restoreBackup(ctx, { key: backup.key, database: target.name })).rejects.toThrow(
        /not empty; pass --force/,
      );
      const [rows] = await db.query<RowDataPacket[]>('SELECT id FROM keep_me');
      expect(rows).toEqual([{ id: 7 }]);
    } finally {
      await db.end();
    }
  });

  it('replaces a non-empty target with --force', async () => {
    const target = await scratch('force');
    const db = await target.connect();
    await db.query('CREATE TABLE stale (id INT PRIMARY KEY)');
    await db.end();
    await restoreBackup(ctx, { key: backup.key, database: target.name, force: true });
    await expectSameAsSource(target.name);
  });

  it('refuses a corrupted object (sha256 mismatch) before touching the target', async () => {
    const body = await readObject(ctx.bucket, backup.key);
    const corrupt = Buffer.from(body);
    const middle = Math.floor(corrupt.length / 2);
    corrupt[middle] = (corrupt[middle] ?? 0) ^ 0xff;
    const key = backupKey(ctx.prefix, ctx.settings.database, new Date(Date.now() - 60_000));
    await getS3().send(new PutObjectCommand({ Bucket: ctx.bucket, Key: key, Body: corrupt }));
    await getS3().send(
      new PutObjectCommand({
        Bucket: ctx.bucket,
        Key: manifestKeyOf(key),
        Body: JSON.stringify({ ...backup.manifest, key }),
      }),
    );
    const target = await scratch('corrupt');
    await expect(restoreBackup(ctx, { key, database: target.name })).rejects.toThrow(IntegrityError);
    await expect(restoreBackup(ctx, { key, database: target.name })).rejects.toThrow(
      /does not match its manifest/,
    );
    const [tables] = await conn.query<RowDataPacket[]>(
      'SELECT COUNT(*) AS n FROM information_schema.TABLES WHERE TABLE_SCHEMA = ?',
      [target.name],
    );
    expect(tables[0]?.n).toBe(0);
  });

  it('refuses a dump that has no manifest', async () => {
    const key = backupKey(ctx.prefix, ctx.settings.database, new Date(Date.now() - 120_000));
    await getS3().send(
      new PutObjectCommand({ Bucket: ctx.bucket, Key: key, Body: await readObject(ctx.bucket, backup.key) }),
    );
    await expect(restoreBackup(ctx, { key, database: 'fm_never_created' })).rejects.toThrow(
      /has no manifest/,
    );
  });

  it('says there is no backup under a key with nothing there, and offers the newest backups of that database', async () => {
    const db = ctx.settings.database;
    const key = backupKey(ctx.prefix, db, new Date('2020-01-01T00:00:00Z'));
    const failure = restoreBackup(ctx, { key, database: 'fm_never_created' });
    await expect(failure).rejects.toThrow(NotFoundError);
    const lines = ((await failure.catch((e: Error) => e)) as Error).message.split('\n');
    // Newest first: this file's backup, the corrupted one (a minute older), the one without a manifest (two).
    expect(lines[0]).toBe(`no backup under that key: s3://${ctx.bucket}/${key}`);
    expect(lines[1]).toBe(`the newest backups of ${db}:`);
    expect(lines[2]).toBe(`  ${backup.key}`);
    expect(lines[4]).toMatch(/^ {2}\S+\.sql\.gz {2}\(no manifest: incomplete\)$/);
    expect(lines.at(-1)).toBe('npm run backup -- --list shows them all');
  });

  it('offers the newest backups under the prefix when the key names a database that has none', async () => {
    const key = backupKey(ctx.prefix, 'fm_no_such_db', new Date());
    await expect(restoreBackup(ctx, { key, database: 'fm_never_created' })).rejects.toThrow(
      `the newest backups under s3://${ctx.bucket}/${ctx.prefix} (none of fm_no_such_db):\n  ${backup.key}`,
    );
  });

  it('npm run restore with a missing key: "no backup under that key", the candidates, exit 1', async () => {
    const key = backupKey(ctx.prefix, ctx.settings.database, new Date('2020-01-01T00:00:00Z'));
    const result = await promisify(execFile)(
      path.join(root, 'node_modules/.bin/tsx'),
      ['scripts/restore.ts', '--key', key, '--database', 'fm_never_created'],
      { cwd: root, timeout: 60_000, env: { ...process.env, BACKUP_BUCKET: ctx.bucket } },
    ).then(
      () => ({ code: 0, stderr: '' }),
      (error: { code: number; stderr: string }) => error,
    );
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(
      new RegExp(`^error: no backup under that key: s3://${ctx.bucket}/${key}\nthe newest backups of `),
    );
    expect(result.stderr).toContain(`\n  ${backup.key}\n`);
  });

  it('verifies the newest backup in a scratch database and records the result', async () => {
    const result = await verifyBackup(ctx);
    expect(result).toMatchObject({ key: backup.key, status: 'passed', differences: [] });
    expect(result.tables).toBe(backup.manifest.tables.length);
    const [rows] = await conn.query<RowDataPacket[]>(
      'SELECT verify_status, verified_at IS NOT NULL AS verified FROM backup_runs WHERE object_key = ?',
      [backup.key],
    );
    expect(rows).toEqual([{ verify_status: 'passed', verified: 1 }]);
    const [left] = await conn.query<RowDataPacket[]>(
      'SELECT SCHEMA_NAME FROM information_schema.SCHEMATA WHERE SCHEMA_NAME = ?',
      [result.scratchDatabase],
    );
    expect(left).toEqual([]); // the scratch copy is dropped
  });
});
