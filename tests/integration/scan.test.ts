import type { Connection } from 'mysql2/promise';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { execute, query } from '../../lib/db/pool.js';
import { resolveDbSettings } from '../../lib/db/settings.js';
import { runScan } from '../../lib/scan/scan.js';
import { type FixtureBank, insertBackground, insertEpisodes, insertTxns } from './scan-fixtures.js';
import { alertKeys, duplicates, forgetAlertsAbove, resetScanState } from './scan-helpers.js';

let conn: Connection;
let bank: FixtureBank;

/** The amount histogram the thresholds come from, row by row. */
async function histogram(): Promise<string[]> {
  const rows = await query<{ currency: string; direction: string; month: string; bucket: number; n: number }>(
    'SELECT currency, direction, month, bucket, n FROM scan_amount_histogram ORDER BY currency, direction, month, bucket',
  );
  return rows.map((r) => `${r.currency}|${r.direction}|${r.month}|${r.bucket}|${r.n}`);
}

/** The last transaction booked before March (where the tests cut a full scan short). */
async function lastIdOfFebruary(): Promise<number> {
  const [row] = await query<{ cut: number }>(
    "SELECT MAX(id) AS cut FROM transactions WHERE date < '2025-03-01'",
  );
  return Number(row?.cut);
}

/** How many velocity alerts are on transactions booked before March and how many from March on. */
async function velocityAroundTheCut(): Promise<{ before: number; after: number }> {
  const [row] = await query<{ before: number; after: number }>(
    `SELECT COALESCE(SUM(t.date < '2025-03-01'), 0) AS \`before\`, COALESCE(SUM(t.date >= '2025-03-01'), 0) AS \`after\`
       FROM alerts a JOIN transactions t ON t.id = a.transaction_id WHERE a.rule_id = 'velocity'`,
  );
  return { before: Number(row?.before), after: Number(row?.after) };
}

async function levelOf(transactionId: number): Promise<string | undefined> {
  const rows = await query<{ level: string }>(
    "SELECT risk_level AS level FROM alerts WHERE transaction_id = ? AND flagged_by = 'system' ORDER BY FIELD(risk_level, 'High', 'Medium', 'Low') LIMIT 1",
    [transactionId],
  );
  return rows[0]?.level;
}

beforeAll(async () => {
  const settings = await resolveDbSettings();
  const mysql = await import('mysql2/promise');
  conn = await mysql.createConnection({ ...settings, dateStrings: true });
  await insertBackground(conn);
  bank = await insertEpisodes(conn);
});

afterAll(async () => {
  await conn.end();
});

beforeEach(resetScanState);

describe('scan-anomalies', () => {
  it('flags each planted episode with an explained alert and records the run', async () => {
    const summary = await runScan({ mode: 'full' });
    expect(summary.status).toBe('succeeded');
    const [{ total }] = (await query<{ total: number }>('SELECT COUNT(*) AS total FROM transactions')) as [
      { total: number },
    ];
    expect(summary.transactionsScanned).toBe(Number(total));

    for (const id of bank.episodes.burst ?? []) expect(await levelOf(id)).toBe('High');
    for (const id of bank.episodes.structuring ?? []) expect(['Medium', 'High']).toContain(await levelOf(id));
    expect(['Medium', 'High']).toContain(await levelOf(bank.episodes.spike?.[0] as number));
    expect(['Medium', 'High']).toContain(await levelOf(bank.episodes['new-country']?.[0] as number));
    expect(await levelOf(bank.episodes['house-deposit']?.[0] as number)).toBe('Low');

    const [burst] = await query<{ reason: string; evidence: string; score: string; flagged_by: string }>(
      "SELECT reason, evidence, score, flagged_by FROM alerts WHERE transaction_id = ? AND rule_id = 'unusual-pattern'",
      [bank.episodes.burst?.[0]],
    );
    expect(burst?.reason).toBe('unusual pattern');
    expect(burst?.flagged_by).toBe('system');
    const evidence = typeof burst?.evidence === 'string' ? JSON.parse(burst.evidence) : burst?.evidence;
    expect(evidence.thresholds).toMatchObject({ minCount: 5, windowMinutes: 15 });
    expect(evidence.relatedTransactionIds).toEqual(bank.episodes.burst);
    expect(evidence.risk.level).toBe('High');

    const [run] = await query<Record<string, unknown>>('SELECT * FROM scan_runs WHERE id = ?', [
      summary.runId,
    ]);
    expect(run?.status).toBe('succeeded');
    expect(run?.finished_at).not.toBeNull();
    expect(Number(run?.transactions_scanned)).toBe(Number(total));
    expect(Number(run?.alerts_created)).toBe((await alertKeys()).length);
    const byRisk =
      typeof run?.alerts_by_risk === 'string' ? JSON.parse(run.alerts_by_risk) : run?.alerts_by_risk;
    expect(byRisk.High).toBeGreaterThan(0);
    const thresholds = typeof run?.thresholds === 'string' ? JSON.parse(run.thresholds) : run?.thresholds;
    expect(thresholds['unusual-pattern'].minCount).toBe(5);
  });

  it('finds the same alerts incrementally in small chunks, in a multi-pass full scan, and on top of a full scan up to the end of a month, as in one full scan', async () => {
    await runScan({ mode: 'full' });
    const reference = await alertKeys();
    const counted = await histogram();
    expect(counted.length).toBeGreaterThan(20);
    // Client 6's busy days straddle the end of February: velocity's memory is carried across the cut below.
    const velocity = await velocityAroundTheCut();
    expect(velocity.before).toBeGreaterThan(0);
    expect(velocity.after).toBeGreaterThan(0);
    await resetScanState();

    const first = await runScan({ chunkSize: 500 });
    expect(first.chunks).toBeGreaterThan(3);
    expect(await alertKeys()).toEqual(reference);
    expect(await histogram()).toEqual(counted);

    // A full scan in several passes over the table (each keeping a slice of the clients in memory) agrees too.
    await resetScanState();
    await runScan({ mode: 'full', maxRowsInMemory: 700 });
    expect(await alertKeys()).toEqual(reference);

    // A full scan up to the end of February, then incremental runs carrying on from the state it saved, agree
    // too. (The cut is at a month's end: a full scan judges its last month with the amounts recorded so far, as an
    // incremental scan would — here, all of them.)
    await resetScanState();
    const cut = await lastIdOfFebruary();
    const half = await runScan({ mode: 'full', toId: cut });
    expect(half.toId).toBe(Number(cut));
    const rest = await runScan({ chunkSize: 700 });
    expect(rest.mode).toBe('incremental');
    expect(rest.fromId).toBe(half.toId + 1);
    expect(await alertKeys()).toEqual(reference);
    expect(await histogram()).toEqual(counted);

    // The same in one chunk: its thresholds come from the histogram as it stood plus the chunk's own rows, while
    // the server counts those rows into the histogram.
    await resetScanState();
    await runScan({ mode: 'full', toId: cut });
    const whole = await runScan();
    expect(whole.chunks).toBe(1);
    expect(await alertKeys()).toEqual(reference);
    expect(await histogram()).toEqual(counted);

    const again = await runScan();
    expect(again.transactionsScanned).toBe(0);
    expect(again.alerts.created).toBe(0);
    expect(await duplicates()).toBe(0);
  });

  it('replays from their history the clients whose saved state is of another format', async () => {
    await runScan({ mode: 'full' });
    const reference = await alertKeys();
    await resetScanState();
    const cut = await lastIdOfFebruary();
    await runScan({ mode: 'full', toId: cut });
    // As left by an older version: every state in the JSON format of migration 0031.
    await execute(`UPDATE scan_client_state SET state = '{"v":1,"t":1740787200,"a":[]}'`);
    const rest = await runScan({ chunkSize: 700 });
    expect(rest.mode).toBe('incremental');
    expect(await alertKeys()).toEqual(reference);
    const [runs] = await query<{ n: number }>("SELECT COUNT(*) AS n FROM scan_runs WHERE status = 'failed'");
    expect(Number(runs?.n)).toBe(0);
  });

  it('judges a new transaction against the history already scanned', async () => {
    await runScan();
    const [{ maxId }] = (await query<{ maxId: number }>('SELECT MAX(id) AS maxId FROM transactions')) as [
      { maxId: number },
    ];
    // Client 7 (PLN) suddenly sends five transfers in four minutes: a burst only the new rows complete.
    await insertTxns(
      conn,
      Array.from({ length: 5 }, (_, i) => ({
        accountId: 70,
        type: 'outgoing transfer',
        date: `2025-03-25 10:0${i}:00`,
        amount: -100,
        balanceAfter: 10_000 - 100 * (i + 1),
        recipient: 'PL12000011112222',
      })),
    );
    const next = await runScan();
    expect(next.transactionsScanned).toBe(5);
    expect(next.fromId).toBe(Number(maxId) + 1);
    const rows = await query<{ n: number }>(
      "SELECT COUNT(*) AS n FROM alerts WHERE rule_id = 'unusual-pattern' AND transaction_id > ?",
      [maxId],
    );
    expect(Number(rows[0]?.n)).toBe(5);
    await forgetAlertsAbove(maxId);
    await execute('DELETE FROM transactions WHERE id > ?', [maxId]);
  });

  it('lets only one of two overlapping runs work, and never duplicates an alert', async () => {
    const [a, b] = await Promise.all([runScan({ chunkSize: 300 }), runScan({ chunkSize: 300 })]);
    expect([a.status, b.status].sort()).toEqual(['skipped', 'succeeded']);
    // A run that waits for the lock instead works after the other, and finds nothing left to create.
    const [c, d] = await Promise.all([
      runScan({ mode: 'full', lockWaitSeconds: 60 }),
      runScan({ mode: 'full', lockWaitSeconds: 60 }),
    ]);
    expect([c.status, d.status]).toEqual(['succeeded', 'succeeded']);
    expect(Math.min(c.alerts.created, d.alerts.created)).toBe(0);
    expect(await duplicates()).toBe(0);
    const skipped = await query("SELECT id FROM scan_runs WHERE status = 'skipped'");
    expect(skipped).toHaveLength(1);
  });

  it('resumes a run that crashed half-way without losing or repeating an alert', async () => {
    await runScan({ mode: 'full' });
    const reference = await alertKeys();
    await resetScanState();

    await expect(
      runScan({
        chunkSize: 400,
        onChunkCommitted: ({ index }) => {
          if (index === 2) throw new Error('killed after three chunks');
        },
      }),
    ).rejects.toThrow('killed after three chunks');
    const [failed] = await query<{ status: string; to_transaction_id: number }>(
      'SELECT status, to_transaction_id FROM scan_runs ORDER BY id DESC LIMIT 1',
    );
    expect(failed?.status).toBe('failed');
    const [mark] = await query<{ last_transaction_id: number }>(
      "SELECT last_transaction_id FROM scan_watermarks WHERE name = 'anomaly-scan'",
    );
    expect(Number(mark?.last_transaction_id)).toBe(Number(failed?.to_transaction_id));

    // A process killed outright leaves its run 'running': the next run closes it and carries on.
    await execute("UPDATE scan_runs SET status = 'running', finished_at = NULL");
    const resumed = await runScan({ chunkSize: 400 });
    expect(resumed.fromId).toBe(Number(mark?.last_transaction_id) + 1);
    expect(await alertKeys()).toEqual(reference);
    expect(await duplicates()).toBe(0);
    const statuses = await query<{ status: string }>('SELECT status FROM scan_runs ORDER BY id');
    expect(statuses.map((s) => s.status)).toEqual(['failed', 'succeeded']);
  });

  it('keeps a client’s burst open across runs however late other clients have booked', async () => {
    await runScan({ mode: 'full' });
    const transfer = (accountId: number, date: string) => ({
      accountId,
      type: 'outgoing transfer' as const,
      date,
      amount: -10,
      balanceAfter: 50_000,
      recipient: `PL${accountId}0000111122223333`,
    });
    // Client 8 sends four transfers; client 9 books something later; the next run sees client 8's fifth.
    await insertTxns(conn, [
      ...[0, 1, 2, 3].map((m) => transfer(80, `2025-04-02 10:0${m}:00`)),
      transfer(90, '2025-04-02 10:20:00'),
    ]);
    await runScan();
    await insertTxns(conn, [transfer(80, '2025-04-02 10:10:00')]);
    await runScan();
    const rows = await query<{ n: number }>(
      `SELECT COUNT(*) AS n FROM alerts a JOIN transactions t ON t.id = a.transaction_id
        WHERE a.rule_id = 'unusual-pattern' AND t.account_id = 80 AND t.date >= '2025-04-02'`,
    );
    expect(Number(rows[0]?.n)).toBe(5);
  });

  it('recovers from a full scan that stopped before its last commit: newer states are replayed, not trusted', async () => {
    await runScan({ mode: 'full' });
    const reference = await alertKeys();
    await resetScanState();

    // The first batch (alerts and every client's state, as of the last id) commits; the watermarks never move.
    await expect(
      runScan({
        mode: 'full',
        onChunkCommitted: () => {
          throw new Error('killed before the last commit');
        },
      }),
    ).rejects.toThrow('killed before the last commit');
    const [states] = await query<{ n: number }>('SELECT COUNT(*) AS n FROM scan_client_state');
    expect(Number(states?.n)).toBeGreaterThan(0);
    const marks = await query<{ name: string }>('SELECT name FROM scan_watermarks');
    expect(marks).toEqual([]);

    // Its alerts are above the (absent) watermark: the resumed run skips them and counts only what it adds.
    const left = (await alertKeys()).length;
    expect(left).toBeGreaterThan(0);
    const resumed = await runScan({ chunkSize: 500 });
    expect(resumed.mode).toBe('incremental');
    expect(resumed.fromId).toBe(1);
    expect(await alertKeys()).toEqual(reference);
    expect(resumed.alerts.created).toBe(reference.length - left);
    expect(await duplicates()).toBe(0);
  });

  it('rebuilds the detection state with a full scan when none matches the watermark', async () => {
    await runScan({ mode: 'full' });
    // As after an upgrade from a version without saved states: alerts and a watermark, but no state.
    await execute('DELETE FROM scan_client_state');
    await execute("DELETE FROM scan_watermarks WHERE name = 'anomaly-scan:state'");
    await insertTxns(conn, [
      { accountId: 70, type: 'card payment', date: '2025-03-31 18:00:00', amount: -12, balanceAfter: 5000 },
    ]);
    const next = await runScan();
    expect(next.mode).toBe('full');
    const [states] = await query<{ n: number }>('SELECT COUNT(*) AS n FROM scan_client_state');
    expect(Number(states?.n)).toBeGreaterThanOrEqual(30);
    expect((await runScan()).mode).toBe('incremental');
    expect(await duplicates()).toBe(0);
  });

  it('never overwrites analyst alerts or earlier alerts an analyst worked on', async () => {
    await runScan({ mode: 'full' });
    const target = bank.episodes.burst?.[0] as number;
    await execute(
      "UPDATE alerts SET status = 'closed', disposition = 'confirmed', note = 'called the client' WHERE transaction_id = ?",
      [target],
    );
    await execute(
      "INSERT INTO alerts (transaction_id, reason, risk_level, flagged_by, created_by, note) VALUES (?, 'unusual pattern', 'Medium', 'analyst', 'ana', 'mine')",
      [target],
    );
    const before = await query('SELECT * FROM alerts WHERE transaction_id = ? ORDER BY id', [target]);
    await runScan({ mode: 'full' });
    await runScan();
    const after = await query('SELECT * FROM alerts WHERE transaction_id = ? ORDER BY id', [target]);
    expect(after).toEqual(before);
    expect(after.filter((a) => a.flagged_by === 'analyst')).toHaveLength(1);
  });

  it('ignores cancelled transactions and judges pending ones', async () => {
    const [{ maxId }] = (await query<{ maxId: number }>('SELECT MAX(id) AS maxId FROM transactions')) as [
      { maxId: number },
    ];
    const burst = (status: 'cancelled' | 'pending', hour: number) =>
      Array.from({ length: 5 }, (_, i) => ({
        accountId: 90,
        type: 'outgoing transfer',
        date: `2025-03-26 ${hour}:0${i}:00`,
        amount: -50,
        balanceAfter: null,
        recipient: 'PL12000011113333',
        status,
      }));
    await insertTxns(conn, [...burst('cancelled', 10), ...burst('pending', 14)]);
    await runScan({ mode: 'full' });
    const flagged = await query<{ status: string; n: number }>(
      `SELECT t.status, COUNT(DISTINCT t.id) AS n FROM alerts al JOIN transactions t ON t.id = al.transaction_id
        WHERE t.id > ? GROUP BY t.status`,
      [maxId],
    );
    expect(flagged).toEqual([{ status: 'pending', n: 5 }]);
    await forgetAlertsAbove(maxId);
    await execute('DELETE FROM transactions WHERE id > ?', [maxId]);
  });
});
