/**
 * GET /health — no auth. Reports whether the database and the backup bucket answer, with latencies.
 * Trigger: HTTP API. Env: MYSQL_URL or MYSQL_SECRET_ID, BACKUP_BUCKET, S3_ENDPOINT. IAM: s3:ListBucket on the
 * backup bucket (HeadBucket), secretsmanager:GetSecretValue on the DB secret.
 * 200 when both answer, 503 (the same report, with `error.code` dependency_unavailable) when either does not.
 */
import { DependencyError } from '../lib/errors.js';
import { checkHealth } from '../lib/health.js';
import { httpHandler, json, serverError } from '../lib/http/handler.js';

export const handler = httpHandler(async (_event, context) => {
  const report = await checkHealth();
  if (report.status === 'ok') return json(200, report);
  // The report, plus the `error` every other 503 of the API carries, so clients check one thing.
  const error = serverError(new DependencyError('a dependency is down'), context.awsRequestId);
  return json(503, { ...report, error });
});
