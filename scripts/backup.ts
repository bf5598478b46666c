/**
 * `npm run backup`: dumps MYSQL_URL's database to s3://BACKUP_BUCKET/BACKUP_PREFIX… and prunes expired copies.
 *   --verify          restore-test the newest backup (or --key) in a scratch database; no new dump
 *   --prune           only prune expired backups (with --dry-run: print the decisions, delete nothing)
 *   --skip-prune      back up without pruning
 *   --list            list the backups under the prefix
 * Ctrl-C, BACKUP_TIMEOUT_SECONDS or an S3 that stops answering (S3_CONNECT_TIMEOUT_MS, S3_REQUEST_TIMEOUT_MS,
 * S3_MAX_ATTEMPTS) end a running backup cleanly: the multipart upload is aborted, no object is left, the failure is
 * recorded in backup_runs and nothing is pruned.
 */
import { runBackup } from '../lib/backup/backup.js';
import { defaultBackupContext } from '../lib/backup/context.js';
import { parseBackupKey } from '../lib/backup/keys.js';
import { runPrune } from '../lib/backup/prune.js';
import { listObjects } from '../lib/backup/store.js';
import { verifyBackup } from '../lib/backup/verify.js';
import { defineCli } from '../lib/cli/args.js';
import { ValidationError } from '../lib/errors.js';
import { runCli } from './cli.js';

const cli = defineCli({
  usage: 'npm run backup [-- options]',
  noOption: 'back up the database (MYSQL_URL) to s3://$BACKUP_BUCKET/$BACKUP_PREFIX, then prune',
  options: {
    verify: {
      type: 'boolean',
      help: "restore the newest backup into a scratch database and compare row counts and\nCHECKSUM TABLE with the backup's manifest; records the result in backup_runs",
    },
    key: { type: 'string', arg: '<key>', help: 'with --verify: test this backup instead of the newest' },
    prune: {
      type: 'boolean',
      help: 'only delete backups older than BACKUP_RETENTION_DAYS (default 7); never the newest good one',
    },
    'dry-run': { type: 'boolean', help: 'with --prune: print the decisions, delete nothing' },
    'skip-prune': { type: 'boolean', help: 'back up without pruning' },
    list: { type: 'boolean', help: 'list the backups under the prefix' },
  },
  notes: `Environment: MYSQL_URL, BACKUP_BUCKET, BACKUP_PREFIX, BACKUP_RETENTION_DAYS, BACKUP_GZIP_LEVEL,
BACKUP_TIMEOUT_SECONDS (the whole run, bucket check included), MYSQLDUMP_PATH, MYSQL_CLIENT_PATH, S3_ENDPOINT,
S3_CONNECT_TIMEOUT_MS, S3_REQUEST_TIMEOUT_MS, S3_MAX_ATTEMPTS. A failed backup is recorded in backup_runs and
prunes nothing. LOG_LEVEL=INFO prints every step as JSON.`,
});

await runCli(async () => {
  const values = cli.parse(process.argv.slice(2));
  if (!values) return;
  const modes = [values.verify, values.prune, values.list].filter(Boolean).length;
  if (modes > 1) throw new ValidationError('choose one of --verify, --prune, --list');
  if (values.key && !values.verify) throw new ValidationError('--key only goes with --verify');
  if (values['dry-run'] && !values.prune) throw new ValidationError('--dry-run only goes with --prune');
  if (values['skip-prune'] && modes > 0) throw new ValidationError('--skip-prune only goes with a backup');

  const controller = new AbortController();
  process.once('SIGINT', () => controller.abort(new Error('interrupted (Ctrl-C)')));
  process.once('SIGTERM', () => controller.abort(new Error('terminated')));
  const ctx = await defaultBackupContext();

  if (values.list) {
    const objects = await listObjects(ctx);
    for (const o of objects.filter((o) => parseBackupKey(ctx.prefix, o.key)?.kind === 'dump')) {
      const good = objects.some((m) => m.key === `${o.key}.manifest.json`);
      console.log(
        `${o.key}  ${String(o.size ?? 0).padStart(12)} bytes  ${good ? 'complete' : 'NO MANIFEST'}`,
      );
    }
    return;
  }
  if (values.prune) {
    const result = await runPrune(ctx, { dryRun: values['dry-run'] });
    for (const d of result.decisions)
      console.log(
        `${d.action === 'delete' ? (values['dry-run'] ? 'would delete' : 'deleted') : 'kept'}  ${d.key}  (${d.reason})`,
      );
    const deletions = result.decisions.filter((d) => d.action === 'delete').length;
    console.log(`${values['dry-run'] ? 'would delete' : 'deleted'} ${deletions}, kept ${result.kept}`);
    return;
  }
  if (values.verify) {
    const result = await verifyBackup(ctx, { key: values.key, signal: controller.signal });
    console.log(
      `verified ${result.key}: ${result.status} — ${result.tables} tables, ${result.rows} rows, row counts and CHECKSUM TABLE identical, ${(result.durationMs / 1000).toFixed(1)} s`,
    );
    return;
  }
  const { key, manifest } = await runBackup(ctx, { trigger: 'manual', signal: controller.signal });
  console.log(
    `backed up ${manifest.database} to s3://${ctx.bucket}/${key}\n  ${manifest.bytes} bytes gzip (${manifest.dumpBytes} bytes SQL), sha256 ${manifest.sha256}, ${(manifest.durationMs / 1000).toFixed(1)} s`,
  );
  if (!values['skip-prune']) {
    const pruned = await runPrune(ctx);
    console.log(`pruned ${pruned.deleted.length} expired object(s) older than ${ctx.retentionDays} days`);
  }
});
