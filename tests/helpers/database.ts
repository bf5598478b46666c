/**
 * Test databases on the real server: each test file (and any test that needs a blank one) creates its own, so
 * files run in parallel without seeing each other's rows, and drops it afterwards.
 */
import { randomBytes } from 'node:crypto';
import mysql, { type Connection } from 'mysql2/promise';
import { migrate } from '../../lib/db/migrate.js';
import type { DbSettings } from '../../lib/db/settings.js';
import { settingsFromUrl } from '../../lib/db/settings.js';

export interface TestDatabase {
  name: string;
  url: string;
  settings: DbSettings;
  /** A fresh connection to this database (multipleStatements on, for fixtures); close it yourself. */
  connect(): Promise<Connection>;
  drop(): Promise<void>;
}

export function testDatabaseName(label: string): string {
  return `fm_test_${label.replace(/[^a-z0-9]/gi, '').slice(0, 20)}_${randomBytes(4).toString('hex')}`;
}

/** A database URL on the same server as `serverUrl`, naming `database`. */
export function databaseUrl(serverUrl: string, database: string): string {
  const url = new URL(serverUrl);
  url.pathname = `/${database}`;
  return url.toString();
}

export async function createTestDatabase(
  serverUrl: string,
  {
    label = 'db',
    migrated = true,
    name = testDatabaseName(label),
  }: { label?: string; migrated?: boolean; name?: string } = {},
): Promise<TestDatabase> {
  const base = settingsFromUrl(serverUrl);
  const settings: DbSettings = { ...base, database: name };
  const server = await mysql.createConnection({ ...base, database: undefined });
  await server.query(`CREATE DATABASE \`${name}\` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci`);
  await server.end();
  if (migrated) await migrate({ settings });
  return {
    name,
    url: databaseUrl(serverUrl, name),
    settings,
    connect: () => mysql.createConnection({ ...settings, multipleStatements: true, dateStrings: true }),
    async drop() {
      const conn = await mysql.createConnection({ ...base, database: undefined });
      await conn.query(`DROP DATABASE IF EXISTS \`${name}\``);
      await conn.end();
    },
  };
}
