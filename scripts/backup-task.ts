/**
 * The backup container's entrypoint (docker/backup/Dockerfile, target `task`): what the backup-database Lambda does
 * (lib/backup/job.ts), as one process, for a database whose dump outgrows Lambda's 15 minutes. In AWS an ECS Fargate
 * task started by the backup schedules (stage parameter backupRunner: fargate, serverless/backup-runner.yml).
 *
 *   node backup-task.mjs [--action backup|verify|prune] [--skip-prune] [--trigger schedule|manual]
 *
 * Env: as backup-database — MYSQL_SECRET_ID (or MYSQL_URL), BACKUP_BUCKET, BACKUP_PREFIX, BACKUP_RETENTION_DAYS,
 * BACKUP_TIMEOUT_SECONDS (the task's own limit), BACKUP_GZIP_LEVEL, MYSQLDUMP_PATH, MYSQL_CLIENT_PATH; S3_ENDPOINT
 * locally. Validated before anything is opened.
 * Logs: JSON lines on stdout (Powertools Logger; INFO unless POWERTOOLS_LOG_LEVEL or LOG_LEVEL says otherwise).
 * Exit codes: 0 done; 1 the job failed (recorded in backup_runs, its upload aborted, nothing pruned); 64 bad
 * arguments and 78 a bad environment (nothing started, nothing written); 143 stopped by SIGTERM (ECS stopping the
 * task) or SIGINT, the upload aborted first.
 * IAM (the task role): as BackupRole — the database secret, objects under the backup prefix.
 */
import { z } from 'zod';
import { runBackupJob } from '../lib/backup/job.js';
import { defineCli } from '../lib/cli/args.js';
import { ConfigError, getConfig } from '../lib/config.js';
import { closePool } from '../lib/db/pool.js';
import { explainDbError } from '../lib/db/settings.js';
import { ValidationError } from '../lib/errors.js';
import { logger } from '../lib/log.js';

/** sysexits: EX_USAGE, EX_CONFIG; 128 + SIGTERM as a shell reports a process that signal ended. */
const EXIT = { failed: 1, usage: 64, config: 78, stopped: 143 } as const;

const cli = defineCli({
  usage: 'node backup-task.mjs [options]',
  noOption: 'back up the database to s3://$BACKUP_BUCKET/$BACKUP_PREFIX, then prune expired copies',
  options: {
    action: {
      type: 'choice',
      choices: ['backup', 'verify', 'prune'],
      default: 'backup',
      arg: '<action>',
      help: 'backup (default), verify (restore-test the newest backup) or prune',
    },
    'skip-prune': { type: 'boolean', help: 'with backup: do not prune afterwards' },
    trigger: {
      type: 'choice',
      choices: ['schedule', 'manual'],
      default: 'manual',
      arg: '<trigger>',
      help: "what started the run, as backup_runs records it (the schedule's targets pass schedule)",
    },
  },
  notes: 'Environment and exit codes: see the header of scripts/backup-task.ts and docs/backups.md.',
});

const eventSchema = z.object({
  action: z.enum(['backup', 'verify', 'prune']),
  prune: z.boolean(),
  trigger: z.enum(['schedule', 'manual']),
});

/** Parses the arguments and the environment; a problem is logged and becomes the exit code, nothing is opened. */
function readInput(args: string[]): z.infer<typeof eventSchema> | number | undefined {
  try {
    getConfig();
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    logger.error('backup task: invalid environment', { problems: error.problems });
    return EXIT.config;
  }
  try {
    const values = cli.parse(args);
    if (!values) return undefined;
    if (values['skip-prune'] && values.action !== 'backup')
      throw new ValidationError('--skip-prune only goes with --action backup');
    return eventSchema.parse({ ...values, prune: !values['skip-prune'] });
  } catch (error) {
    if (!(error instanceof ValidationError)) throw error;
    logger.error('backup task: invalid arguments', { problem: error.message });
    return EXIT.usage;
  }
}

async function main(): Promise<number> {
  if (!process.env.POWERTOOLS_LOG_LEVEL && !process.env.LOG_LEVEL) logger.setLogLevel('INFO');
  const input = readInput(process.argv.slice(2));
  if (typeof input !== 'object') return input ?? 0;
  const controller = new AbortController();
  const stop = (signal: string) => () => controller.abort(new Error(`stopped by ${signal}`));
  process.once('SIGTERM', stop('SIGTERM'));
  process.once('SIGINT', stop('SIGINT'));
  logger.appendKeys({ job: 'backup-task', action: input.action });
  const started = performance.now();
  logger.info('job started', { trigger: input.trigger });
  try {
    const result = await runBackupJob(input, { trigger: input.trigger, signal: controller.signal });
    logger.info('job finished', { result, durationMs: Math.round(performance.now() - started) });
    return 0;
  } catch (caught) {
    const error = (await explainDbError(caught)) as Error;
    logger.error('job failed', { error, durationMs: Math.round(performance.now() - started) });
    return controller.signal.aborted ? EXIT.stopped : EXIT.failed;
  } finally {
    await closePool().catch(() => undefined);
  }
}

process.exitCode = await main();
