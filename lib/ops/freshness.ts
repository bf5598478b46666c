/**
 * How long ago the last backup succeeded and the last scan completed, read from the rows the jobs write themselves
 * (backup_runs, scan_runs) — so the answer holds whatever ran them: the scheduled Lambda, `npm run backup` on a
 * laptop, a container. The ops check publishes it as metrics (./check.ts).
 *
 * Each table is compared with the clock it was written by: backup_runs holds the writer's UTC time
 * (lib/backup/runs.ts), scan_runs the database's NOW(3) in the session's time zone (lib/scan/runs.ts). So the ages
 * are computed by the database, against UTC_TIMESTAMP(3) and NOW(3) respectively, never against this process's clock.
 */
import { query } from '../db/pool.js';

/** The last success of one job: when it finished (as stored) and how many whole minutes ago; null when never. */
export interface LastSuccess {
  finishedAt: string;
  ageMinutes: number;
}

export interface Freshness {
  backup: LastSuccess | null;
  scan: LastSuccess | null;
}

/**
 * The newest backup that succeeded. Rows a restore test added for a backup this database did not take
 * (trigger_source 'verify': a copy restored from elsewhere) are no backup of this database and do not count.
 * Succeeded backups never overlap (a named lock), so the newest started is the newest finished.
 */
async function lastBackup(): Promise<LastSuccess | null> {
  const [row] = await query<{ finished_at: string; age_seconds: number | string }>(
    `SELECT COALESCE(finished_at, started_at) AS finished_at,
            TIMESTAMPDIFF(SECOND, COALESCE(finished_at, started_at), UTC_TIMESTAMP(3)) AS age_seconds
       FROM backup_runs
      WHERE status = 'succeeded' AND trigger_source <> 'verify'
      ORDER BY started_at DESC, id DESC LIMIT 1`,
  );
  return row ? { finishedAt: row.finished_at, ageMinutes: minutes(row.age_seconds) } : null;
}

/**
 * The newest scan that completed: succeeded, or partial (stopped at its deadline after committing what it finished —
 * the next run goes on, so the scan is running). Skipped runs (another scan held the lock) and failed ones do not
 * count. Scans never
 * overlap (a named lock), so the highest id is the latest to finish; walking the primary key backwards finds it at
 * once however long scan_runs grows.
 */
async function lastScan(): Promise<LastSuccess | null> {
  const [row] = await query<{ finished_at: string; age_seconds: number | string }>(
    `SELECT finished_at, TIMESTAMPDIFF(SECOND, finished_at, NOW(3)) AS age_seconds
       FROM scan_runs
      WHERE status IN ('succeeded', 'partial') AND finished_at IS NOT NULL
      ORDER BY id DESC LIMIT 1`,
  );
  return row ? { finishedAt: row.finished_at, ageMinutes: minutes(row.age_seconds) } : null;
}

/** Whole minutes; a row stamped ahead of the reader's clock (skew) counts as just now. */
const minutes = (seconds: number | string) => Math.max(0, Math.floor(Number(seconds) / 60));

/**
 * The last successful backup and the last completed scan, one statement after the other (the check holds one
 * connection at most).
 *
 * @example const { backup, scan } = await readFreshness(); // backup?.ageMinutes === 42
 */
export async function readFreshness(): Promise<Freshness> {
  const backup = await lastBackup();
  const scan = await lastScan();
  return { backup, scan };
}
