/**
 * The scan honours suppressions, against the real database: a finding an active suppression covers is kept as an
 * alert with status `suppressed` naming it — never raised, never in a case, not in the default alerts list, counted
 * apart by the run, the report and the evaluation — in incremental and full scans; once it has expired or been
 * revoked the same finding is raised again; a suppression narrowed to a counterparty or a country covers only those.
 */
import type { Connection } from 'mysql2/promise';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { execute, query } from '../../lib/db/pool.js';
import { resolveDbSettings } from '../../lib/db/settings.js';
import { evaluateDetection } from '../../lib/scan/evaluate.js';
import { anomalyReport } from '../../lib/scan/report.js';
import { runScan } from '../../lib/scan/scan.js';
import { call, LEAD_KEY, VIEWER_KEY } from './alerts-fixture.js';
import { attach, casesOf } from './cases-fixture.js';
import { type FixtureBank, insertBackground, insertEpisodes, insertTxns } from './scan-fixtures.js';
import { resetScanState } from './scan-helpers.js';

let conn: Connection;
let bank: FixtureBank;
let lastOfFixture = 0;

/** Client 3 (PLN, account 30) paid 9 000 once (the `spike` episode) to this account; a repeat fires high-amount. */
const LANDLORD = 'PL11222233334444';
const SPIKE_CLIENT = 3;

const inDays = (days: number) => new Date(Date.now() + days * 86_400_000).toISOString().slice(0, 10);

/** A suppression made as closing would make it (by SQL: the API's part is tests/integration/suppressions-api). */
async function suppress(
  clientId: number,
  rule: string,
  narrowing: { counterparty?: string; country?: string } = {},
): Promise<number> {
  const r = await execute(
    `INSERT INTO suppressions (rule_id, client_id, counterparty, country, expires_at, reason, created_by, created_at)
     VALUES (?, ?, ?, ?, ? + INTERVAL 1 DAY, 'known', 'local-lead', NOW(3))`,
    [rule, clientId, narrowing.counterparty ?? null, narrowing.country ?? null, inDays(30)],
  );
  return r.insertId;
}

/** Client 3 pays 9 000 again to each of `recipients`, a day apart from 2025-03-22; resolves with their ids. */
let repeatDay = 22;
async function repeatSpike(...recipients: string[]): Promise<number[]> {
  const [[{ max }]] = (await conn.query('SELECT MAX(id) AS max FROM transactions')) as unknown as [
    [{ max: number }],
  ];
  await insertTxns(
    conn,
    recipients.map((recipient) => ({
      accountId: 30,
      type: 'outgoing transfer',
      date: `2025-03-${String(repeatDay++).padStart(2, '0')} 10:00:00`,
      amount: -9_000,
      balanceAfter: 1_000,
      recipient,
      title: 'Transfer',
    })),
  );
  const [rows] = (await conn.query('SELECT id FROM transactions WHERE id > ? ORDER BY id', [
    max,
  ])) as unknown as [Array<{ id: number }>];
  return rows.map((r) => Number(r.id));
}

/** The high-amount alert of each transaction: its status and suppression (undefined: none). */
async function highAmountOf(
  ids: number[],
): Promise<Array<{ status: string; suppression_id: number | null } | undefined>> {
  const rows = await query<{ transaction_id: number; status: string; suppression_id: number | null }>(
    "SELECT transaction_id, status, suppression_id FROM alerts WHERE rule_id = 'high-amount' AND transaction_id IN (?)",
    [ids],
  );
  return ids.map((id) => {
    const r = rows.find((x) => Number(x.transaction_id) === id);
    return (
      r && { status: r.status, suppression_id: r.suppression_id === null ? null : Number(r.suppression_id) }
    );
  });
}

const raised = { status: 'open', suppression_id: null };
const suppressedBy = (id: number) => ({ status: 'suppressed', suppression_id: id });

beforeAll(async () => {
  const settings = await resolveDbSettings();
  const mysql = await import('mysql2/promise');
  conn = await mysql.createConnection({ ...settings, dateStrings: true });
  await insertBackground(conn);
  bank = await insertEpisodes(conn);
  const [[{ max }]] = (await conn.query('SELECT MAX(id) AS max FROM transactions')) as unknown as [
    [{ max: number }],
  ];
  lastOfFixture = Number(max);
});

afterAll(async () => {
  await conn.end();
});

beforeEach(async () => {
  await execute('DELETE FROM case_history');
  await execute('DELETE FROM case_alerts');
  await execute('DELETE FROM cases');
  await resetScanState();
  await execute('DELETE FROM suppression_history');
  await execute('DELETE FROM suppressions');
  await execute('DELETE FROM transactions WHERE id > ?', [lastOfFixture]);
  repeatDay = 22;
});

describe('the scan and suppressions', () => {
  it('keeps a repeat finding as suppressed: not raised, not in a case, listed only when asked, counted apart', async () => {
    await runScan();
    const [spikeAlert] = await query<{ id: number }>(
      "SELECT id FROM alerts WHERE transaction_id = ? AND rule_id = 'high-amount'",
      [bank.episodes.spike?.[0]],
    );
    // A lead closes the first spike's alert as a false positive, suppressing high-amount for the client.
    const move = (body: unknown) => call('update', { id: String(spikeAlert?.id), key: LEAD_KEY, body });
    expect((await move({ status: 'investigating' })).status).toBe(200);
    const closed = await move({
      status: 'closed',
      disposition: 'false_positive',
      note: 'Rent paid yearly',
      suppress: { until: inDays(30) },
    });
    expect(closed.status, closed.text).toBe(200);
    const [{ id }] = (await query<{ id: number }>('SELECT id FROM suppressions')) as [{ id: number }];

    const [repeat] = await repeatSpike(LANDLORD);
    const run = await runScan();
    expect(run.alerts.suppressed).toBe(1);
    expect(await highAmountOf([repeat as number])).toEqual([suppressedBy(id)]);
    // The other rule that fired on it is raised as usual.
    const [other] = await query<{ status: string }>(
      "SELECT status FROM alerts WHERE transaction_id = ? AND rule_id = 'client-baseline'",
      [repeat],
    );
    expect(other?.status).toBe('open');

    const [kept] = await query<{ id: number }>(
      "SELECT id FROM alerts WHERE transaction_id = ? AND status = 'suppressed'",
      [repeat],
    );
    expect((await attach([Number(kept?.id)])).attached).toBe(0);
    // The scan opened the client's case with its other alerts; the suppressed one is in no case.
    expect((await casesOf(SPIKE_CLIENT)).length).toBeGreaterThan(0);
    expect(await query('SELECT case_id FROM case_alerts WHERE alert_id = ?', [kept?.id])).toEqual([]);

    const listed = await call('list', {
      query: { client_id: String(SPIKE_CLIENT), limit: '500' },
      key: VIEWER_KEY,
    });
    expect(listed.body.data.map((a: { id: number }) => a.id)).not.toContain(Number(kept?.id));
    const asked = await call('list', { query: { status: 'suppressed' }, key: VIEWER_KEY });
    expect(asked.body.data.map((a: { id: number }) => a.id)).toEqual([Number(kept?.id)]);
    const detail = await call('get', { id: String(kept?.id), key: VIEWER_KEY });
    expect(detail.body).toMatchObject({ status: 'suppressed', suppression_id: id });
    const moved = await call('update', {
      id: String(kept?.id),
      key: LEAD_KEY,
      body: { status: 'investigating' },
    });
    expect(moved.status).toBe(409);

    const report = await anomalyReport();
    expect(report.totals.suppressed).toBe(1);
    expect(report.lastRun?.findingsSuppressed).toBe(1);
    expect(report.byRule.find((r) => r.key === 'high-amount')?.alerts).toBe(
      Number(
        (
          await query<{ n: number }>(
            "SELECT COUNT(*) AS n FROM alerts WHERE rule_id = 'high-amount' AND status <> 'suppressed'",
          )
        )[0]?.n,
      ),
    );
    expect((await evaluateDetection()).suppressed).toEqual({ findings: 1, transactions: 1, suspicious: 0 });
    const stats = await call('stats', { query: { from: '2020-01-01', to: '2020-12-31' }, key: VIEWER_KEY });
    expect(stats.body.latest_scan_runs[0].findings_suppressed).toBe(1);
    const listing = await call('suppression-list', { key: VIEWER_KEY });
    expect(listing.body.data[0]).toMatchObject({
      id,
      findings_suppressed: 1,
      alert_id: Number(spikeAlert?.id),
    });
  });

  it('raises the finding again once its suppression has expired or been revoked', async () => {
    await runScan();
    const first = await suppress(SPIKE_CLIENT, 'high-amount');
    const [a] = await repeatSpike(LANDLORD);
    await runScan();
    expect(await highAmountOf([a as number])).toEqual([suppressedBy(first)]);

    // Its date passes (moved into the past here rather than waiting for it).
    await execute('UPDATE suppressions SET expires_at = NOW() - INTERVAL 1 SECOND WHERE id = ?', [first]);
    const [b] = await repeatSpike(LANDLORD);
    await runScan();
    expect(await highAmountOf([a as number, b as number])).toEqual([suppressedBy(first), raised]);

    const second = await suppress(SPIKE_CLIENT, 'high-amount');
    expect((await call('suppression-revoke', { id: String(second), key: LEAD_KEY })).status).toBe(200);
    const [c] = await repeatSpike(LANDLORD);
    await runScan();
    expect(await highAmountOf([c as number])).toEqual([raised]);
    expect(
      (await call('suppression-list', { query: { state: 'expired' }, key: VIEWER_KEY })).body.data,
    ).toEqual([expect.objectContaining({ id: first, findings_suppressed: 1 })]);
  });

  it('narrowed to a counterparty or a country, covers only the transactions with it', async () => {
    await runScan();
    const landlord = await suppress(SPIKE_CLIENT, 'high-amount', { counterparty: LANDLORD });
    const [toLandlord, toOther, abroad] = await repeatSpike(
      LANDLORD,
      'PL11222233335555',
      'DE89370400440532013000',
    );
    await runScan();
    expect(await highAmountOf([toLandlord, toOther, abroad] as number[])).toEqual([
      suppressedBy(landlord),
      raised,
      raised,
    ]);
    await execute('UPDATE suppressions SET revoked_at = NOW(3), revoked_by = ? WHERE id = ?', [
      'local-lead',
      landlord,
    ]);
    const germany = await suppress(SPIKE_CLIENT, 'high-amount', { country: 'DE' });
    const [home, german] = await repeatSpike('PL11222233335555', 'DE44500105175407324931');
    await runScan();
    expect(await highAmountOf([home, german] as number[])).toEqual([raised, suppressedBy(germany)]);
    // Another rule, or another client, is not covered.
    const [locationAlert] = await query<{ status: string }>(
      "SELECT status FROM alerts WHERE transaction_id = ? AND rule_id = 'unusual-location'",
      [abroad],
    );
    expect(locationAlert?.status).toBe('open');
  });

  it('applies in a full rescan the suppressions active now, narrowed ones included', async () => {
    const spike = bank.episodes.spike?.[0] as number;
    const landlord = await suppress(SPIKE_CLIENT, 'high-amount', { counterparty: LANDLORD });
    const burst = await suppress(1, 'rapid-transfers');
    const other = await suppress(1, 'high-amount', { country: 'DE' });
    const run = await runScan({ mode: 'full' });
    expect(await highAmountOf([spike])).toEqual([suppressedBy(landlord)]);
    const rapid = await query<{ status: string; suppression_id: number }>(
      "SELECT status, suppression_id FROM alerts WHERE rule_id = 'rapid-transfers' AND transaction_id IN (?)",
      [bank.episodes.burst],
    );
    expect(rapid.length).toBeGreaterThan(0);
    expect(rapid.every((r) => r.status === 'suppressed' && Number(r.suppression_id) === burst)).toBe(true);
    const [byOther] = await query<{ n: number }>(
      'SELECT COUNT(*) AS n FROM alerts WHERE suppression_id = ?',
      [other],
    );
    expect(Number(byOther?.n)).toBe(0);
    expect(run.alerts.suppressed).toBe(rapid.length + 1);
    const [runRow] = await query<{ findings_suppressed: number }>(
      'SELECT findings_suppressed FROM scan_runs WHERE id = ?',
      [run.runId],
    );
    expect(Number(runRow?.findings_suppressed)).toBe(rapid.length + 1);
  });

  it('suppresses the findings a later chunk completes on transactions of an earlier one', async () => {
    await runScan();
    const id = await suppress(7, 'unusual-pattern');
    const transfer = (minute: number) => ({
      accountId: 70,
      type: 'outgoing transfer',
      date: `2025-03-25 10:0${minute}:00`,
      amount: -100,
      balanceAfter: 10_000 - 100 * (minute + 1),
      recipient: 'PL12000011112222',
    });
    await insertTxns(conn, [0, 1, 2].map(transfer));
    await runScan();
    await insertTxns(conn, [3, 4].map(transfer));
    await runScan();
    const rows = await query<{ status: string; suppression_id: number }>(
      "SELECT status, suppression_id FROM alerts WHERE rule_id = 'unusual-pattern' AND transaction_id > ?",
      [lastOfFixture],
    );
    expect(rows).toHaveLength(5);
    expect(rows.every((r) => r.status === 'suppressed' && Number(r.suppression_id) === id)).toBe(true);
  });
});
