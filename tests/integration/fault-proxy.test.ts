import mysql from 'mysql2/promise';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { settingsFromUrl } from '../../lib/db/settings.js';
import { type FaultProxy, startFaultProxy } from '../helpers/fault-proxy.js';

const server = settingsFromUrl(process.env.MYSQL_URL as string);
let proxy: FaultProxy;

const connect = (connectTimeout = 1_000) =>
  mysql.createConnection({ host: '127.0.0.1', port: proxy.port, user: server.user, connectTimeout });

/** How a promise ends within `ms`: its value, its error's code, or 'pending'. */
async function outcome(p: Promise<unknown>, ms: number): Promise<unknown> {
  const timer = new Promise((resolve) => setTimeout(() => resolve('pending'), ms));
  return Promise.race([
    p.then(
      (v) => v,
      (e: { code?: string }) => e.code ?? 'error',
    ),
    timer,
  ]);
}

describe('fault proxy (the fault tests put it in front of the real database)', () => {
  beforeAll(async () => {
    proxy = await startFaultProxy(server.port, server.host);
  });
  afterAll(async () => {
    await proxy.close();
  });

  it('passes a conversation through, and refuses connections while set to refuse', async () => {
    const conn = await connect();
    expect(await conn.query('SELECT 1 AS one').then(([rows]) => rows)).toEqual([{ one: 1 }]);
    await proxy.set('refuse');
    expect(await outcome(connect(), 2_000)).toBe('ECONNREFUSED');
    await proxy.set('pass');
    const again = await connect();
    await again.end();
    conn.destroy();
  });

  it('black-holes new connections: they time out, they are never refused', async () => {
    await proxy.set('blackhole');
    expect(await outcome(connect(500), 3_000)).toBe('ETIMEDOUT');
    await proxy.set('pass');
  });

  it('freezes an open connection mid-conversation, and lets it go on when set back to pass', async () => {
    const conn = await connect();
    await proxy.set('freeze');
    const query = conn.query('SELECT 2 AS two').then(([rows]) => rows);
    expect(await outcome(query, 500)).toBe('pending');
    await proxy.set('pass');
    expect(await outcome(query, 2_000)).toEqual([{ two: 2 }]);
    await conn.end();
  });

  it('resets open connections when killed, and takes new ones', async () => {
    const conn = await connect();
    conn.on('error', () => undefined);
    await proxy.set('kill');
    expect(await outcome(conn.query('SELECT 3'), 2_000)).not.toBe('pending');
    await proxy.set('pass');
    const fresh = await connect();
    expect(await fresh.query('SELECT 4 AS four').then(([rows]) => rows)).toEqual([{ four: 4 }]);
    await fresh.end();
  });
});
