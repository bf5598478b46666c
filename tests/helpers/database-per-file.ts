/**
 * Setup file of the integration and e2e projects: runs before each test file's own imports. It points MYSQL_URL
 * (read once by lib/config.ts) at a database of the file's own and S3_ENDPOINT at the test S3 server, then creates
 * and migrates that database. lib/ is imported only after the environment is set, so config sees these values.
 */
import { randomBytes } from 'node:crypto';
import { afterAll, inject } from 'vitest';
import { LOCAL_S3_CREDENTIALS } from '../../scripts/local/s3-server.js';

const name = `fm_test_file_${randomBytes(4).toString('hex')}`;
const serverUrl = new URL(inject('mysqlUrl'));
serverUrl.pathname = `/${name}`;
process.env.MYSQL_URL = serverUrl.toString();
process.env.S3_ENDPOINT = inject('s3Endpoint');
process.env.AWS_REGION = 'us-east-1';
process.env.AWS_ACCESS_KEY_ID = LOCAL_S3_CREDENTIALS.accessKeyId;
process.env.AWS_SECRET_ACCESS_KEY = LOCAL_S3_CREDENTIALS.secretAccessKey;

const { config } = await import('../../lib/config.js');
if (config.MYSQL_URL !== process.env.MYSQL_URL) {
  throw new Error(
    'lib/config.ts was loaded before the per-file database was set; keep lib imports out of this file',
  );
}
const { createTestDatabase } = await import('./database.js');
const db = await createTestDatabase(inject('mysqlUrl'), { name });

afterAll(async () => {
  const { closePool } = await import('../../lib/db/pool.js');
  await closePool();
  await db.drop();
});
