/**
 * ops-check — publishes the minutes since the last successful backup and the last completed scan as CloudWatch
 * metrics (EMF on stdout), which the alarms "no successful backup in 26 h" and "no scan in 1 h" watch
 * (docs/operations.md). Read from backup_runs and scan_runs, so they hold whatever runs the backup and the scan.
 * Trigger: EventBridge schedule `opsCheckSchedule` (every 5 minutes); also invoked by hand, with no payload.
 * Env: MYSQL_SECRET_ID (or MYSQL_URL), STAGE, OPS_METRICS_NAMESPACE.
 * IAM (OpsCheckRole): secretsmanager:GetSecretValue on the DB secret only; EMF needs no cloudwatch permission.
 */
import { z } from 'zod';
import { jobHandler } from '../lib/jobs/handler.js';
import { runOpsCheck } from '../lib/ops/check.js';

/** It takes no input: a payload with any field is a mistake, and rejected. */
const opsCheckEvent = z.strictObject({});

export const handler = jobHandler('ops-check', opsCheckEvent, () => runOpsCheck());
