/**
 * `npm run scan [-- options]`: the anomaly scan by hand (the scan-anomalies Lambda runs the same code on a
 * schedule). Incremental by default; see --help.
 */
import { refreshAnalytics } from '../lib/analytics/refresh.js';
import { defineCli } from '../lib/cli/args.js';
import { getConfig } from '../lib/config.js';
import { ValidationError } from '../lib/errors.js';
import { Deadline } from '../lib/jobs/deadline.js';
import { evaluateDetection, formatEvaluation } from '../lib/scan/evaluate.js';
import { anomalyReport, formatReport } from '../lib/scan/report.js';
import { checkWorkerOptions, MAX_WORKERS, runLocalRescan } from '../lib/scan/rescan/local.js';
import { MAX_PARTITIONS } from '../lib/scan/rescan/plan.js';
import { runScan, type ScanSummary } from '../lib/scan/scan.js';
import { runCli } from './cli.js';

const cli = defineCli({
  usage: 'npm run scan [-- options]',
  description: "Scans transactions for anomalies and writes explained alerts (flagged_by = 'system').",
  noOption: 'incremental scan: only transactions not scanned yet',
  options: {
    full: { type: 'boolean', help: 'rescan every transaction (existing alerts are kept, never duplicated)' },
    'chunk-size': {
      type: 'integer',
      arg: 'N',
      min: 100,
      max: 1_000_000,
      help: 'new transactions per committed chunk (incremental; default 20000)',
    },
    'deadline-seconds': {
      type: 'integer',
      arg: 'N',
      min: 1,
      max: 86_400,
      help: 'stop cleanly within N seconds (less JOB_DEADLINE_MARGIN_SECONDS), as the Lambda does at its timeout:\nwhat is finished is committed, the run is recorded as partial, the next run goes on',
    },
    workers: {
      type: 'integer',
      arg: 'N',
      min: 1,
      max: MAX_WORKERS,
      help: `--full only: a partitioned rescan in N worker processes (1-${MAX_WORKERS}; the same parts the state machine runs)`,
    },
    partitions: {
      type: 'integer',
      arg: 'P',
      min: 1,
      max: MAX_PARTITIONS,
      help: '--workers only: client partitions, N or more (default N)',
    },
    report: {
      type: 'boolean',
      help: 'print statistics of detected anomalies (by rule, risk, currency, country, month)',
    },
    evaluate: {
      type: 'boolean',
      help: "compare alerts with the seeder's labels (precision / recall per injected kind)",
    },
    json: { type: 'boolean', help: 'print --report / --evaluate / the scan summary as JSON' },
  },
  notes: `--report and --evaluate only read; combine them with --full to scan first.
Database: MYSQL_URL (default mysql://root@127.0.0.1:3306/financial_monitor).`,
});

await runCli(async () => {
  const values = cli.parse(process.argv.slice(2));
  if (!values) return;
  const chunkSize = values['chunk-size'];
  if (chunkSize !== undefined && values.full) {
    throw new ValidationError('--chunk-size applies to incremental scans, not --full');
  }
  const { workers, partitions } = values;
  if (workers !== undefined && !values.full)
    throw new ValidationError('--workers applies to --full scans only');
  if (partitions !== undefined && workers === undefined)
    throw new ValidationError('--partitions applies with --workers only');
  if (workers !== undefined) checkWorkerOptions(workers, partitions);
  if (workers !== undefined && values['deadline-seconds'] !== undefined)
    throw new ValidationError(
      '--deadline-seconds applies to single-process scans, not --workers (each part has its own)',
    );
  const readOnly = values.report || values.evaluate;
  if (!readOnly || values.full) {
    const seconds = values['deadline-seconds'];
    const deadline =
      seconds === undefined
        ? Deadline.none()
        : Deadline.afterSeconds(seconds, getConfig().JOB_DEADLINE_MARGIN_SECONDS);
    const summary = await scanAsAsked(values.full === true, chunkSize, deadline, workers, partitions);
    // The dashboard's summaries follow the new alerts, in what is left of the deadline (in AWS their own function's).
    if (summary.status !== 'skipped') await refreshAnalytics({ deadline });
    if (values.json) console.log(JSON.stringify(summary, null, 2));
    else if (summary.status === 'skipped') {
      console.log(`${summary.heldBy}; this scan stepped aside (run #${summary.runId} recorded as skipped)`);
      process.exitCode = 75; // EX_TEMPFAIL
    } else {
      const { alerts } = summary;
      console.log(
        `scan #${summary.runId} (${summary.mode}${summary.status === 'partial' ? ', partial: stopped at the deadline' : ''}): ${summary.transactionsScanned} transactions` +
          (summary.transactionsScanned ? ` (ids ${summary.fromId}–${summary.toId})` : '') +
          `, ${alerts.created} new alerts (High ${alerts.byRisk.High}, Medium ${alerts.byRisk.Medium}, Low ${alerts.byRisk.Low})` +
          `, ${summary.cases.opened} cases opened` +
          (alerts.suppressed ? `, ${alerts.suppressed} findings suppressed` : '') +
          ` in ${(summary.durationMs / 1000).toFixed(1)} s`,
      );
      for (const [reason, n] of Object.entries(alerts.byReason).sort((a, b) => b[1] - a[1])) {
        console.log(`  ${reason.padEnd(30)} ${n}`);
      }
    }
  }
  if (values.report) {
    const report = await anomalyReport();
    console.log(values.json ? JSON.stringify(report, null, 2) : formatReport(report));
  }
  if (values.evaluate) {
    const evaluation = await evaluateDetection();
    console.log(values.json ? JSON.stringify(evaluation, null, 2) : formatEvaluation(evaluation));
  }
});

/** A scan as the options ask: incremental, full in this process, or full in `workers` processes. */
async function scanAsAsked(
  full: boolean,
  chunkSize: number | undefined,
  deadline: Deadline,
  workers: number | undefined,
  partitions: number | undefined,
): Promise<ScanSummary> {
  if (workers === undefined) return runScan({ mode: full ? 'full' : 'incremental', chunkSize, deadline });
  const rescan = await runLocalRescan({ workers, partitions });
  return {
    status: 'succeeded',
    runId: rescan.runId,
    mode: 'full',
    fromId: 1,
    toId: rescan.toId,
    transactionsScanned: rescan.transactionsScanned,
    chunks: rescan.parts.length,
    alerts: rescan.alerts,
    cases: rescan.cases,
    durationMs: rescan.durationMs,
  };
}
