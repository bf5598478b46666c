import { readFile } from 'node:fs/promises';
import type { Context } from 'aws-lambda';
import type { Connection } from 'mysql2/promise';
import { beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { handler } from '../../functions/scan-anomalies.js';
import { analyticsStaleness } from '../../lib/analytics/refresh.js';
import { query } from '../../lib/db/pool.js';
import { resolveDbSettings } from '../../lib/db/settings.js';
import type { ScanSummary } from '../../lib/scan/scan.js';
import { type FixtureBank, insertBackground, insertEpisodes } from './scan-fixtures.js';
import { resetScanState } from './scan-helpers.js';

const context = {
  awsRequestId: 'test-request',
  functionName: 'scan-anomalies',
  getRemainingTimeInMillis: () => 300_000,
} as unknown as Context;
/** An invocation whose time runs out after its first chunk: the margin (20 s by default) is all that is left. */
function contextEndingAfterOneChunk(): Context {
  let asked = 0;
  // Asked by middy (its early-timeout timer) and when the deadline is made, then before each chunk.
  return { ...context, getRemainingTimeInMillis: () => (asked++ < 3 ? 300_000 : 20_000) } as Context;
}
const scheduled = JSON.parse(
  await readFile(new URL('../events/eventbridge-scheduled-scan.json', import.meta.url), 'utf8'),
) as unknown;

let bank: FixtureBank;
let lastId: number;
let transactions: number;

interface SystemAlert {
  transaction_id: number;
  rule_id: string;
  risk_level: string;
}

async function systemAlerts(): Promise<SystemAlert[]> {
  const rows = await query<{ transaction_id: number; rule_id: string; risk_level: string }>(
    "SELECT transaction_id, rule_id, risk_level FROM alerts WHERE flagged_by = 'system' ORDER BY transaction_id, rule_id",
  );
  return rows.map((r) => ({ ...r, transaction_id: Number(r.transaction_id) }));
}

async function watermark(): Promise<number | undefined> {
  const [row] = await query<{ last: number }>(
    "SELECT last_transaction_id AS last FROM scan_watermarks WHERE name = 'anomaly-scan'",
  );
  return row === undefined ? undefined : Number(row.last);
}

const alertsOn = (alerts: SystemAlert[], ids: number[] | undefined) =>
  alerts.filter((a) => (ids ?? []).includes(a.transaction_id));

beforeAll(async () => {
  const settings = await resolveDbSettings();
  const mysql = await import('mysql2/promise');
  const conn: Connection = await mysql.createConnection({ ...settings, dateStrings: true });
  try {
    await insertBackground(conn, { clients: 10 });
    bank = await insertEpisodes(conn);
  } finally {
    await conn.end();
  }
  const [row] = await query<{ last: number; n: number }>(
    'SELECT MAX(id) AS last, COUNT(*) AS n FROM transactions',
  );
  lastId = Number(row?.last);
  transactions = Number(row?.n);
});

// Each test starts from a bank nobody has scanned yet.
beforeEach(resetScanState);

describe('scan-anomalies handler', () => {
  it('scans the new transactions on the EventBridge schedule, writes explained alerts and records the run', async () => {
    const summary = (await handler(scheduled, context)) as ScanSummary;

    expect(transactions).toBeGreaterThan(500);
    expect(summary).toMatchObject({
      status: 'succeeded',
      mode: 'incremental',
      fromId: 1,
      toId: lastId,
      transactionsScanned: transactions,
    });
    const alerts = await systemAlerts();
    expect(alerts).toHaveLength(summary.alerts.created);
    // The planted burst drains client 1: every transfer of it is an unusual-pattern alert at High.
    const burst = alertsOn(alerts, bank.episodes.burst).filter((a) => a.rule_id === 'unusual-pattern');
    expect(burst.map((a) => a.transaction_id)).toEqual(bank.episodes.burst);
    for (const a of burst) expect(a.risk_level).toBe('High');
    expect(alertsOn(alerts, bank.episodes.structuring).map((a) => a.rule_id)).toContain('structuring');
    expect(alertsOn(alerts, bank.episodes['new-country']).map((a) => a.rule_id)).toContain(
      'unusual-location',
    );
    // The titled house deposit (a decoy) is alerted on, but stays Low.
    const house = alertsOn(alerts, bank.episodes['house-deposit']);
    expect(house.length).toBeGreaterThan(0);
    for (const a of house) expect(a.risk_level).toBe('Low');

    const runs = await query<Record<string, unknown>>('SELECT * FROM scan_runs');
    expect(runs).toHaveLength(1);
    expect(runs[0]).toMatchObject({ mode: 'incremental', status: 'succeeded' });
    expect(Number(runs[0]?.id)).toBe(summary.runId);
    expect(Number(runs[0]?.to_transaction_id)).toBe(lastId);
    expect(Number(runs[0]?.transactions_scanned)).toBe(transactions);
    expect(Number(runs[0]?.alerts_created)).toBe(alerts.length);
    expect(await watermark()).toBe(lastId);
    // The dashboard's summaries are left to refresh-summaries (the function's on-success destination).
    expect((await analyticsStaleness()).stale).toBe(true);
  });

  it('stops before a chunk it could not finish before the invocation ends, records a partial run, and the next goes on', async () => {
    const partial = (await handler({ chunkSize: 200 }, contextEndingAfterOneChunk())) as ScanSummary;
    expect(partial).toMatchObject({ status: 'partial', chunks: 1, fromId: 1 });
    expect(partial.toId).toBeLessThan(lastId);
    expect(await watermark()).toBe(partial.toId);
    const next = (await handler(scheduled, context)) as ScanSummary;
    expect(next).toMatchObject({ status: 'succeeded', fromId: partial.toId + 1, toId: lastId });
    const runs = await query<{ status: string }>('SELECT status FROM scan_runs ORDER BY id');
    expect(runs.map((r) => r.status)).toEqual(['partial', 'succeeded']);
  });

  it('fails visibly when the deadline margin leaves no time in the invocation', async () => {
    const short = { ...context, getRemainingTimeInMillis: () => 15_000 } as Context;
    await expect(handler(scheduled, short)).rejects.toThrow(
      /JOB_DEADLINE_MARGIN_SECONDS, 20 s\) leaves no time/,
    );
    expect(await query('SELECT id FROM scan_runs')).toEqual([]);
  });

  it('finds nothing new on the next scheduled invocation and writes nothing', async () => {
    await handler(scheduled, context);
    const alerts = await systemAlerts();

    const again = (await handler(scheduled, context)) as ScanSummary;

    expect(again).toMatchObject({ status: 'succeeded', mode: 'incremental', transactionsScanned: 0 });
    expect(again.alerts.created).toBe(0);
    expect(await systemAlerts()).toEqual(alerts);
    expect(await watermark()).toBe(lastId);
    const runs = await query<{ status: string }>('SELECT status FROM scan_runs ORDER BY id');
    expect(runs).toEqual([{ status: 'succeeded' }, { status: 'succeeded' }]);
  });

  it('rescans everything when invoked by hand with {"mode":"full"}, duplicating no alert', async () => {
    await handler(scheduled, context);
    const alerts = await systemAlerts();

    const summary = (await handler({ mode: 'full' }, context)) as ScanSummary;

    expect(summary).toMatchObject({ status: 'succeeded', mode: 'full', transactionsScanned: transactions });
    expect(summary.alerts.created).toBe(0);
    expect(await systemAlerts()).toEqual(alerts);
    expect(await watermark()).toBe(lastId);
  });

  it('rejects a malformed manual event, and fails visibly', async () => {
    await expect(handler({ mode: 'everything' }, context)).rejects.toThrow(
      /invalid scan-anomalies event: mode/,
    );
    expect(await query('SELECT id FROM scan_runs')).toEqual([]);
  });
});
