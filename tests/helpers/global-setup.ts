/**
 * Runs once before all test files: fails fast (not a hang) when no database answers, and starts a real
 * S3-compatible server whose endpoint every test file receives through `inject('s3Endpoint')`.
 */
import mysql from 'mysql2/promise';
import type { TestProject } from 'vitest/node';
import { DEFAULT_MYSQL_URL } from '../../lib/config.js';
import { settingsFromUrl } from '../../lib/db/settings.js';
import { type LocalS3, startLocalS3 } from '../../scripts/local/s3-server.js';

declare module 'vitest' {
  export interface ProvidedContext {
    s3Endpoint: string;
    mysqlUrl: string;
  }
}

let s3: LocalS3 | undefined;

export async function setup(project: TestProject): Promise<void> {
  const url = process.env.MYSQL_URL || DEFAULT_MYSQL_URL;
  const settings = settingsFromUrl(url);
  try {
    const conn = await mysql.createConnection({ ...settings, database: undefined, connectTimeout: 5_000 });
    await conn.query('SELECT 1');
    await conn.end();
  } catch (error) {
    const code = (error as { code?: string }).code ?? (error as Error).message;
    throw new Error(
      `No MySQL/MariaDB server answers at ${settings.host}:${settings.port} (${code}). ` +
        'Start one (here: start-stop-daemon --start --oknodo --background --exec /usr/sbin/mariadbd) or set MYSQL_URL.',
    );
  }
  s3 = await startLocalS3();
  project.provide('s3Endpoint', s3.endpoint);
  project.provide('mysqlUrl', url);
}

export async function teardown(): Promise<void> {
  await s3?.stop();
}
