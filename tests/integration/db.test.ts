import mysql from 'mysql2/promise';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execute, getPool, query, withNamedLock, withTransaction } from '../../lib/db/pool.js';
import { resolveDbSettings } from '../../lib/db/settings.js';

beforeAll(async () => {
  await execute('CREATE TABLE scratch (id INT PRIMARY KEY, v VARCHAR(10))');
});

afterAll(async () => {
  await execute('DROP TABLE IF EXISTS scratch');
});

describe('lib/db', () => {
  it('reuses one pool and returns typed rows with dates as written', async () => {
    expect(await getPool()).toBe(await getPool());
    const [row] = await query<{ d: string; n: number }>(
      "SELECT CAST('2024-03-01 08:15:00' AS DATETIME) AS d, 42 AS n",
    );
    expect(row).toEqual({ d: '2024-03-01 08:15:00', n: 42 });
  });

  it('commits a transaction that resolves and rolls back one that throws', async () => {
    await withTransaction(async (conn) => {
      await execute('INSERT INTO scratch VALUES (1, ?)', ['kept'], conn);
    });
    await expect(
      withTransaction(async (conn) => {
        await execute('INSERT INTO scratch VALUES (2, ?)', ['lost'], conn);
        throw new Error('boom');
      }),
    ).rejects.toThrow('boom');
    expect(await query('SELECT id, v FROM scratch ORDER BY id')).toEqual([{ id: 1, v: 'kept' }]);
  });

  it('lets only one holder run under a named lock at a time', async () => {
    let release!: () => void;
    const holding = new Promise<void>((r) => {
      release = r;
    });
    const first = withNamedLock('test-job', async () => {
      await holding;
      return 'first';
    });
    await new Promise((r) => setTimeout(r, 100));
    const second = await withNamedLock('test-job', async () => 'second');
    expect(second).toEqual({ acquired: false });
    release();
    expect(await first).toEqual({ acquired: true, result: 'first' });
    expect(await withNamedLock('test-job', async () => 'third')).toEqual({ acquired: true, result: 'third' });
  });

  it('retries a read once when the server dropped its connection', async () => {
    const pool = await getPool();
    const conn = await pool.getConnection();
    const [[{ id }]] = (await conn.query('SELECT CONNECTION_ID() AS id')) as unknown as [[{ id: number }]];
    conn.release();
    // Kill the pooled connection from outside, as a server restart or an idle timeout would.
    const settings = await resolveDbSettings();
    const admin = await mysql.createConnection({ ...settings });
    await admin.query(`KILL CONNECTION ${Number(id)}`);
    await admin.end();
    const rows = await query<{ one: number }>('SELECT 1 AS one');
    expect(rows).toEqual([{ one: 1 }]);
  });
});
