import type { Connection, ResultSetHeader, RowDataPacket } from 'mysql2/promise';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { parseSeedOptions } from '../../lib/seed/options.js';
import { runSeed } from '../../lib/seed/run.js';
import { createTestDatabase, type TestDatabase } from '../helpers/database.js';

const OPTIONS = parseSeedOptions({
  clients: 60,
  transactions: 4_000,
  from: '2025-01-01',
  to: '2026-01-01',
  seed: 2024,
  anomalyRate: 0.02,
});
/** Run logs legitimately differ between databases: the seed's (timings) and the migrator's (schema_*: apply times). */
const isRunLog = (table: string) => table === 'seed_runs' || table.startsWith('schema_');

async function checksums(db: TestDatabase): Promise<Record<string, string>> {
  const conn: Connection = await db.connect();
  try {
    const [tables] = await conn.query<RowDataPacket[]>(
      "SELECT TABLE_NAME AS name FROM information_schema.TABLES WHERE TABLE_SCHEMA = ? AND TABLE_TYPE = 'BASE TABLE' ORDER BY TABLE_NAME",
      [db.name],
    );
    const out: Record<string, string> = {};
    for (const { name } of tables) {
      if (isRunLog(String(name))) continue;
      const [rows] = await conn.query<RowDataPacket[]>(`CHECKSUM TABLE \`${name}\``);
      out[String(name)] = String(rows[0]?.Checksum);
    }
    return out;
  } finally {
    await conn.end();
  }
}

describe('seed determinism', () => {
  const dbs: TestDatabase[] = [];
  const open = async (label: string) => {
    const db = await createTestDatabase(inject('mysqlUrl'), { label });
    dbs.push(db);
    return db;
  };
  let first: TestDatabase;

  beforeAll(async () => {
    first = await open('seeddeta');
    await runSeed(OPTIONS, { settings: first.settings });
  });

  afterAll(async () => {
    for (const db of dbs) await db.drop();
  });

  it('gives identical CHECKSUM TABLE for every table with the same seed and options', async () => {
    const second = await open('seeddetb');
    await runSeed(OPTIONS, { settings: second.settings });
    const a = await checksums(first);
    expect(Object.keys(a)).toEqual(
      expect.arrayContaining(['clients', 'locations', 'accounts', 'transactions', 'anomaly_labels']),
    );
    expect(await checksums(second)).toEqual(a);
  });

  it('writes the very same bank through the INSERT fallback when the server refuses LOAD DATA LOCAL', async () => {
    const third = await open('seeddetc');
    // Without the LOCAL_FILES capability the server answers LOAD DATA LOCAL with ER_NOT_ALLOWED_COMMAND.
    const summary = await runSeed(OPTIONS, { settings: third.settings, connectionFlags: ['-LOCAL_FILES'] });
    expect(summary.method).toBe('insert');
    expect(await checksums(third)).toEqual(await checksums(first));
  });

  it('gives the same tables after every --reset with the same options, and numbers later rows as on a fresh database', async () => {
    const db = await open('seeddete');
    await runSeed(OPTIONS, { settings: db.settings });
    const conn = await db.connect();
    try {
      // What a bank in use holds besides the seed: alerts and a scan run, whose ids a reset must not carry on from.
      await conn.query(
        "INSERT INTO alerts (transaction_id, reason, risk_level, flagged_by) VALUES (3, 'rapid transfers', 'Medium', 'analyst')",
      );
      await conn.query(
        "INSERT INTO scan_runs (mode, status, started_at) VALUES ('full', 'succeeded', NOW(3))",
      );
      await runSeed({ ...OPTIONS, reset: true }, { settings: db.settings });
      const once = await checksums(db);
      await runSeed({ ...OPTIONS, reset: true }, { settings: db.settings });
      const twice = await checksums(db);
      expect(twice).toEqual(once);
      expect(twice).toEqual(await checksums(first));
      const [[labels]] = await conn.query<RowDataPacket[]>(
        'SELECT MIN(id) AS first, MAX(id) AS last, COUNT(*) AS n FROM anomaly_labels',
      );
      expect(labels).toMatchObject({ first: 1, last: Number(labels?.n) });
      const [alert] = await conn.query<ResultSetHeader>(
        "INSERT INTO alerts (transaction_id, reason, risk_level, flagged_by) VALUES (3, 'rapid transfers', 'Medium', 'analyst')",
      );
      expect(alert.insertId).toBe(1);
    } finally {
      await conn.end();
    }
  });

  it('gives a different bank for another seed', async () => {
    const fourth = await open('seeddetd');
    await runSeed({ ...OPTIONS, seed: 2025 }, { settings: fourth.settings });
    expect((await checksums(fourth)).transactions).not.toBe((await checksums(first)).transactions);
  });
});
