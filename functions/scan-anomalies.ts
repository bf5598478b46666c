/**
 * scan-anomalies — the anomaly scan on a schedule (EventBridge, every 15 minutes by default: param
 * `scanSchedule`), also invocable by hand with `{ "mode": "full" }`.
 * Trigger: EventBridge schedule / manual invoke. Env: MYSQL_URL or MYSQL_SECRET_ID, JOB_DEADLINE_MARGIN_SECONDS.
 * IAM: secretsmanager:GetSecretValue on the DB secret; lambda:InvokeFunction on refresh-summaries, its on-success
 * destination (ScanAnomaliesRole).
 * The scan stops before a chunk it could not finish before the invocation's deadline (less the margin), commits
 * what it finished and records the run as `partial`; the next scheduled run goes on from the watermark. The
 * dashboard's summaries are not refreshed here: an asynchronous invocation that succeeds hands its result to the
 * refresh-summaries function (serverless.yml `destinations`), which has its own deadline.
 * Overlapping invocations are safe: a named lock lets one work, the other records a skipped run.
 */
import { z } from 'zod';
import { getConfig } from '../lib/config.js';
import { Deadline } from '../lib/jobs/deadline.js';
import { jobHandler } from '../lib/jobs/handler.js';
import { runScan } from '../lib/scan/scan.js';

const scanEvent = z
  .object({
    mode: z.enum(['incremental', 'full']).default('incremental'),
    chunkSize: z.number().int().min(100).max(1_000_000).optional(),
  })
  .strict();

export const handler = jobHandler('scan-anomalies', scanEvent, async (event, context) => {
  const deadline = Deadline.fromLambda(context, getConfig().JOB_DEADLINE_MARGIN_SECONDS);
  return runScan({ mode: event.mode, chunkSize: event.chunkSize, deadline });
});
