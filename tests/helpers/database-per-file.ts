/**
 * Setup file of the integration and e2e projects: runs before each test file's own imports, creates and migrates
 * that file's database and points MYSQL_URL (read once by lib/config.ts) and S3_ENDPOINT at it and the test S3.
 */
import { afterAll, inject } from 'vitest';
import { LOCAL_S3_CREDENTIALS } from '../../scripts/local/s3-server.js';
import { createTestDatabase } from './database.js';

const db = await createTestDatabase(inject('mysqlUrl'), { label: 'file' });
process.env.MYSQL_URL = db.url;
process.env.S3_ENDPOINT = inject('s3Endpoint');
process.env.AWS_REGION ??= 'us-east-1';
process.env.AWS_ACCESS_KEY_ID = LOCAL_S3_CREDENTIALS.accessKeyId;
process.env.AWS_SECRET_ACCESS_KEY = LOCAL_S3_CREDENTIALS.secretAccessKey;

afterAll(async () => {
  const { closePool } = await import('../../lib/db/pool.js');
  await closePool();
  await db.drop();
});
