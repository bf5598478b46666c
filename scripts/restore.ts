/**
 * `npm run restore -- --key <key> --database <target> [--force]`: checks the backup's sha256 against its manifest,
 * then streams it S3 → gunzip → mysql into the target. Refuses a non-empty target unless --force (which drops and
 * recreates it). The server and credentials are MYSQL_URL's; only the database name changes. A key with nothing
 * under it is answered with the newest backups of the same database; an S3 that stops answering fails the restore
 * within S3_CONNECT_TIMEOUT_MS / S3_REQUEST_TIMEOUT_MS per try, S3_MAX_ATTEMPTS tries.
 */
import { defaultBackupContext, openConnection } from '../lib/backup/context.js';
import { restoreBackup } from '../lib/backup/restore.js';
import { recordRestoredRun } from '../lib/backup/runs.js';
import { defineCli } from '../lib/cli/args.js';
import { ValidationError } from '../lib/errors.js';
import { runCli } from './cli.js';

const cli = defineCli({
  usage: 'npm run restore -- --key <key> --database <target> [--force]',
  options: {
    key: {
      type: 'string',
      arg: '<key>',
      help: 'the backup object, e.g. backups/financial_monitor/2026/11/24/financial_monitor-20261124T021500000Z.sql.gz\n(npm run backup -- --list shows them)',
    },
    database: {
      type: 'string',
      arg: '<name>',
      help: "target database on MYSQL_URL's server; created when absent",
    },
    force: {
      type: 'boolean',
      help: 'replace a target that already holds tables, views, routines, triggers or events',
    },
  },
  notes: `The object's sha256 is checked against its manifest before anything is applied; a mismatch leaves the
target untouched. A key with nothing under it gets "no backup under that key" and the newest backups of its database.
Environment: MYSQL_URL, BACKUP_BUCKET, BACKUP_PREFIX, MYSQL_CLIENT_PATH, S3_ENDPOINT, S3_CONNECT_TIMEOUT_MS,
S3_REQUEST_TIMEOUT_MS, S3_MAX_ATTEMPTS.`,
});

await runCli(async () => {
  const values = cli.parse(process.argv.slice(2));
  if (!values) return;
  const missing = (['key', 'database'] as const).filter((name) => !values[name]);
  if (missing.length)
    throw new ValidationError(
      `${missing.map((m) => `--${m}`).join(' and ')} required (npm run restore -- --help)`,
    );
  const controller = new AbortController();
  process.once('SIGINT', () => controller.abort(new Error('interrupted (Ctrl-C)')));
  const ctx = await defaultBackupContext();
  const result = await restoreBackup(ctx, {
    key: values.key as string,
    database: values.database as string,
    force: values.force,
    signal: controller.signal,
  });
  const restored = await openConnection(ctx.settings, result.database);
  try {
    await recordRestoredRun(restored, result.manifest);
  } finally {
    await restored.end().catch(() => undefined);
  }
  console.log(
    `restored ${result.key} into ${result.database}: sha256 verified (${result.sha256.slice(0, 16)}…), ${result.bytes} bytes, ${(result.durationMs / 1000).toFixed(1)} s`,
  );
});
