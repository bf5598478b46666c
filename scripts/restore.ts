/**
 * `npm run restore -- --key <key> --database <target> [--force]`: checks the backup's sha256 against its manifest,
 * then streams it S3 → gunzip → mysql into the target. Refuses a non-empty target unless --force (which drops and
 * recreates it). The server and credentials are MYSQL_URL's; only the database name changes.
 */
import './cli-env.js';
import { parseArgs } from 'node:util';
import { defaultBackupContext, openConnection } from '../lib/backup/context.js';
import { restoreBackup } from '../lib/backup/restore.js';
import { recordRestoredRun } from '../lib/backup/runs.js';
import { ValidationError } from '../lib/errors.js';
import { runCli } from './cli.js';

const USAGE = `Usage: npm run restore -- --key <key> --database <target> [--force]

  --key <key>          the backup object, e.g. backups/financial_monitor/2026/11/24/financial_monitor-20261124T021500000Z.sql.gz
                       (npm run backup -- --list shows them)
  --database <name>    target database on MYSQL_URL's server; created when absent
  --force              replace a target that already holds tables, views, routines, triggers or events
  -h, --help           this text

The object's sha256 is checked against its manifest before anything is applied; a mismatch leaves the target untouched.`;

await runCli(async () => {
  const { values } = parseArgs({
    options: {
      key: { type: 'string' },
      database: { type: 'string' },
      force: { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
    strict: true,
    allowPositionals: false,
  });
  if (values.help) {
    console.log(USAGE);
    return;
  }
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
