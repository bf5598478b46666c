/**
 * `npm run bench -- backup [--sizes 100000,1000000] [--rounds 2] [--keep]`
 *
 * End-to-end backup (mysqldump → gzip → sha256 → multipart upload to a real local S3-compatible server, plus the
 * snapshot stats) against the shell baseline `mysqldump --single-transaction <db> | gzip -6 > /dev/null`, both at
 * the same compression level in the same run, and the backup process's peak RSS per database size. Each backup
 * runs in a fresh node process from the same kind of esbuild bundle Lambda runs (no tsx in memory), so the RSS is
 * that size's own peak as a function would see it.
 *
 * The bench databases (fm_bench_backup_<n>) are filled with synthetic rows in the real schema by INSERT … SELECT
 * (fast and reproducible) and dropped afterwards unless --keep.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { CreateBucketCommand, S3Client } from '@aws-sdk/client-s3';
import mysql, { type Connection, type RowDataPacket } from 'mysql2/promise';
import { defineCli } from '../lib/cli/args.js';
import { getConfig } from '../lib/config.js';
import { migrate } from '../lib/db/migrate.js';
import { type DbSettings, settingsFromUrl } from '../lib/db/settings.js';
import { type Measurement, printRatios, runChild, timeIt } from './lib.js';

const exec = promisify(execFile);
export const description =
  'backup to S3 vs mysqldump | gzip -6 > /dev/null; peak RSS at 100k and 1M transactions';

const GZIP_LEVEL = 6;

async function fill(settings: DbSettings, transactions: number): Promise<void> {
  const conn: Connection = await mysql.createConnection({ ...settings, multipleStatements: true });
  try {
    const [[row]] = (await conn.query('SELECT COUNT(*) AS n FROM transactions')) as unknown as [
      RowDataPacket[],
    ];
    if (Number(row?.n) === transactions) return;
    const clients = Math.max(100, Math.round(transactions / 100));
    console.log(
      `  filling ${settings.database}: ${clients} clients, ${clients * 2} accounts, ${transactions} transactions…`,
    );
    await conn.query(`
      SET FOREIGN_KEY_CHECKS = 0, UNIQUE_CHECKS = 0;
      DELETE FROM alerts; DELETE FROM transactions; DELETE FROM accounts; DELETE FROM locations; DELETE FROM clients;
      DELETE FROM transaction_types;
      DROP TEMPORARY TABLE IF EXISTS digits;
      CREATE TEMPORARY TABLE digits (d INT PRIMARY KEY);
      INSERT INTO digits VALUES (0),(1),(2),(3),(4),(5),(6),(7),(8),(9);
      DROP TABLE IF EXISTS bench_seq;
      CREATE TABLE bench_seq (n INT PRIMARY KEY) ENGINE=InnoDB;
      INSERT INTO bench_seq
        SELECT 1 + a.d + 10*b.d + 100*c.d + 1000*d.d + 10000*e.d + 100000*f.d + 1000000*g.d
        FROM digits a, digits b, digits c, digits d, digits e, digits f, digits g
        WHERE a.d + 10*b.d + 100*c.d + 1000*d.d + 10000*e.d + 100000*f.d + 1000000*g.d < ${transactions};
      INSERT INTO transaction_types (id, type, description) VALUES
        (1,'deposit','Cash or transfer in'),(2,'withdrawal','ATM or counter'),(3,'transfer','Outgoing transfer'),
        (4,'card_payment','Card payment'),(5,'fee','Bank fee');
      INSERT INTO clients (id, first_name, last_name, identifier, birth_date, email, phone, gender, registration_date,
                           is_active, country, locale)
        SELECT n, ELT(1 + n % 6, 'Anna','Jan','Maria','Piotr','Lena','Tomasz'),
               CONCAT(ELT(1 + n % 5, 'Nowak','Kowalski','Müller','Dubois','García'), n),
               LPAD(n, 11, '9'), DATE('1950-01-01') + INTERVAL (n * 7919) % 18000 DAY,
               CONCAT('client', n, '@example.com'), CONCAT('+48 ', 500000000 + n), IF(n % 2, 'M', 'F'),
               DATE('2015-01-01') + INTERVAL n % 3000 DAY, IF(n % 7 = 0, 'No', 'Yes'),
               ELT(1 + n % 4, 'PL','DE','FR','ES'), ELT(1 + n % 4, 'pl_PL','de_DE','fr_FR','es_ES')
        FROM bench_seq WHERE n <= ${clients};
      INSERT INTO locations (client_id, city, region, country, postal_code, street, building_number)
        SELECT n, ELT(1 + n % 4, 'Warszawa','Berlin','Lyon','Sevilla'), 'Region', ELT(1 + n % 4, 'PL','DE','FR','ES'),
               LPAD(n % 99999, 5, '0'), CONCAT('Street ', n % 300), n % 120 + 1
        FROM bench_seq WHERE n <= ${clients};
      INSERT INTO accounts (id, client_id, account_number, account_type, opening_date, balance, currency, is_active)
        SELECT n, 1 + (n - 1) % ${clients}, CONCAT('PL', LPAD(n, 26, '0')), ELT(1 + n % 3, 'personal','savings','business'),
               DATE('2016-01-01') + INTERVAL n % 2500 DAY, (n * 7919 % 10000000) / 100, ELT(1 + n % 4, 'PLN','EUR','EUR','EUR'), 1
        FROM bench_seq WHERE n <= ${clients * 2};
      INSERT INTO transactions (id, account_id, transaction_type_id, date, amount, currency, balance_after,
                                recipient_account, status, title)
        SELECT n, 1 + (n * 2654435761 % ${clients * 2}), 1 + n % 5,
               TIMESTAMP('2024-01-01 00:00:00') + INTERVAL (n * 97) % 63072000 SECOND,
               ((n * 7919) % 2000000) / 100 - 5000, IF(n % 4, 'EUR', 'PLN'), ((n * 104729) % 100000000) / 100,
               IF(n % 3 = 0, CONCAT('DE', LPAD((n * 31) % 1000000007, 20, '0')), NULL),
               ELT(1 + n % 20, 'completed','completed','completed','completed','completed','completed','completed',
                   'completed','completed','completed','completed','completed','completed','completed','completed',
                   'completed','completed','pending','pending','cancelled'),
               CONCAT(ELT(1 + n % 5, 'Invoice ', 'Rent ', 'Groceries ', 'Salary ', 'Transfer '), CRC32(n))
        FROM bench_seq;
      DROP TABLE bench_seq;
      SET FOREIGN_KEY_CHECKS = 1, UNIQUE_CHECKS = 1;
    `);
  } finally {
    await conn.end();
  }
}

/** The shell baseline, credentials in an options file like the backup's own. */
async function baseline(settings: DbSettings): Promise<void> {
  const { withDefaultsFile } = await import('../lib/backup/mysql-tools.js');
  await withDefaultsFile(settings, (file) =>
    exec('bash', [
      '-o',
      'pipefail',
      '-c',
      `"$0" --defaults-extra-file="$1" --single-transaction "$2" | gzip -${GZIP_LEVEL} > /dev/null`,
      getConfig().MYSQLDUMP_PATH,
      file,
      settings.database,
    ]),
  );
}

interface ChildResult {
  seconds: number;
  maxRssMb: number;
  bytes: number;
  dumpBytes: number;
}

/** One backup in a fresh process (its peak RSS is this backup's alone). */
async function backupInChild(
  childScript: string,
  url: string,
  endpoint: string,
  bucket: string,
  extraEnv: Record<string, string> = {},
): Promise<ChildResult> {
  const out = await runChild(process.execPath, [childScript], {
    label: 'backup child',
    env: {
      ...process.env,
      MYSQL_URL: url,
      S3_ENDPOINT: endpoint,
      BACKUP_BUCKET: bucket,
      BACKUP_GZIP_LEVEL: String(GZIP_LEVEL),
      AWS_ACCESS_KEY_ID: 'S3RVER',
      AWS_SECRET_ACCESS_KEY: 'S3RVER',
      AWS_REGION: 'us-east-1',
      POWERTOOLS_LOG_LEVEL: 'ERROR',
      ...extraEnv,
    },
  });
  return JSON.parse(out.trim().split('\n').at(-1) ?? '{}') as ChildResult;
}

/**
 * The backup as Lambda runs it: the same esbuild bundle (ESM, a require() banner) executed by plain node, one fresh
 * process per backup. Built once per bench run into a temporary folder. Its environment comes from backupInChild.
 */
const CHILD_SOURCE = `
import { runBackup } from 'ROOT/lib/backup/backup.ts';
import { defaultBackupContext } from 'ROOT/lib/backup/context.ts';
const started = performance.now();
const { manifest } = await runBackup(await defaultBackupContext(), { trigger: 'manual' });
console.log(JSON.stringify({
  seconds: (performance.now() - started) / 1000,
  maxRssMb: process.resourceUsage().maxRSS / 1024,
  bytes: manifest.bytes,
  dumpBytes: manifest.dumpBytes,
}));
process.exit(0);
`;

async function buildChild(dir: string): Promise<string> {
  const { build } = await import('esbuild');
  const root = fileURLToPath(new URL('..', import.meta.url)).replace(/\/$/, '');
  const entry = path.join(dir, 'entry.ts');
  const outfile = path.join(dir, 'backup-child.mjs');
  await writeFile(entry, CHILD_SOURCE.replaceAll('ROOT', root));
  await build({
    entryPoints: [entry],
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    outfile,
    logLevel: 'error',
    banner: {
      js: "import { createRequire as __fmCreateRequire } from 'node:module'; const require = __fmCreateRequire(import.meta.url);",
    },
  });
  return outfile;
}

const cli = defineCli({
  usage: 'npm run bench -- backup [options]',
  description:
    "Backup to S3 against mysqldump | gzip -6 > /dev/null, and the backup process's peak RSS, per size.",
  options: {
    sizes: {
      type: 'integer-list',
      min: 1,
      max: 10_000_000,
      default: [100_000, 1_000_000],
      help: 'transactions in each bench database (default 100000,1000000)',
    },
    rounds: {
      type: 'integer',
      min: 1,
      max: 20,
      default: 2,
      help: 'runs per size; the best counts (default 2)',
    },
    keep: { type: 'boolean', help: 'keep the bench databases (fm_bench_backup_<n>) for the next run' },
  },
});

export async function run(args: string[]): Promise<void> {
  const values = cli.parse(args);
  if (!values) return;
  const { sizes, rounds } = values;
  const { MYSQL_URL } = getConfig();
  const { startLocalS3, LOCAL_S3_CREDENTIALS } = await import('../scripts/local/s3-server.js');
  const s3server = await startLocalS3();
  const bucket = 'fm-bench-backups';
  await new S3Client({
    region: 'us-east-1',
    endpoint: s3server.endpoint,
    forcePathStyle: true,
    credentials: LOCAL_S3_CREDENTIALS,
  }).send(new CreateBucketCommand({ Bucket: bucket }));

  const workDir = await mkdtemp(path.join(os.tmpdir(), 'fm-bench-backup-'));
  const childScript = await buildChild(workDir);
  const server = settingsFromUrl(MYSQL_URL);
  const rss: string[] = [];
  try {
    for (const size of sizes) {
      const settings = { ...server, database: `fm_bench_backup_${size}` };
      const url = new URL(MYSQL_URL);
      url.pathname = `/${settings.database}`;
      await migrate({ settings });
      await fill(settings, size);
      const measurements: Measurement[] = [];
      let best: ChildResult | undefined;
      let bestCountsOnly: ChildResult | undefined;
      let bestBaseline: Measurement | undefined;
      let peak = 0;
      for (let round = 0; round < rounds; round++) {
        const base = await timeIt(`mysqldump | gzip -${GZIP_LEVEL} > /dev/null`, () => baseline(settings));
        if (!bestBaseline || base.seconds < bestBaseline.seconds) bestBaseline = base;
        const ours = await backupInChild(childScript, url.toString(), s3server.endpoint, bucket);
        if (!best || ours.seconds < best.seconds) best = ours;
        const countsOnly = await backupInChild(childScript, url.toString(), s3server.endpoint, bucket, {
          BACKUP_TABLE_CHECKSUMS: 'false',
        });
        if (!bestCountsOnly || countsOnly.seconds < bestCountsOnly.seconds) bestCountsOnly = countsOnly;
        peak = Math.max(peak, ours.maxRssMb, countsOnly.maxRssMb);
      }
      if (!bestBaseline || !best || !bestCountsOnly) continue;
      measurements.push(
        bestBaseline,
        {
          label: `backup → S3, default (gzip -${GZIP_LEVEL}, sha256, counts+CHECKSUM)`,
          seconds: best.seconds,
        },
        { label: 'backup → S3, BACKUP_TABLE_CHECKSUMS=false', seconds: bestCountsOnly.seconds },
      );
      printRatios(
        `${size.toLocaleString('en')} transactions — best of ${rounds}, load average ${os.loadavg()[0]?.toFixed(1)} on ${os.availableParallelism()} cores (dump ${(best.dumpBytes / 1e6).toFixed(1)} MB → ${(best.bytes / 1e6).toFixed(1)} MB gzip)`,
        measurements,
      );
      rss.push(`  ${size.toLocaleString('en').padStart(12)} transactions: peak RSS ${peak.toFixed(0)} MB`);
      if (!values.keep) {
        const conn = await mysql.createConnection({ ...server, database: undefined });
        await conn.query(`DROP DATABASE IF EXISTS \`${settings.database}\``);
        await conn.end();
      }
    }
    console.log('\nBackup process peak RSS (target: flat, < 200 MB)');
    for (const line of rss) console.log(line);
  } finally {
    await s3server.stop();
    await rm(workDir, { recursive: true, force: true });
  }
}
