/**
 * Backs the database up to S3 (and prunes expired copies), or restore-tests the newest backup.
 * Trigger: EventBridge schedule `backupSchedule` (daily; event `{}` ⇒ backup + prune) and `backupVerifySchedule`
 * (input `{ "action": "verify" }`); also invoked by hand with `{ "action": "backup" | "verify" | "prune" }`.
 * Env: MYSQL_SECRET_ID (or MYSQL_URL), BACKUP_BUCKET, BACKUP_PREFIX, BACKUP_RETENTION_DAYS, BACKUP_GZIP_LEVEL,
 * MYSQLDUMP_PATH, MYSQL_CLIENT_PATH (the container image ships both), S3_ENDPOINT locally.
 * IAM (BackupRole): s3 Put/Get/Delete/multipart only on <bucket>/backups/*, ListBucket with a backups/ prefix
 * condition, secretsmanager:GetSecretValue on the DB secret.
 */
import { z } from 'zod';
import { runBackupJob } from '../lib/backup/job.js';
import { jobHandler } from '../lib/jobs/handler.js';

const eventSchema = z.object({
  action: z.enum(['backup', 'verify', 'prune']).default('backup'),
  prune: z.boolean().default(true),
});

export const handler = jobHandler('backup-database', eventSchema, (event, context) =>
  runBackupJob(event, { remainingMs: context.getRemainingTimeInMillis?.() }),
);
