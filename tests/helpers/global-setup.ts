/**
 * Runs once per project that needs services (integration, e2e), before its test files: fails fast (not a hang) when
 * no database answers, and starts a real S3-compatible server whose endpoint every test file receives through
 * `inject('s3Endpoint')`; the function it returns stops that server after the project's last file.
 */
import mysql from 'mysql2/promise';
import type { TestProject } from 'vitest/node';
import { DEFAULT_MYSQL_URL } from '../../lib/config.js';
import { settingsFromUrl } from '../../lib/db/settings.js';
import { startLocalS3 } from '../../scripts/local/s3-server.js';

declare module 'vitest' {
  export interface ProvidedContext {
    s3Endpoint: string;
    mysqlUrl: string;
  }
}

export async function setup(project: TestProject): Promise<() => Promise<void>> {
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
  const s3 = await startLocalS3();
  project.provide('s3Endpoint', s3.endpoint);
  project.provide('mysqlUrl', url);
  return () => s3.stop();
}
