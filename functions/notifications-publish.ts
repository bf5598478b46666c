/**
 * The notifications publisher: first the check for missed due times (a 'case_overdue' outbox row per case past its
 * due time, once per due time), then delivers pending notifications to the SNS topic and the webhooks, retrying with
 * backoff, until nothing is due or 15 s before its timeout.
 * Trigger: EventBridge schedule `notifySchedule` (every minute); serverless offline runs it too; invoke by hand
 * with `{}`. Env: MYSQL_SECRET_ID (or MYSQL_URL), NOTIFY_TOPIC_ARN, NOTIFY_WEBHOOKS, NOTIFY_MAX_ATTEMPTS,
 * NOTIFY_RETRY_BASE_MS, NOTIFY_RETRY_MAX_MS, NOTIFY_OLD_TRANSACTION_HOURS; SNS_ENDPOINT locally.
 * IAM (NotificationsPublishRole): sns:Publish on NotificationsTopic only; secretsmanager:GetSecretValue on the DB
 * secret and the webhook secrets (<service>-<stage>/webhook-*).
 */
import { z } from 'zod';
import { jobHandler } from '../lib/jobs/handler.js';
import { enqueueOverdueNotifications } from '../lib/notify/outbox.js';
import { publishPending } from '../lib/notify/publisher.js';

const eventSchema = z.object({}).strict();

/** Room left for recording the last round's outcomes before the function's timeout. */
const MARGIN_MS = 15_000;

export const handler = jobHandler('notifications-publish', eventSchema, async (_event, context) => {
  const overdue = await enqueueOverdueNotifications();
  const budgetMs = Math.max(1_000, (context.getRemainingTimeInMillis?.() ?? 60_000) - MARGIN_MS);
  return { overdue, ...(await publishPending({ budgetMs })) };
});
