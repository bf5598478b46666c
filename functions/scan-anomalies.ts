/**
 * scan-anomalies — the anomaly scan on a schedule (EventBridge, every 15 minutes by default: param
 * `scanSchedule`), also invocable by hand with `{ "mode": "full" }`.
 * Trigger: EventBridge schedule / manual invoke. Env: MYSQL_URL or MYSQL_SECRET_ID.
 * IAM: secretsmanager:GetSecretValue on the DB secret only (ScanAnomaliesRole).
 * After a scan it brings the dashboard's summary tables up to date (refreshAnalytics).
 * Overlapping invocations are safe: a named lock lets one work, the other records a skipped run.
 */
import { z } from 'zod';
import { refreshAnalytics } from '../lib/analytics/refresh.js';
import { jobHandler } from '../lib/jobs/handler.js';
import { runScan } from '../lib/scan/scan.js';

const scanEvent = z
  .object({
    mode: z.enum(['incremental', 'full']).default('incremental'),
    chunkSize: z.number().int().min(100).max(1_000_000).optional(),
  })
  .strict();

export const handler = jobHandler('scan-anomalies', scanEvent, async (event) => {
  const summary = await runScan({ mode: event.mode, chunkSize: event.chunkSize });
  // The dashboard's summary tables follow the new alerts (incremental; a no-op when nothing changed).
  if (summary.status !== 'skipped') await refreshAnalytics();
  return summary;
});
