import mysql, { type RowDataPacket } from 'mysql2/promise';
import { beforeAll, describe, expect, it } from 'vitest';
import { acquireNamedLock } from '../../lib/db/locks.js';
import { query } from '../../lib/db/pool.js';
import { resolveDbSettings } from '../../lib/db/settings.js';
import { DependencyError } from '../../lib/errors.js';
import { parseSeedOptions } from '../../lib/seed/options.js';
import { runSeed } from '../../lib/seed/run.js';

const BASE = { clients: 60, transactions: 5_000, from: '2025-01-01', to: '2026-01-01', seed: 5 };
const TABLES = ['clients', 'locations', 'accounts', 'transactions', 'anomaly_labels', 'alerts', 'seed_runs'];

async function snapshot(): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const t of TABLES) {
    const [row] = await query<RowDataPacket>(`CHECKSUM TABLE \`${t}\``);
    const [n] = await query<{ n: number }>(`SELECT COUNT(*) AS n FROM \`${t}\``);
    out[t] = `${n?.n}:${row?.Checksum}`;
  }
  return out;
}

describe('seed failures leave the database as it was', () => {
  let before: Record<string, string>;

  beforeAll(async () => {
    await runSeed(parseSeedOptions(BASE));
    await query(
      "INSERT INTO alerts (transaction_id, reason, risk_level, flagged_by) VALUES (3, 'rapid transfers', 'Medium', 'analyst')",
    );
    before = await snapshot();
  });

  it('keeps the old bank when --reset fails half-way through the transactions', async () => {
    await expect(
      runSeed(parseSeedOptions({ ...BASE, seed: 6, reset: true }), { failAfterTransactions: 2_500 }),
    ).rejects.toThrow('injected failure after 2500 transactions');
    expect(await snapshot()).toEqual(before);
  });

  it('adds nothing when --append fails half-way', async () => {
    await expect(
      runSeed(parseSeedOptions({ ...BASE, seed: 7, append: true }), { failAfterTransactions: 3_000 }),
    ).rejects.toThrow('injected failure');
    expect(await snapshot()).toEqual(before);
  });

  it('adds nothing when the INSERT fallback fails half-way', async () => {
    await expect(
      runSeed(parseSeedOptions({ ...BASE, seed: 8, append: true }), {
        method: 'insert',
        failAfterTransactions: 4_100,
      }),
    ).rejects.toThrow('injected failure');
    expect(await snapshot()).toEqual(before);
  });

  it('keeps the old bank when the connection is killed in the middle of the load', async () => {
    const settings = await resolveDbSettings();
    let threadId = 0;
    let killed: Promise<void> | undefined;
    await expect(
      runSeed(parseSeedOptions({ ...BASE, transactions: 40_000, seed: 9, reset: true }), {
        onStarted: (info) => {
          threadId = info.threadId;
        },
        onProgress: ({ table, done }) => {
          if (table === 'transactions' && done > 10_000 && !killed)
            killed = mysql.createConnection({ ...settings }).then(async (admin) => {
              await admin.query(`KILL ${threadId}`);
              await admin.end();
            });
        },
      }),
    ).rejects.toThrow();
    await killed;
    expect(threadId).toBeGreaterThan(0);
    expect(await snapshot()).toEqual(before);
  });

  it('says clearly when the database is unreachable', async () => {
    const settings = { ...(await resolveDbSettings()), port: 1 };
    await expect(runSeed(parseSeedOptions(BASE), { settings })).rejects.toThrow(DependencyError);
    await expect(runSeed(parseSeedOptions(BASE), { settings })).rejects.toThrow(
      /^MySQL at 127\.0\.0\.1:1 refused the connection: nothing listens there \(ECONNREFUSED\); start the server/,
    );
  });

  it('says which database is missing, and how to create it, instead of calling the server unreachable', async () => {
    const settings = { ...(await resolveDbSettings()), database: 'fm_does_not_exist_yet' };
    const error = await runSeed(parseSeedOptions(BASE), { settings }).catch((e: Error) => e);
    expect(error).toBeInstanceOf(DependencyError);
    expect((error as Error).message).toMatch(
      /^database fm_does_not_exist_yet does not exist on 127\.0\.0\.1:\d+ yet; npm run migrate creates it/,
    );
  });

  it('says the credentials were refused, without the password', async () => {
    const settings = { ...(await resolveDbSettings()), user: 'fm_nobody', password: 'not-the-password' };
    const error = await runSeed(parseSeedOptions(BASE), { settings }).catch((e: Error) => e);
    expect(error).toBeInstanceOf(DependencyError);
    expect((error as Error).message).toMatch(
      /refused user fm_nobody \(ER_ACCESS_DENIED_ERROR\); check the user/,
    );
    expect((error as Error).message).not.toContain('not-the-password');
  });

  it('refuses a second seed while one holds the lock, naming the connection that holds it', async () => {
    const settings = await resolveDbSettings();
    const holder = await mysql.createConnection({ ...settings });
    try {
      // As runSeed takes it (waiting for the seed killed above, whose connection holds it until it has rolled back).
      expect(await acquireNamedLock(holder, settings.database, 'seed', 30, 'seed')).toBeDefined();
      await expect(runSeed(parseSeedOptions({ ...BASE, append: true }))).rejects.toThrow(
        new RegExp(
          `^another seed is running on database ${settings.database} \\(connection ${holder.threadId} holds the seed lock\\); try again`,
        ),
      );
    } finally {
      await holder.end();
    }
    expect(await snapshot()).toEqual(before);
  });
});
