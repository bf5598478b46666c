import mysql, { type Connection } from 'mysql2/promise';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  acquireNamedLock,
  findLockHolder,
  lockName,
  releaseNamedLock,
  SCAN_LOCK,
  SCAN_LOCK_JOBS,
} from '../../lib/db/locks.js';
import { resolveDbSettings } from '../../lib/db/settings.js';

const open = async (): Promise<Connection> => mysql.createConnection({ ...(await resolveDbSettings()) });

describe('named locks and their holders', () => {
  let holder: Connection;
  let reader: Connection;

  beforeEach(async () => {
    [holder, reader] = await Promise.all([open(), open()]);
  });

  afterEach(async () => {
    await Promise.all([holder.end().catch(() => undefined), reader.end().catch(() => undefined)]);
  });

  it('finds which job holds a lock, on which connection', async () => {
    const { database } = await resolveDbSettings();
    for (const job of SCAN_LOCK_JOBS) {
      const lock = await acquireNamedLock(holder, database, SCAN_LOCK, 0, job);
      expect(lock).toBe(lockName(database, SCAN_LOCK));
      expect(await findLockHolder(reader, database, SCAN_LOCK, SCAN_LOCK_JOBS)).toEqual({
        connectionId: holder.threadId,
        job,
      });
      expect(await acquireNamedLock(reader, database, SCAN_LOCK, 0, 'seed')).toBeUndefined();
      await releaseNamedLock(holder, lock as string);
      expect(await findLockHolder(reader, database, SCAN_LOCK, SCAN_LOCK_JOBS)).toBeUndefined();
    }
    // Released with the lock: the holder keeps no marker behind.
    const [[held]] = await reader.query<mysql.RowDataPacket[]>('SELECT IS_USED_LOCK(?) AS id', [
      `${lockName(database, SCAN_LOCK)}@migrate#${holder.threadId}`,
    ]);
    expect(held?.id).toBeNull();
  });

  it('names the job on a database whose name leaves no room for the marker in 64 characters', async () => {
    const database = `fm_${'x'.repeat(61)}`;
    expect(await acquireNamedLock(holder, database, SCAN_LOCK, 0, 'seed')).toBeDefined();
    expect(await findLockHolder(reader, database, SCAN_LOCK, SCAN_LOCK_JOBS)).toEqual({
      connectionId: holder.threadId,
      job: 'seed',
    });
  });

  it('says only the connection when the holder left no marker', async () => {
    const { database } = await resolveDbSettings();
    await holder.query('SELECT GET_LOCK(?, 0)', [lockName(database, SCAN_LOCK)]);
    expect(await findLockHolder(reader, database, SCAN_LOCK, SCAN_LOCK_JOBS)).toEqual({
      connectionId: holder.threadId,
    });
  });

  it('forgets a holder that crashed: lock and marker die with its connection', async () => {
    const { database } = await resolveDbSettings();
    expect(await acquireNamedLock(holder, database, SCAN_LOCK, 0, 'seed')).toBeDefined();
    holder.on('error', () => undefined); // the kill below ends its connection
    await reader.query(`KILL ${holder.threadId}`);
    expect(await acquireNamedLock(reader, database, SCAN_LOCK, 5)).toBeDefined();
    expect(await findLockHolder(reader, database, SCAN_LOCK, SCAN_LOCK_JOBS)).toEqual({
      connectionId: reader.threadId,
      job: SCAN_LOCK,
    });
  });
});
