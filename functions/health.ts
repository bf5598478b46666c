/**
 * GET /health — no auth. Reports whether the database and the backup bucket answer, with latencies.
 * Trigger: HTTP API. Env: MYSQL_URL or MYSQL_SECRET_ID, BACKUP_BUCKET, S3_ENDPOINT. IAM: s3:ListBucket on the
 * backup bucket (HeadBucket), secretsmanager:GetSecretValue on the DB secret.
 * 200 when both answer, 503 (same body) when either does not.
 */
import { checkHealth } from '../lib/health.js';
import { httpHandler, json } from '../lib/http/handler.js';

export const handler = httpHandler(async () => {
  const report = await checkHealth();
  return json(report.status === 'ok' ? 200 : 503, report);
});
