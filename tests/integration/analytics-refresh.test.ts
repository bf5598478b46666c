import { beforeAll, describe, expect, it } from 'vitest';
import { analyticsStaleness, REFRESH_LOCK, refreshAnalytics } from '../../lib/analytics/refresh.js';
import { execute, query, withNamedLock } from '../../lib/db/pool.js';
import { Deadline } from '../../lib/jobs/deadline.js';
import { runScan } from '../../lib/scan/scan.js';
import { parseSeedOptions } from '../../lib/seed/options.js';
import { runSeed } from '../../lib/seed/run.js';

const BANK = {
  clients: 60,
  transactions: 4_000,
  from: '2025-01-01',
  to: '2025-07-01',
  seed: 3,
  anomalyRate: 0.03,
};

/** Rows with numeric strings (SUM of DECIMAL) as numbers, so sums from either side compare. */
const norm = (rows: Array<Record<string, unknown>>) =>
  rows.map((r) =>
    Object.fromEntries(
      Object.entries(r).map(([k, v]) => [
        k,
        typeof v === 'string' && /^-?\d+(\.\d+)?$/.test(v) ? Number(v) : v,
      ]),
    ),
  );
const same = async (a: Promise<Array<Record<string, unknown>>>, b: Promise<Array<Record<string, unknown>>>) =>
  expect(norm(await a)).toEqual(norm(await b));

/** The summaries must always equal the same figures computed from the raw tables. */
async function expectSummariesMatchRawTables() {
  const daily = query<{ n: number; s: string; a: string }>(
    'SELECT SUM(n) AS n, SUM(amount_sum) AS s, SUM(abs_sum) AS a FROM analytics_daily_transactions',
  );
  const raw = query<{ n: number; s: string; a: string }>(
    'SELECT COUNT(*) AS n, SUM(amount) AS s, SUM(ABS(amount)) AS a FROM transactions',
  );
  await same(daily, raw);
  const perDay = query(
    `SELECT d.day, d.currency, d.transaction_type_id, d.status, d.n FROM analytics_daily_transactions d
      ORDER BY 1, 2, 3, 4`,
  );
  const rawPerDay = query(
    `SELECT DATE(date) AS day, currency, transaction_type_id, status, COUNT(*) AS n FROM transactions
      GROUP BY 1, 2, 3, 4 ORDER BY 1, 2, 3, 4`,
  );
  await same(perDay, rawPerDay);
  const clients = query('SELECT client_id, transactions FROM analytics_client_totals ORDER BY client_id');
  const rawClients = query(
    `SELECT a.client_id, COUNT(*) AS transactions FROM transactions t JOIN accounts a ON a.id = t.account_id
      WHERE t.status <> 'cancelled' GROUP BY a.client_id ORDER BY a.client_id`,
  );
  await same(clients, rawClients);
  const alerts = query(
    'SELECT risk_level, status, SUM(alerts) AS n FROM analytics_alert_counts GROUP BY 1, 2 ORDER BY 1, 2',
  );
  const rawAlerts = query('SELECT risk_level, status, COUNT(*) AS n FROM alerts GROUP BY 1, 2 ORDER BY 1, 2');
  await same(alerts, rawAlerts);
  const histogram = query<{ n: number }>('SELECT SUM(n) AS n FROM analytics_amount_histogram');
  const rawHistogram = query<{ n: number }>(
    "SELECT COUNT(*) AS n FROM transactions WHERE status <> 'cancelled' AND amount <> 0",
  );
  await same(histogram, rawHistogram);
  const marked = query<{ n: number }>(
    'SELECT COALESCE(SUM(transactions), 0) AS n FROM analytics_alert_amounts',
  );
  const rawMarked = query<{ n: number }>(
    `SELECT COUNT(DISTINCT al.transaction_id) AS n FROM alerts al JOIN transactions t ON t.id = al.transaction_id
      WHERE t.amount <> 0`,
  );
  await same(marked, rawMarked);
}

/** Every live summary table, row by row (and the KPIs beside the watermarks), as comparable text. */
async function summaries(): Promise<string[]> {
  const rows: string[] = [];
  for (const [table, order] of [
    ['analytics_daily_transactions', 'day, currency, transaction_type_id, status'],
    ['analytics_client_totals', 'client_id'],
    ['analytics_amount_histogram', 'month, bucket'],
    ['analytics_client_locations', 'country, city'],
    ['analytics_alert_counts', 'day, risk_level, reason, status'],
    ['analytics_alert_amounts', 'month, bucket'],
  ]) {
    for (const r of await query(`SELECT * FROM ${table} ORDER BY ${order}`))
      rows.push(`${table} ${JSON.stringify(r)}`);
  }
  const [kpis] = await query(
    'SELECT last_transaction_id, clients, active_clients, accounts, active_accounts FROM analytics_refresh_state',
  );
  rows.push(`kpis ${JSON.stringify(kpis)}`);
  return rows;
}

/** A deadline that lets `chunks` chunks start, then none (no clock involved). */
function deadlineAfter(chunks: number): Deadline {
  let started = 0;
  return new Deadline(() => (started++ < chunks ? Number.POSITIVE_INFINITY : 0));
}

describe('refreshAnalytics (summary tables)', () => {
  beforeAll(async () => {
    await runSeed(parseSeedOptions(BANK));
    await runScan({ mode: 'full' });
  });

  it('builds the summaries from nothing, then finds nothing to do', async () => {
    expect((await analyticsStaleness()).stale).toBe(true);
    const first = await refreshAnalytics({ chunkSize: 700 });
    expect(first).toMatchObject({ status: 'rebuilt', transactionsAdded: 4_000, locationsRebuilt: true });
    await expectSummariesMatchRawTables();
    expect(await analyticsStaleness()).toMatchObject({ stale: false, summarised: 4_000, latest: 4_000 });
    expect((await refreshAnalytics()).status).toBe('current');
  });

  it('adds only the new transactions and alerts after an appending seed and a scan', async () => {
    await runSeed(parseSeedOptions({ ...BANK, clients: 10, transactions: 1_000, seed: 4, append: true }));
    await runScan();
    expect((await analyticsStaleness()).stale).toBe(true);
    const second = await refreshAnalytics();
    expect(second).toMatchObject({ status: 'refreshed', fromTransactionId: 4_001, transactionsAdded: 1_000 });
    await expectSummariesMatchRawTables();
  });

  it('moves alert counts between statuses from alert_history', async () => {
    const [alert] = await query<{ id: number }>(
      "SELECT id FROM alerts WHERE status = 'open' ORDER BY id LIMIT 1",
    );
    const id = Number(alert?.id);
    await execute("UPDATE alerts SET status = 'investigating' WHERE id = ?", [id]);
    await execute(
      `INSERT INTO alert_history (alert_id, changed_at, changed_by, from_status, to_status)
       VALUES (?, NOW(3), 'test', 'open', 'investigating')`,
      [id],
    );
    await execute("UPDATE alerts SET status = 'closed', disposition = 'confirmed' WHERE id = ?", [id]);
    await execute(
      `INSERT INTO alert_history (alert_id, changed_at, changed_by, from_status, to_status, disposition)
       VALUES (?, NOW(3), 'test', 'investigating', 'closed', 'confirmed')`,
      [id],
    );
    expect((await analyticsStaleness()).stale).toBe(true);
    await refreshAnalytics();
    await expectSummariesMatchRawTables();
  });

  it('rebuilds everything after a seed --reset replaced the bank', async () => {
    await runSeed(parseSeedOptions({ ...BANK, transactions: 3_000, seed: 9, reset: true }));
    await runScan({ mode: 'full' });
    const rebuilt = await refreshAnalytics();
    expect(rebuilt.status).toBe('rebuilt');
    await expectSummariesMatchRawTables();
  });

  it('steps aside (busy) when another refresh holds the lock and it may not wait', async () => {
    let release!: () => void;
    const held = new Promise<void>((resolve) => {
      release = resolve;
    });
    // Another process's refresh, holding the lock until we let it go.
    const holder = withNamedLock(REFRESH_LOCK, () => held);
    await new Promise((r) => setTimeout(r, 200));
    expect((await refreshAnalytics({ waitSeconds: 0 })).status).toBe('busy');
    release();
    await holder;
    expect((await refreshAnalytics({ full: true, waitSeconds: 0 })).status).toBe('rebuilt');
    await expectSummariesMatchRawTables();
  });

  it('resumes a refresh stopped at its deadline from its watermarks, each stop exact up to them, and ends as one uninterrupted refresh', async () => {
    await runSeed(parseSeedOptions({ ...BANK, clients: 10, transactions: 2_000, seed: 5, append: true }));
    await runScan();
    const stops: number[] = [];
    let last = await refreshAnalytics({ chunkSize: 300, deadline: deadlineAfter(2) });
    while (last.status === 'partial') {
      expect(last.chunks).toBe(2);
      stops.push(last.toTransactionId);
      // What is in the summaries is exact for the transactions up to the watermark, none counted twice.
      const [counted] = await query<{ n: number }>('SELECT SUM(n) AS n FROM analytics_daily_transactions');
      const [raw] = await query<{ n: number }>('SELECT COUNT(*) AS n FROM transactions WHERE id <= ?', [
        last.toTransactionId,
      ]);
      expect(Number(counted?.n)).toBe(Number(raw?.n));
      last = await refreshAnalytics({ chunkSize: 300, deadline: deadlineAfter(2) });
      expect(stops.length).toBeLessThan(30);
    }
    expect(last.status).toBe('refreshed');
    // Seven chunks of transactions at least: three stops, each going on where the one before stopped.
    expect(stops.length).toBeGreaterThanOrEqual(3);
    expect(stops).toEqual([...stops].sort((a, b) => a - b));
    await expectSummariesMatchRawTables();
    const resumed = await summaries();
    expect((await refreshAnalytics({ full: true })).status).toBe('rebuilt');
    expect(await summaries()).toEqual(resumed);
  });

  it('rebuilds across refreshes stopped at their deadline while the dashboard reads the previous summaries whole, then swaps', async () => {
    const previous = await summaries();
    await runSeed(parseSeedOptions({ ...BANK, transactions: 2_500, seed: 11, reset: true }));
    await runScan({ mode: 'full' });
    expect((await analyticsStaleness()).stale).toBe(true);

    let last = await refreshAnalytics({ chunkSize: 400, deadline: deadlineAfter(3) });
    let partials = 0;
    while (last.status === 'partial') {
      expect(last).toMatchObject({ building: true, chunks: 3 });
      partials++;
      expect(await summaries()).toEqual(previous);
      last = await refreshAnalytics({ chunkSize: 400, deadline: deadlineAfter(3) });
      expect(partials).toBeLessThan(30);
    }
    expect(partials).toBeGreaterThanOrEqual(2);
    expect(last).toMatchObject({ status: 'rebuilt', building: false });
    await expectSummariesMatchRawTables();
    expect((await analyticsStaleness()).stale).toBe(false);
    const rebuilt = await summaries();
    expect((await refreshAnalytics({ full: true })).status).toBe('rebuilt');
    expect(await summaries()).toEqual(rebuilt);
    // No rebuild is left under way.
    expect(await query('SELECT name FROM analytics_refresh_state_build')).toEqual([]);
  });
});
