/**
 * The daily digest: new cases in the last day by risk, overdue cases, cases of old transactions (which paged no
 * one), and the last backup's status — one e-mail through SES v2 from NOTIFY_MAIL_FROM to NOTIFY_DIGEST_TO.
 * Trigger: EventBridge schedule `digestSchedule` (daily); invoke by hand with `{}`. Env: MYSQL_SECRET_ID (or
 * MYSQL_URL), NOTIFY_MAIL_FROM, NOTIFY_DIGEST_TO, NOTIFY_OLD_TRANSACTION_HOURS; SES_ENDPOINT locally.
 * IAM (NotificationsDigestRole): ses:SendEmail on the configured identity only; the DB secret.
 */
import { z } from 'zod';
import { jobHandler } from '../lib/jobs/handler.js';
import { sendDigest } from '../lib/notify/digest.js';

const eventSchema = z.object({}).strict();

export const handler = jobHandler('notifications-digest', eventSchema, () => sendDigest());
