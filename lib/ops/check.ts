/**
 * The ops check: reads how long ago the last backup succeeded and the last scan completed (./freshness.ts) and
 * publishes both as CloudWatch metrics with Powertools Metrics — one Embedded Metric Format (EMF) line on stdout,
 * which CloudWatch Logs turns into metrics, so the function needs no cloudwatch:PutMetricData permission. The
 * alarms on them live in serverless.yml (OpsBackupStaleAlarm, OpsScanStaleAlarm; docs/operations.md).
 *
 * Metrics, in namespace OPS_METRICS_NAMESPACE with dimensions `service` (financial-monitor) and `Stage` (STAGE):
 *   - MinutesSinceLastBackup — whole minutes since the newest successful backup finished;
 *   - MinutesSinceLastScan — whole minutes since the newest completed scan finished.
 * A job that never succeeded is reported as NEVER_MINUTES, above every threshold, so its alarm fires.
 */
import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import { getConfig } from '../config.js';
import { explainDbError } from '../db/settings.js';
import { logger } from '../log.js';
import { readFreshness } from './freshness.js';

/** The `service` dimension: the service's name, as in the logs and serverless.yml's `service`. */
export const METRICS_SERVICE = 'financial-monitor';

/** The metric names the alarms in serverless.yml watch. */
export const OPS_METRICS = {
  backupAge: 'MinutesSinceLastBackup',
  scanAge: 'MinutesSinceLastScan',
} as const;

/** What "never" is published as: 999 999 minutes (about 694 days), far above any staleness threshold. */
export const NEVER_MINUTES = 999_999;

export interface OpsCheckResult {
  backup: { lastSucceededAt: string | null; minutesSince: number };
  scan: { lastCompletedAt: string | null; minutesSince: number };
}

let metrics: Metrics | undefined;

/** One Metrics per container, made when first used (its namespace and stage come from the config). */
function containerMetrics(): Metrics {
  const { OPS_METRICS_NAMESPACE, STAGE } = getConfig();
  metrics ??= new Metrics({
    namespace: OPS_METRICS_NAMESPACE,
    serviceName: METRICS_SERVICE,
    defaultDimensions: { Stage: STAGE },
  });
  return metrics;
}

/**
 * Reads the freshness of backups and scans, publishes it (one EMF line on stdout) and returns it. A database that
 * cannot be read throws: nothing is published, the invocation fails (the check's Errors alarm) and the staleness
 * alarms, which treat missing data as breaching, follow.
 *
 * @example const { backup } = await runOpsCheck(); // backup.minutesSince === 42
 */
export async function runOpsCheck(): Promise<OpsCheckResult> {
  const { backup, scan } = await readFreshness().catch(async (error: unknown) => {
    throw await explainDbError(error); // "not migrated: table scan_runs is missing …", not the driver's words
  });
  const result: OpsCheckResult = {
    backup: {
      lastSucceededAt: backup?.finishedAt ?? null,
      minutesSince: backup?.ageMinutes ?? NEVER_MINUTES,
    },
    scan: { lastCompletedAt: scan?.finishedAt ?? null, minutesSince: scan?.ageMinutes ?? NEVER_MINUTES },
  };
  const published = containerMetrics();
  published.addMetric(OPS_METRICS.backupAge, MetricUnit.NoUnit, result.backup.minutesSince);
  published.addMetric(OPS_METRICS.scanAge, MetricUnit.NoUnit, result.scan.minutesSince);
  published.publishStoredMetrics();
  logger.info('ops check', { ...result });
  return result;
}
