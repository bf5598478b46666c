import { execFile } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import mysql from 'mysql2/promise';
import { describe, expect, it } from 'vitest';
import { acquireNamedLock, SCAN_LOCK } from '../../lib/db/locks.js';
import { query, withNamedLock } from '../../lib/db/pool.js';
import { resolveDbSettings } from '../../lib/db/settings.js';
import { runScan } from '../../lib/scan/scan.js';
import { parseSeedOptions } from '../../lib/seed/options.js';
import { runSeed } from '../../lib/seed/run.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const small = () => parseSeedOptions({ clients: 20, transactions: 500, to: '2026-01-01', reset: true });

/** `npm run scan` in its own process, on this file's database, at the CLIs' default log level. */
async function scanCli(): Promise<{ code: number; stdout: string; stderr: string }> {
  const { POWERTOOLS_LOG_LEVEL: _, ...env } = process.env;
  try {
    const { stdout, stderr } = await promisify(execFile)(
      path.join(root, 'node_modules/.bin/tsx'),
      ['scripts/scan.ts'],
      { cwd: root, env, timeout: 30_000 },
    );
    return { code: 0, stdout, stderr };
  } catch (error) {
    const e = error as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

describe('seed and scan exclusion', () => {
  it('refuses to seed while an anomaly scan holds its lock, naming it, and writes nothing', async () => {
    let release!: () => void;
    const held = new Promise<void>((resolve) => {
      release = resolve;
    });
    const scan = withNamedLock(SCAN_LOCK, () => held);
    await new Promise((r) => setTimeout(r, 200));
    await expect(runSeed(small(), { scanLockWaitSeconds: 0 })).rejects.toThrow(
      /^an anomaly scan is running on database \w+ \(connection \d+ holds the scan lock\); waited 0 s; try again/,
    );
    expect(await query('SELECT id FROM clients LIMIT 1')).toEqual([]);
    release();
    await scan;
  });

  it('seeds once the scan has finished', async () => {
    const summary = await runSeed(small(), { scanLockWaitSeconds: 0 });
    expect(summary.status).toBe('seeded');
    // The seed let go of the scan lock: a scan can take it again.
    expect(await withNamedLock(SCAN_LOCK, async () => 'scanned')).toEqual({
      acquired: true,
      result: 'scanned',
    });
  });

  it('makes a scan started during a seed --reset step aside at once, saying a seed holds its lock', async () => {
    let release!: () => void;
    const held = new Promise<void>((resolve) => {
      release = resolve;
    });
    let started!: (threadId: number) => void;
    const seedStarted = new Promise<number>((resolve) => {
      started = resolve;
    });
    // The seed pauses with its locks held and the old bank deleted inside its open transaction.
    const seed = runSeed(small(), {
      onStarted: async ({ threadId }) => {
        started(threadId);
        await held;
      },
    });
    try {
      const seedConnection = await seedStarted;
      const { database } = await resolveDbSettings();
      const { code, stdout, stderr } = await scanCli();
      const words = `a seed is running on database ${database} (connection ${seedConnection} holds the scan lock)`;
      expect(code).toBe(75); // EX_TEMPFAIL
      expect(stdout).toContain(`${words}; this scan stepped aside (run #`);
      // At the default level the run also logs a warning, in the same words.
      for (const line of stderr.split('\n').filter(Boolean))
        expect(JSON.parse(line)).toMatchObject({
          level: 'WARN',
          message: `${words}; this scan stepped aside`,
        });
      const runId = Number(/run #(\d+) recorded as skipped/.exec(stdout)?.[1]);
      expect(await query('SELECT status, error FROM scan_runs WHERE id = ?', [runId])).toEqual([
        { status: 'skipped', error: words },
      ]);
    } finally {
      release();
      await seed.catch(() => undefined);
    }
    expect((await seed).status).toBe('seeded');
  });

  it('names a migration or another scan holding the scan lock', async () => {
    const settings = await resolveDbSettings();
    const migration = await mysql.createConnection({ ...settings });
    try {
      // As lib/db/migrate.ts takes it.
      expect(await acquireNamedLock(migration, settings.database, SCAN_LOCK, 0, 'migrate')).toBeDefined();
      const summary = await runScan();
      expect(summary.status).toBe('skipped');
      expect(summary.heldBy).toBe(
        `a migration is running on database ${settings.database} (connection ${migration.threadId} holds the scan lock)`,
      );
    } finally {
      await migration.end();
    }
    let release!: () => void;
    const held = new Promise<void>((resolve) => {
      release = resolve;
    });
    let taken!: () => void;
    const holding = new Promise<void>((resolve) => {
      taken = resolve;
    });
    const first = withNamedLock(SCAN_LOCK, () => {
      taken();
      return held;
    });
    await holding; // the first scan holds the lock before the second one asks
    const second = await runScan();
    release();
    await first;
    expect(second.heldBy).toMatch(
      new RegExp(
        `^another anomaly scan is running on database ${settings.database} \\(connection \\d+ holds`,
      ),
    );
    const [row] = await query<{ error: string }>('SELECT error FROM scan_runs WHERE id = ?', [second.runId]);
    expect(row?.error).toBe(second.heldBy);
  });
});
