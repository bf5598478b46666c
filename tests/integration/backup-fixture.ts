/**
 * Shared by the backup test files: a small bank with every kind of object a dump must carry (a view, a trigger, a
 * stored procedure and function, an event, binary data, non-ASCII text), a bucket of its own on the test S3 server,
 * and a backup context pointing at both.
 */
import { randomBytes } from 'node:crypto';
import {
  CreateBucketCommand,
  GetObjectCommand,
  ListObjectsV2Command,
  type S3Client,
} from '@aws-sdk/client-s3';
import type { Connection, RowDataPacket } from 'mysql2/promise';
import { type BackupContext, defaultBackupContext } from '../../lib/backup/context.js';
import { getConfig } from '../../lib/config.js';
import { resolveDbSettings } from '../../lib/db/settings.js';
import { getS3 } from '../../lib/s3/client.js';
import { createTestDatabase } from '../helpers/database.js';

/** A fresh bucket on the test S3 server (buckets are shared by the parallel test files). */
export async function createBucket(label: string): Promise<string> {
  const bucket = `fm-${label}-${randomBytes(4).toString('hex')}`;
  await getS3().send(new CreateBucketCommand({ Bucket: bucket }));
  return bucket;
}

export async function testContext(overrides: Partial<BackupContext> = {}): Promise<BackupContext> {
  return defaultBackupContext({ settings: await resolveDbSettings(), timeoutMs: 60_000, ...overrides });
}

export async function listKeys(bucket: string, prefix = '', s3: S3Client = getS3()): Promise<string[]> {
  const result = await s3.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix }));
  return (result.Contents ?? []).map((o) => o.Key as string).sort();
}

export async function readObject(bucket: string, key: string): Promise<Buffer> {
  const result = await getS3().send(new GetObjectCommand({ Bucket: bucket, Key: key }));
  return Buffer.from(await (result.Body?.transformToByteArray() ?? new Uint8Array()));
}

/** The file's own database (created and migrated by the setup file), opened for fixtures. */
export async function connectFileDatabase(): Promise<Connection> {
  const settings = await resolveDbSettings();
  const mysql = await import('mysql2/promise');
  return mysql.createConnection({ ...settings, multipleStatements: true, dateStrings: true });
}

/** Fills the brief's tables with a few hundred rows and adds one object of every kind. */
export async function seedBank(conn: Connection, { transactions = 500 } = {}): Promise<void> {
  await conn.query(`
    INSERT INTO transaction_types (type, description) VALUES ('deposit', 'Wpłata'), ('withdrawal', 'Wypłata'),
      ('transfer', 'Przelew "krajowy" \\\\ z ukośnikiem');
    INSERT INTO clients (first_name, last_name, identifier, birth_date, email, gender, registration_date, country, locale)
      VALUES ('Zażółć', 'Gęślą', '90010112345', '1990-01-01', 'z@example.pl', 'F', '2020-05-01', 'PL', 'pl_PL'),
             ('Jörg', 'Müller', 'DE-1', '1985-07-14', NULL, 'M', '2021-01-10', 'DE', 'de_DE');
    INSERT INTO accounts (client_id, account_number, account_type, opening_date, balance, currency)
      VALUES (1, 'PL61109010140000071219812874', 'personal', '2020-05-02', 1234.56, 'PLN'),
             (2, 'DE89370400440532013000', 'business', '2021-01-11', 99999.99, 'EUR');
  `);
  const rows: unknown[][] = [];
  for (let i = 0; i < transactions; i++) {
    rows.push([
      (i % 2) + 1,
      (i % 3) + 1,
      `2026-0${(i % 9) + 1}-1${i % 10} 12:${String(i % 60).padStart(2, '0')}:00`,
      ((i * 37) % 5000) / 10 - 100,
      i % 2 ? 'EUR' : 'PLN',
      'completed',
      `tytuł ${i} ‘quoted’ \\ ; -- not a comment`,
    ]);
  }
  await conn.query(
    'INSERT INTO transactions (account_id, transaction_type_id, date, amount, currency, status, title) VALUES ?',
    [rows],
  );
  await conn.query(`
    CREATE TABLE backup_fixture_blobs (id INT PRIMARY KEY AUTO_INCREMENT, data LONGBLOB NOT NULL) ENGINE=InnoDB;
    CREATE VIEW v_client_balances AS
      SELECT c.id AS client_id, SUM(a.balance) AS balance FROM clients c JOIN accounts a ON a.client_id = c.id GROUP BY c.id;
    CREATE TRIGGER trg_clients_upper BEFORE INSERT ON clients FOR EACH ROW SET NEW.last_name = UPPER(NEW.last_name);
    CREATE PROCEDURE count_transactions(IN account BIGINT UNSIGNED, OUT total INT)
      SELECT COUNT(*) INTO total FROM transactions WHERE account_id = account;
    CREATE FUNCTION double_it(x INT) RETURNS INT DETERMINISTIC RETURN x * 2;
    CREATE EVENT ev_nightly_noop ON SCHEDULE EVERY 1 DAY STARTS '2030-01-01 00:00:00' DISABLE DO SELECT 1;
  `);
  await conn.query('INSERT INTO backup_fixture_blobs (data) VALUES (?), (?)', [
    randomBytes(4096),
    Buffer.from([0, 1, 2, 39, 92, 255, 10, 13]),
  ]);
}

/** Adds ~`megabytes` MB of incompressible binary rows, so the dump needs a multipart upload. */
export async function addBulk(conn: Connection, megabytes: number): Promise<void> {
  for (let done = 0; done < megabytes; done++) {
    const values = Array.from({ length: 16 }, () => [randomBytes(64 * 1024)]);
    await conn.query('INSERT INTO backup_fixture_blobs (data) VALUES ?', [values]);
  }
}

export async function checksums(conn: Connection, database: string): Promise<Record<string, string>> {
  const [tables] = await conn.query<RowDataPacket[]>(
    "SELECT TABLE_NAME AS name FROM information_schema.TABLES WHERE TABLE_SCHEMA = ? AND TABLE_TYPE = 'BASE TABLE' ORDER BY 1",
    [database],
  );
  const result: Record<string, string> = {};
  for (const { name } of tables) {
    const [summed] = await conn.query<RowDataPacket[]>(`CHECKSUM TABLE \`${database}\`.\`${name}\``);
    const [counted] = await conn.query<RowDataPacket[]>(
      `SELECT COUNT(*) AS n FROM \`${database}\`.\`${name}\``,
    );
    result[name] = `${counted[0]?.n} rows, checksum ${summed[0]?.Checksum}`;
  }
  return result;
}

/** A blank database on the test server for restores (its `drop()` removes it). */
export async function blankDatabase(label: string) {
  const url = new URL(getConfig().MYSQL_URL);
  url.pathname = '/unused';
  return createTestDatabase(url.toString(), { label, migrated: false });
}
