import { PutObjectCommand } from '@aws-sdk/client-s3';
import type { Connection } from 'mysql2/promise';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runBackup } from '../../lib/backup/backup.js';
import type { BackupContext } from '../../lib/backup/context.js';
import { backupKey, manifestKeyOf } from '../../lib/backup/keys.js';
import { runPrune } from '../../lib/backup/prune.js';
import { getS3 } from '../../lib/s3/client.js';
import { connectFileDatabase, createBucket, listKeys, seedBank, testContext } from './backup-fixture.js';

const DAY = 86_400_000;
let conn: Connection;
let ctx: BackupContext;

async function put(bucket: string, key: string, body = 'x') {
  await getS3().send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: body }));
}

/** A backup (dump + manifest) whose key says it was taken `days` before `now`. */
async function putBackup(bucket: string, database: string, now: Date, days: number, manifest = true) {
  const key = backupKey('backups/', database, new Date(now.getTime() - days * DAY));
  await put(bucket, key);
  if (manifest) await put(bucket, manifestKeyOf(key), '{}');
  return manifest ? [key, manifestKeyOf(key)] : [key];
}

beforeAll(async () => {
  conn = await connectFileDatabase();
  await seedBank(conn, { transactions: 20 });
  ctx = await testContext({ bucket: await createBucket('prune') });
});

afterAll(async () => {
  await conn?.end();
});

describe('app-level prune (stores without lifecycle rules)', () => {
  it('removes only expired backups under its own prefix; other prefixes and the newest backup stay', async () => {
    const now = new Date('2026-11-24T03:00:00Z');
    const { bucket } = ctx;
    const db = ctx.settings.database;
    const expired = [
      ...(await putBackup(bucket, db, now, 8)),
      ...(await putBackup(bucket, db, now, 30)),
      ...(await putBackup(bucket, 'other_db', now, 9)),
      ...(await putBackup(bucket, db, now, 12, false)), // an old dump without manifest
    ];
    const young = [...(await putBackup(bucket, db, now, 6)), ...(await putBackup(bucket, db, now, 1))];
    const otherDbNewest = await putBackup(bucket, 'other_db', now, 8.5); // the only good one left for other_db
    const outside = [
      'reports/2020/01/01/summary.csv',
      'archive/backups/fm/2020/01/01/fm-20200101T000000000Z.sql.gz', // same shape, another prefix
      'backupsX/old.sql.gz',
      'backups/README.txt', // under the prefix but not a backup key
    ];
    for (const key of outside) await put(bucket, key);

    const result = await runPrune({ ...ctx, now: () => now });

    expect(result.deleted.sort()).toEqual(expired.sort());
    expect(await listKeys(bucket)).toEqual([...young, ...otherDbNewest, ...outside].sort());
  });

  it('never deletes the newest good backup, even when every backup is past the retention', async () => {
    const bucket = await createBucket('prune-newest');
    const c = { ...ctx, bucket };
    const real = await runBackup(c); // a real backup, taken now
    const older = await putBackup(bucket, c.settings.database, new Date(), 3);
    const farFuture = new Date(Date.now() + 60 * DAY); // everything is now 60+ days old

    const result = await runPrune({ ...c, now: () => farFuture });

    expect(result.deleted.sort()).toEqual(older.sort());
    expect(await listKeys(bucket)).toEqual([real.key, manifestKeyOf(real.key)]);
    expect(result.decisions.find((d) => d.key === real.key)?.reason).toMatch(
      /newest good backup .* kept although older/,
    );
  });

  it('with a dry run decides but deletes nothing', async () => {
    const bucket = await createBucket('prune-dry');
    const now = new Date('2026-11-24T03:00:00Z');
    const db = ctx.settings.database;
    const all = [...(await putBackup(bucket, db, now, 20)), ...(await putBackup(bucket, db, now, 1))];
    const result = await runPrune({ ...ctx, bucket, now: () => now }, { dryRun: true });
    expect(result.decisions.filter((d) => d.action === 'delete')).toHaveLength(2);
    expect(result.deleted).toEqual([]);
    expect(await listKeys(bucket)).toEqual(all.sort());
  });

  it('uses BACKUP_RETENTION_DAYS (7 by default)', () => {
    expect(ctx.retentionDays).toBe(7);
  });
});
