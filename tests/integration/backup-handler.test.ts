import type { Context } from 'aws-lambda';
import { beforeAll, describe, expect, it } from 'vitest';
import { handler } from '../../functions/backup-database.js';
import { runBackupJob } from '../../lib/backup/job.js';
import { manifestKeyOf } from '../../lib/backup/keys.js';
import { ValidationError } from '../../lib/errors.js';
import { connectFileDatabase, createBucket, listKeys, seedBank } from './backup-fixture.js';

const context = {
  awsRequestId: 'test-request',
  functionName: 'backup-database',
  getRemainingTimeInMillis: () => 900_000,
} as unknown as Context;
let bucket: string;

beforeAll(async () => {
  const conn = await connectFileDatabase();
  await seedBank(conn, { transactions: 50 });
  await conn.end();
  bucket = await createBucket('job');
});

describe('backup-database Lambda', () => {
  it('rejects an event it does not understand, and the invocation fails', async () => {
    await expect(handler({ action: 'drop-everything' }, context)).rejects.toThrow(ValidationError);
  });

  it('backs up and prunes on the scheduled event shape, then verifies on { action: "verify" }', async () => {
    const backup = await runBackupJob(
      { action: 'backup', prune: true },
      { remainingMs: 900_000, context: { bucket } },
    );
    expect(backup).toMatchObject({ action: 'backup', pruned: [] });
    const key = (backup as { key: string }).key;
    expect(await listKeys(bucket)).toEqual([key, manifestKeyOf(key)]);
    const verified = await runBackupJob({ action: 'verify', prune: true }, { context: { bucket } });
    expect(verified).toMatchObject({ action: 'verify', key, status: 'passed' });
  });
});
