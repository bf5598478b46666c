/**
 * Setup file of the integration and e2e projects: runs before each test file's own imports. It points MYSQL_URL at a
 * database of the file's own and S3_ENDPOINT at the test S3 server, then creates and migrates that database.
 * lib/config.ts reads the environment when first asked (getConfig), so the order of imports does not matter.
 */
import { randomBytes } from 'node:crypto';
import { afterAll, inject } from 'vitest';
import { closePool } from '../../lib/db/pool.js';
import { LOCAL_S3_CREDENTIALS } from '../../scripts/local/s3-server.js';
import { createTestDatabase } from './database.js';

const name = `fm_test_file_${randomBytes(4).toString('hex')}`;
const serverUrl = new URL(inject('mysqlUrl'));
serverUrl.pathname = `/${name}`;
process.env.MYSQL_URL = serverUrl.toString();
process.env.S3_ENDPOINT = inject('s3Endpoint');
process.env.AWS_REGION = 'us-east-1';
process.env.AWS_ACCESS_KEY_ID = LOCAL_S3_CREDENTIALS.accessKeyId;
process.env.AWS_SECRET_ACCESS_KEY = LOCAL_S3_CREDENTIALS.secretAccessKey;

const db = await createTestDatabase(inject('mysqlUrl'), { name });

afterAll(async () => {
  await closePool();
  await db.drop();
});
