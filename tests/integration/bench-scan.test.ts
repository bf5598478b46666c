/**
 * `npm run bench -- scan` on a small bank in a database of its own: every step runs (seed, bare reads, full scan, its
 * floor, incremental scans) and what each step checks of itself holds — the floor stores every alert the full scan
 * wrote, the incremental scan scans exactly the rows held back.
 */
import { execFile } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../helpers/database.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const server = process.env.MYSQL_URL || 'mysql://root@127.0.0.1:3306/financial_monitor';
let db: TestDatabase;

// An empty database of its own: the bench migrates and seeds it.
beforeAll(async () => {
  db = await createTestDatabase(server, { label: 'benchscan', migrated: false });
});
afterAll(() => db?.drop());

describe('npm run bench -- scan', () => {
  it('measures every step on a small bank, the full scan and its floor storing the same alerts', async () => {
    const { stdout } = await promisify(execFile)(
      path.join(root, 'node_modules/.bin/tsx'),
      [
        'bench/run.ts',
        'scan',
        '--transactions',
        '3000',
        '--incremental',
        '300',
        '--repeat',
        '1',
        '--database',
        db.name,
      ],
      { cwd: root, env: { ...process.env, MYSQL_URL: server }, maxBuffer: 16 << 20 },
    );
    const alerts = Number(/alerts after the full scan: (\d+)/.exec(stdout)?.[1]);
    expect(alerts).toBeGreaterThan(0);
    const floor =
      /its floor: reading the rows \(([\d.]+) s\), then storing its (\d+) alerts and (\d+) client states \(([\d.]+) s\), nothing judged: ([\d.]+)× the bare read/.exec(
        stdout,
      );
    expect(floor).not.toBeNull();
    expect(Number(floor?.[2])).toBe(alerts);
    expect(Number(floor?.[3])).toBeGreaterThan(0);
    expect(stdout).toMatch(/full scan: [\d.]+× the bare read \(target ≤ 9×\)/);
    expect(stdout).toMatch(/incremental: [\d.]+ s \(target ≤ 1.5 s\)/);
    expect(stdout).toMatch(
      /attaching alerts to cases adds -?[\d.]+ % to an incremental scan \(\d+ cases opened, \d+ touched; .*target ≤ 10 %\)/,
    );
    expect(stdout).toMatch(/the full scan's floor\s+[\d.]+ s/);
  }, 180_000);
});
