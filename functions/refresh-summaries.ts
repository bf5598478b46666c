/**
 * refresh-summaries — brings the dashboard's summary tables up to date (lib/analytics/refresh.ts), in chunks that
 * each commit, until they are current or the invocation's deadline (less JOB_DEADLINE_MARGIN_SECONDS) comes; a
 * refresh stopped there answers `partial` and the next invocation goes on from its watermarks. A rebuild (after a
 * seed --reset, or `{ "full": true }`) fills build copies of the tables and swaps them in once complete, so the
 * dashboard never reads a half-rebuilt figure.
 * Trigger: the on-success destination of scan-anomalies and seed-data (their asynchronous invocations), an
 * EventBridge schedule (`summariesRefreshSchedule`: the safety net, and where a partial refresh goes on), or by
 * hand with `{}` / `{ "full": true }`. Env: MYSQL_URL or MYSQL_SECRET_ID, JOB_DEADLINE_MARGIN_SECONDS.
 * IAM (RefreshSummariesRole): secretsmanager:GetSecretValue on the DB secret only.
 * Overlapping invocations are safe: a named lock lets one work, the other waits briefly, then answers `busy`.
 */
import { z } from 'zod';
import { refreshAnalytics } from '../lib/analytics/refresh.js';
import { getConfig } from '../lib/config.js';
import { Deadline } from '../lib/jobs/deadline.js';
import { jobHandler } from '../lib/jobs/handler.js';

const refreshEvent = z.object({ full: z.boolean().default(false) }).strict();

export const handler = jobHandler('refresh-summaries', refreshEvent, async (event, context) => {
  const deadline = Deadline.fromLambda(context, getConfig().JOB_DEADLINE_MARGIN_SECONDS);
  return refreshAnalytics({ full: event.full, deadline, waitSeconds: 10 });
});
