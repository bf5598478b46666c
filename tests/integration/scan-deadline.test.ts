/**
 * Scans that stop at their deadline (lib/jobs/deadline.ts): each run starts only the chunks it can finish, commits
 * them, records itself as partial, and the next runs go on from the watermark. The deadline is driven by a virtual
 * clock on which every chunk costs the same, so the tests are deterministic whatever the machine's speed.
 */
import type { Connection } from 'mysql2/promise';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { query } from '../../lib/db/pool.js';
import { resolveDbSettings } from '../../lib/db/settings.js';
import { Deadline } from '../../lib/jobs/deadline.js';
import { readFreshness } from '../../lib/ops/freshness.js';
import { runScan, type ScanOptions } from '../../lib/scan/scan.js';
import { insertBackground, insertEpisodes } from './scan-fixtures.js';
import { alertKeys, caseKeys, duplicates, resetScanState } from './scan-helpers.js';

const CHUNK = 300;
/** Virtual milliseconds one chunk costs, and the margin kept free before the deadline. */
const COST = 10;
const MARGIN = 5;

let conn: Connection;
let lastId: number;

/**
 * A run's budget on a virtual clock: every committed chunk moves it on by COST. `elapsed()` is how much of the
 * budget the run used.
 */
function virtualBudget(budget: number): Pick<ScanOptions, 'deadline' | 'onChunkCommitted'> & {
  elapsed: () => number;
} {
  let elapsed = 0;
  return {
    deadline: new Deadline(
      () => budget - elapsed,
      MARGIN,
      () => elapsed,
    ),
    onChunkCommitted: () => {
      elapsed += COST;
    },
    elapsed: () => elapsed,
  };
}

async function watermark(): Promise<number> {
  const [row] = await query<{ last: number }>(
    "SELECT last_transaction_id AS last FROM scan_watermarks WHERE name = 'anomaly-scan'",
  );
  return Number(row?.last ?? 0);
}

beforeAll(async () => {
  const settings = await resolveDbSettings();
  const mysql = await import('mysql2/promise');
  conn = await mysql.createConnection({ ...settings, dateStrings: true });
  await insertBackground(conn);
  await insertEpisodes(conn);
  const [row] = await query<{ last: number }>('SELECT MAX(id) AS last FROM transactions');
  lastId = Number(row?.last);
});

afterAll(async () => {
  await conn.end();
});

beforeEach(resetScanState);

describe('scan deadline', () => {
  it('stops after the chunks its budget allows, records the run as partial, and the next runs finish with the same alerts as one uninterrupted scan', async () => {
    await runScan({ chunkSize: CHUNK });
    const reference = await alertKeys();
    const referenceCases = await caseKeys();
    const chunksInAll = Math.ceil(lastId / CHUNK);
    expect(chunksInAll).toBeGreaterThan(4);
    await resetScanState();

    // 2 chunks fit in 35 (the third would end at 30, inside the margin of 5 kept before 35).
    const budget = virtualBudget(35);
    const first = await runScan({ chunkSize: CHUNK, ...budget });
    expect(first).toMatchObject({ status: 'partial', chunks: 2, fromId: 1 });
    expect(first.toId).toBeLessThan(lastId);
    expect(await watermark()).toBe(first.toId);
    const [run] = await query<{ status: string; to_transaction_id: number; error: string }>(
      'SELECT status, to_transaction_id, error FROM scan_runs WHERE id = ?',
      [first.runId],
    );
    expect(run?.status).toBe('partial');
    expect(Number(run?.to_transaction_id)).toBe(first.toId);
    expect(run?.error).toMatch(/stopped at the deadline: transactions up to id \d+ of \d+/);
    // What it committed is there, once; nothing above its watermark is.
    expect(await duplicates()).toBe(0);
    const done = await alertKeys();
    expect(done).toEqual(reference.filter((k) => Number(k.split('|')[0]) <= first.toId));

    // The next runs go on from the watermark until the backlog is gone.
    let next = await runScan({ chunkSize: CHUNK, ...virtualBudget(35) });
    expect(next.fromId).toBe(first.toId + 1);
    while (next.status === 'partial') next = await runScan({ chunkSize: CHUNK, ...virtualBudget(35) });
    expect(next.status).toBe('succeeded');
    expect(await watermark()).toBe(lastId);
    expect(await alertKeys()).toEqual(reference);
    expect(await duplicates()).toBe(0);
    expect(await caseKeys()).toEqual(referenceCases);
    // A partial run is a completed run for the staleness alarm.
    expect((await readFreshness()).scan).not.toBeNull();
  });

  it('works off a backlog in successive runs, none of which outruns its budget', async () => {
    await runScan({ chunkSize: CHUNK });
    const reference = await alertKeys();
    await resetScanState();

    const runs: Array<{ status: string; chunks: number; elapsed: number }> = [];
    for (let status = 'partial'; status === 'partial'; ) {
      const budget = virtualBudget(45); // 3 chunks a run
      const summary = await runScan({ chunkSize: CHUNK, ...budget });
      runs.push({ status: summary.status, chunks: summary.chunks, elapsed: budget.elapsed() });
      status = summary.status;
      expect(runs.length).toBeLessThan(50);
    }
    const chunksInAll = Math.ceil(lastId / CHUNK);
    expect(runs).toHaveLength(Math.ceil(chunksInAll / 3));
    for (const r of runs) expect(r.elapsed).toBeLessThanOrEqual(45 - MARGIN);
    expect(runs.slice(0, -1).every((r) => r.status === 'partial' && r.chunks === 3)).toBe(true);
    expect(runs.at(-1)?.status).toBe('succeeded');
    expect(runs.reduce((n, r) => n + r.chunks, 0)).toBe(chunksInAll);
    expect(await alertKeys()).toEqual(reference);
    expect(await duplicates()).toBe(0);
    const statuses = await query<{ status: string }>('SELECT status FROM scan_runs ORDER BY id');
    expect(statuses.map((s) => s.status)).toEqual([...runs.map(() => 'partial').slice(1), 'succeeded']);
  });

  it('starts no chunk when the budget leaves only the margin, and commits nothing', async () => {
    const summary = await runScan({ chunkSize: CHUNK, ...virtualBudget(MARGIN) });
    expect(summary).toMatchObject({ status: 'partial', chunks: 0, transactionsScanned: 0 });
    expect(await alertKeys()).toEqual([]);
    expect(await watermark()).toBe(0);
  });

  it('stops a full scan before a pass it cannot finish: the watermarks stay, the next incremental run replays', async () => {
    await runScan({ mode: 'full' });
    const reference = await alertKeys();
    await resetScanState();

    // Two passes (maxRowsInMemory below the table). Each committed batch costs 60 of a budget of 100: once the
    // first pass has committed, a second one as long cannot end before the margin.
    let elapsed = 0;
    const deadline = new Deadline(
      () => 100 - elapsed,
      MARGIN,
      () => elapsed,
    );
    const partial = await runScan({
      mode: 'full',
      maxRowsInMemory: Math.ceil(lastId / 2),
      deadline,
      onChunkCommitted: () => {
        elapsed += 60;
      },
    });
    expect(partial.status).toBe('partial');
    const [run] = await query<{ status: string; error: string }>('SELECT status, error FROM scan_runs');
    expect(run?.status).toBe('partial');
    expect(run?.error).toMatch(/between passes/);
    expect(await watermark()).toBe(0);
    const [states] = await query<{ n: number }>('SELECT COUNT(*) AS n FROM scan_client_state');
    expect(Number(states?.n)).toBeGreaterThan(0);

    // The first pass's clients have states newer than the (absent) watermark: the incremental run replays them.
    const resumed = await runScan({ chunkSize: CHUNK });
    expect(resumed).toMatchObject({ status: 'succeeded', mode: 'incremental', fromId: 1 });
    expect(await alertKeys()).toEqual(reference);
    expect(await duplicates()).toBe(0);
  });
});
