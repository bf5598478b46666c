import { readFile } from 'node:fs/promises';
import type { Connection, RowDataPacket } from 'mysql2/promise';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { migrate } from '../../lib/db/migrate.js';
import { createTestDatabase, type TestDatabase } from '../helpers/database.js';

const BRIEF_TABLES = ['clients', 'locations', 'accounts', 'transaction_types', 'transactions', 'alerts'];
const created: TestDatabase[] = [];

async function blankDatabase(label: string): Promise<TestDatabase> {
  const db = await createTestDatabase(inject('mysqlUrl'), { label, migrated: false });
  created.push(db);
  return db;
}

async function all<T = RowDataPacket>(conn: Connection, sql: string, params: unknown[] = []): Promise<T[]> {
  const [rows] = await conn.query<RowDataPacket[]>(sql, params);
  return rows as unknown as T[];
}

/** Everything about the schema that a migration could change: columns, indexes, constraints, tables. */
async function schemaFingerprint(conn: Connection): Promise<string> {
  const parts = await Promise.all([
    all(
      conn,
      `SELECT TABLE_NAME, TABLE_COLLATION, ENGINE FROM information_schema.TABLES WHERE TABLE_SCHEMA = DATABASE() ORDER BY 1`,
    ),
    all(
      conn,
      `SELECT TABLE_NAME, COLUMN_NAME, COLUMN_TYPE, IS_NULLABLE, COLUMN_DEFAULT, EXTRA, COLLATION_NAME
                 FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = DATABASE() ORDER BY 1, ORDINAL_POSITION`,
    ),
    all(
      conn,
      `SELECT TABLE_NAME, INDEX_NAME, SEQ_IN_INDEX, COLUMN_NAME, NON_UNIQUE
                 FROM information_schema.STATISTICS WHERE TABLE_SCHEMA = DATABASE() ORDER BY 1, 2, 3`,
    ),
    all(
      conn,
      `SELECT CONSTRAINT_NAME, TABLE_NAME, REFERENCED_TABLE_NAME FROM information_schema.REFERENTIAL_CONSTRAINTS
                 WHERE CONSTRAINT_SCHEMA = DATABASE() ORDER BY 1`,
    ),
  ]);
  return JSON.stringify(parts);
}

/**
 * Every row of every brief table, values as text (a type change from DATE to DATETIME keeps the day). With `like`,
 * only the columns that snapshot had — columns the migration added are not "changes to a row".
 */
async function snapshotRows(
  conn: Connection,
  tables: string[],
  prefix = '',
  like?: Record<string, string[][]>,
): Promise<Record<string, string[][]>> {
  const out: Record<string, string[][]> = {};
  for (const table of tables) {
    const rows = await all<Record<string, unknown>>(conn, `SELECT * FROM \`${prefix}${table}\` ORDER BY id`);
    const keep = like?.[table]?.[0]?.map((cell) => cell.slice(0, cell.indexOf('=')));
    out[table] = rows.map((row) =>
      Object.keys(row)
        .filter((k) => !keep || keep.includes(k))
        .sort()
        .map((k) => `${k}=${row[k] === null ? 'NULL' : String(row[k]).replace(/ 00:00:00$/, '')}`),
    );
  }
  return out;
}

afterAll(async () => {
  for (const db of created) await db.drop();
});

describe('npm run migrate', () => {
  it('creates the schema on an empty database and changes nothing when run again', async () => {
    const db = await blankDatabase('fresh');
    const first = await migrate({ settings: db.settings });
    expect(first.applied).toContain('0001_brief_tables');
    const conn = await db.connect();
    const before = await schemaFingerprint(conn);
    const second = await migrate({ settings: db.settings });
    expect(second.applied).toEqual([]);
    expect(await schemaFingerprint(conn)).toBe(before);
    const tables = (
      await all<{ t: string }>(
        conn,
        'SELECT TABLE_NAME AS t FROM information_schema.TABLES WHERE TABLE_SCHEMA = DATABASE()',
      )
    ).map((r) => r.t);
    expect(tables).toEqual(
      expect.arrayContaining([...BRIEF_TABLES, 'scan_runs', 'scan_watermarks', 'alert_history']),
    );
    await conn.end();
  });

  it('lets two concurrent runs apply each migration exactly once', async () => {
    const db = await blankDatabase('concurrent');
    const [a, b] = await Promise.all([
      migrate({ settings: db.settings }),
      migrate({ settings: db.settings }),
    ]);
    const applied = [...a.applied, ...b.applied];
    expect(new Set(applied).size).toBe(applied.length);
    expect(applied).toContain('0001_brief_tables');
  });

  it('makes system alerts unique per transaction and rule, and enforces the brief vocabularies', async () => {
    const db = await blankDatabase('constraints');
    await migrate({ settings: db.settings });
    const conn = await db.connect();
    await conn.query(`INSERT INTO clients (id, first_name, last_name, identifier, birth_date, gender, registration_date, country, locale)
                      VALUES (1, 'A', 'B', 'X1', '1990-01-01', 'F', '2020-01-01', 'PL', 'pl_PL')`);
    await conn.query(`INSERT INTO accounts (id, client_id, account_number, account_type, opening_date, currency)
                      VALUES (1, 1, 'PL61109010140000071219812874', 'personal', '2020-01-01', 'PLN')`);
    await conn.query(`INSERT INTO transaction_types (id, type) VALUES (1, 'deposit')`);
    await conn.query(`INSERT INTO transactions (id, account_id, transaction_type_id, date, amount, currency)
                      VALUES (1, 1, 1, '2024-01-01 10:00:00', 10, 'PLN')`);
    const alert = `INSERT INTO alerts (transaction_id, reason, risk_level, flagged_by, rule_id) VALUES (1, 'high amount', 'High', 'system', ?)`;
    await conn.query(alert, ['high-amount']);
    await expect(conn.query(alert, ['high-amount'])).rejects.toMatchObject({ code: 'ER_DUP_ENTRY' });
    // An analyst flag is unique while it is active (not closed) per transaction and reason; legacy system rows
    // without a rule id may repeat (they did in the original data).
    const flag = `INSERT INTO alerts (transaction_id, reason, risk_level, flagged_by, created_by) VALUES (1, 'note', 'Low', 'analyst', 'ana')`;
    await conn.query(flag);
    await expect(conn.query(flag)).rejects.toMatchObject({ code: 'ER_DUP_ENTRY' });
    await conn.query(
      `UPDATE alerts SET status = 'closed', disposition = 'confirmed' WHERE flagged_by = 'analyst'`,
    );
    await conn.query(flag);
    await conn.query(
      `INSERT INTO alerts (transaction_id, reason, risk_level, flagged_by) VALUES (1, 'legacy', 'Low', 'system'), (1, 'legacy', 'Low', 'system')`,
    );
    await expect(
      conn.query(
        `INSERT INTO alerts (transaction_id, reason, risk_level, flagged_by) VALUES (1, 'x', 'Critical', 'system')`,
      ),
    ).rejects.toThrow();
    await expect(
      conn.query(
        `INSERT INTO alerts (transaction_id, reason, risk_level, flagged_by) VALUES (1, 'x', 'Low', 'robot')`,
      ),
    ).rejects.toThrow();
    await expect(
      conn.query(
        `INSERT INTO transactions (account_id, transaction_type_id, date, amount, currency, status) VALUES (1, 1, NOW(), 1, 'PLN', 'lost')`,
      ),
    ).rejects.toThrow();
    await expect(
      conn.query(
        `INSERT INTO transactions (account_id, transaction_type_id, date, amount, currency) VALUES (999, 1, NOW(), 1, 'PLN')`,
      ),
    ).rejects.toMatchObject({ code: 'ER_NO_REFERENCED_ROW_2' });
    await expect(conn.query(`UPDATE accounts SET account_type = 'gold' WHERE id = 1`)).rejects.toThrow();
    await expect(conn.query(`UPDATE accounts SET currency = 'pl' WHERE id = 1`)).rejects.toThrow();
    await expect(
      conn.query(
        `UPDATE alerts SET disposition = 'confirmed' WHERE flagged_by = 'analyst' AND status = 'open'`,
      ),
    ).rejects.toThrow();
    await conn.end();
  });
});

describe('adopting the original Financial Monitor database', () => {
  async function legacyDatabase(label: string, extraSql = ''): Promise<TestDatabase> {
    const db = await blankDatabase(label);
    const conn = await db.connect();
    await conn.query(
      await readFile(new URL('../fixtures/legacy-financial-monitor.sql', import.meta.url), 'utf8'),
    );
    if (extraSql) await conn.query(extraSql);
    await conn.end();
    return db;
  }

  it('keeps every row of every table, every alert included, and removes the date quirk', async () => {
    const db = await legacyDatabase('legacy');
    const conn = await db.connect();
    const before = await snapshotRows(conn, BRIEF_TABLES);

    const result = await migrate({ settings: db.settings });
    expect(result.applied).toContain('0001_brief_tables');

    expect(await snapshotRows(conn, BRIEF_TABLES, '', before)).toEqual(before);
    // The old tables stay, untouched, as legacy_<name>.
    expect(await snapshotRows(conn, BRIEF_TABLES, 'legacy_')).toEqual(before);
    // All six alerts, duplicates included (system and analyst ones).
    expect((await all(conn, 'SELECT id FROM alerts')).length).toBe(6);

    // Updating a transaction no longer rewrites its date.
    const dateBefore = (await all<{ date: string }>(conn, 'SELECT date FROM transactions WHERE id = 102'))[0]
      ?.date;
    await new Promise((r) => setTimeout(r, 1100));
    await conn.query(`UPDATE transactions SET status = 'completed' WHERE id = 102`);
    const dateAfter = (await all<{ date: string }>(conn, 'SELECT date FROM transactions WHERE id = 102'))[0]
      ?.date;
    expect(dateAfter).toBe(dateBefore);
    expect(dateAfter).toBe('2024-03-03 12:00:00');

    // Now in our shape: utf8mb4, BIGINT ids, DATETIME, foreign keys; new rows continue after the old ids.
    const [col] = await all<{ t: string; c: string }>(
      conn,
      `SELECT COLUMN_TYPE AS t, COLLATION_NAME AS c FROM information_schema.COLUMNS
        WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = 'clients' AND COLUMN_NAME = 'last_name'`,
    );
    expect(col?.c).toMatch(/^utf8mb4/);
    const [dateCol] = await all<{ t: string; x: string }>(
      conn,
      `SELECT COLUMN_TYPE AS t, EXTRA AS x FROM information_schema.COLUMNS
        WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = 'transactions' AND COLUMN_NAME = 'date'`,
    );
    expect(dateCol?.t).toBe('datetime');
    expect(dateCol?.x).not.toMatch(/on update/i);
    const fks = await all<{ n: string }>(
      conn,
      `SELECT CONSTRAINT_NAME AS n FROM information_schema.REFERENTIAL_CONSTRAINTS
        WHERE CONSTRAINT_SCHEMA = DATABASE() AND TABLE_NAME IN ('locations','accounts','transactions','alerts')`,
    );
    expect(fks.map((f) => f.n)).toEqual(
      expect.arrayContaining([
        'fk_locations_client',
        'fk_accounts_client',
        'fk_transactions_account',
        'fk_transactions_type',
        'fk_alerts_transaction',
      ]),
    );
    const [inserted] = await conn.query<RowDataPacket[] & { insertId: number }>(
      `INSERT INTO alerts (transaction_id, reason, risk_level, flagged_by) VALUES (100, 'note', 'Low', 'analyst')`,
    );
    expect((inserted as unknown as { insertId: number }).insertId).toBe(7);

    // And a second run changes nothing.
    const fingerprint = await schemaFingerprint(conn);
    expect((await migrate({ settings: db.settings })).applied).toEqual([]);
    expect(await schemaFingerprint(conn)).toBe(fingerprint);
    await conn.end();
  });

  it('refuses, changing nothing, when a row would break a foreign key', async () => {
    const db = await legacyDatabase(
      'orphan',
      `INSERT INTO alerts VALUES (7, 999, 'high amount', 'High', '2024-03-07', 'system')`,
    );
    const conn = await db.connect();
    const before = await snapshotRows(conn, BRIEF_TABLES);
    const fingerprint = await schemaFingerprint(conn);
    await expect(migrate({ settings: db.settings })).rejects.toThrow(
      /1 row\(s\) of alerts point to a transactions id that does not exist/,
    );
    expect(await snapshotRows(conn, BRIEF_TABLES)).toEqual(before);
    // Only the bookkeeping table is new; no scratch tables are left behind.
    const after = JSON.parse(await schemaFingerprint(conn))[0] as Array<{ TABLE_NAME: string }>;
    expect(after.map((t) => t.TABLE_NAME).filter((n) => n !== 'schema_migrations')).toEqual(
      (JSON.parse(fingerprint)[0] as Array<{ TABLE_NAME: string }>).map((t) => t.TABLE_NAME),
    );
    await conn.end();
  });

  it('refuses, changing nothing, when a value does not fit the new type', async () => {
    const db = await legacyDatabase('badvalue', `UPDATE clients SET gender = 'X' WHERE id = 2`);
    const conn = await db.connect();
    const before = await snapshotRows(conn, BRIEF_TABLES);
    await expect(migrate({ settings: db.settings })).rejects.toThrow(/they are unchanged.*gender/s);
    expect(await snapshotRows(conn, BRIEF_TABLES)).toEqual(before);
    const leftovers = await all(
      conn,
      `SELECT TABLE_NAME FROM information_schema.TABLES WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME LIKE '\\_fm\\_%'`,
    );
    expect(leftovers).toEqual([]);
    await conn.end();
  });
});

describe('sql/views', () => {
  it('creates each view once and re-applies it only when its file changes', async () => {
    const { mkdtemp, writeFile } = await import('node:fs/promises');
    const os = await import('node:os');
    const path = await import('node:path');
    const viewsDir = await mkdtemp(path.join(os.tmpdir(), 'fm-views-'));
    const db = await blankDatabase('views');
    await writeFile(
      path.join(viewsDir, 'v_alert_count.sql'),
      'CREATE OR REPLACE VIEW v_alert_count AS SELECT COUNT(*) AS n FROM alerts',
    );
    expect((await migrate({ settings: db.settings, viewsDir })).views).toEqual(['v_alert_count']);
    expect((await migrate({ settings: db.settings, viewsDir })).views).toEqual([]);
    await writeFile(
      path.join(viewsDir, 'v_alert_count.sql'),
      "CREATE OR REPLACE VIEW v_alert_count AS SELECT COUNT(*) AS n FROM alerts WHERE status = 'open'",
    );
    expect((await migrate({ settings: db.settings, viewsDir })).views).toEqual(['v_alert_count']);
    const conn = await db.connect();
    expect(await all(conn, 'SELECT n FROM v_alert_count')).toEqual([{ n: 0 }]);
    await conn.end();
  });
});
