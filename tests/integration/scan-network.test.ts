import type { Connection } from 'mysql2/promise';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { execute, query } from '../../lib/db/pool.js';
import { resolveDbSettings } from '../../lib/db/settings.js';
import { normaliseIban } from '../../lib/rules/stats.js';
import { runScan } from '../../lib/scan/scan.js';
import { at, type FixtureTxn, insertClient, insertTxns, insertTypes } from './scan-fixtures.js';

let conn: Connection;

const MULE = 'LT601010012345678901';
const SHOP = 'LT641010099988887777';
const SHOP_AS_TYPED = 'lt64 1010 0999 8888 7777';
/** How two of the mule's payers typed its IBAN (stored as typed: the same recipient once normalised). */
const MULE_AS_TYPED: Record<number, string> = { 2: 'lt60 1010 0123 4567 8901', 4: 'LT60 1010012345678901' };
const DAY = 86_400_000;
const START = Date.UTC(2025, 0, 6, 8);

/**
 * Twelve clients (EUR) with two months of ordinary card payments and rent to a landlord of their own, then, in
 * booking order: six of them paying one Lithuanian IBAN within 15 hours (a fan-in; two typed it their own way), and 5 000 going round three
 * clients' accounts and back within a day (a cycle), each transfer with its credit on the receiving account.
 * Every row is inserted in booking order, so ids grow with time and chunks cut through the episodes.
 */
async function insertBank(): Promise<void> {
  await insertTypes(conn);
  for (let c = 1; c <= 12; c++) await insertClient(conn, { id: c, country: 'DE', currencies: ['EUR'] });
  const txns: FixtureTxn[] = [];
  for (let d = 0; d < 60; d++) {
    for (let c = 1; c <= 12; c++) {
      const day = new Date(START + d * DAY);
      if (d % 3 === c % 3)
        txns.push({ accountId: c * 10, type: 'card payment', date: at(day, c), amount: -(30 + c) });
      if (d % 30 === c)
        txns.push({
          accountId: c * 10,
          type: 'outgoing transfer',
          date: at(day, 60 + c),
          amount: -700,
          recipient: `DE${String(c).padStart(2, '0')}LANDLORD000${c}`,
        });
    }
  }
  const day = new Date(START + 60 * DAY);
  for (const [i, c] of [1, 2, 3, 4, 5, 6].entries())
    txns.push({
      accountId: c * 10,
      type: 'outgoing transfer',
      date: at(day, 60 + i * 180),
      amount: -900,
      recipient: MULE_AS_TYPED[i] ?? MULE,
    });
  const hops: Array<[number, number, number]> = [
    [7, 8, 5_000],
    [8, 9, 4_900],
    [9, 7, 4_800],
  ];
  for (const [i, [from, to, amount]] of hops.entries()) {
    const date = at(day, 24 * 60 + i * 300);
    txns.push(
      {
        accountId: from * 10,
        type: 'outgoing transfer',
        date,
        amount: -amount,
        recipient: `DE00TEST0${to}0`,
      },
      { accountId: to * 10, type: 'incoming transfer', date, amount },
    );
  }
  // A shop three clients paid three weeks before (typing its IBAN their own way) is an established payee: five new
  // payers within three days are no fan-in.
  for (const c of [7, 8, 9])
    txns.push({
      accountId: c * 10,
      type: 'outgoing transfer',
      date: at(new Date(START + (33 + c) * DAY), 30),
      amount: -120,
      recipient: SHOP_AS_TYPED,
    });
  for (const c of [1, 2, 3, 4, 5])
    txns.push({
      accountId: c * 10,
      type: 'outgoing transfer',
      date: at(new Date(START + 61 * DAY), 100 + c * 240),
      amount: -120,
      recipient: SHOP,
    });
  for (let d = 61; d < 66; d++)
    for (let c = 1; c <= 12; c++)
      txns.push({
        accountId: c * 10,
        type: 'card payment',
        date: at(new Date(START + d * DAY), c),
        amount: -(30 + c),
      });
  txns.sort((a, b) => a.date.localeCompare(b.date));
  await insertTxns(conn, txns);
}

async function resetScanState() {
  for (const table of [
    'alert_history',
    'alerts',
    'scan_runs',
    'scan_watermarks',
    'scan_amount_histogram',
    'scan_client_state',
  ])
    await execute(`DELETE FROM ${table}`);
}

async function alertKeys(): Promise<string[]> {
  const rows = await query<{ transaction_id: number; rule_id: string; risk_level: string }>(
    "SELECT transaction_id, rule_id, risk_level FROM alerts WHERE flagged_by = 'system' ORDER BY transaction_id, rule_id",
  );
  return rows.map((r) => `${r.transaction_id}|${r.rule_id}|${r.risk_level}`);
}

async function networkAlerts() {
  const rows = await query<{
    transaction_id: number;
    rule_id: string;
    evidence: unknown;
    recipient_account: string;
  }>(
    `SELECT a.transaction_id, a.rule_id, a.evidence, t.recipient_account FROM alerts a
       JOIN transactions t ON t.id = a.transaction_id
      WHERE a.rule_id IN ('fan-in', 'cycle') ORDER BY a.transaction_id`,
  );
  return rows.map((r) => ({
    ...r,
    evidence: typeof r.evidence === 'string' ? JSON.parse(r.evidence) : r.evidence,
  }));
}

beforeAll(async () => {
  const settings = await resolveDbSettings();
  const mysql = await import('mysql2/promise');
  conn = await mysql.createConnection({ ...settings, dateStrings: true });
  await insertBank();
});

afterAll(async () => {
  await conn.end();
});

beforeEach(resetScanState);

describe('scan-anomalies network stage', () => {
  it('flags a fan-in on every payment to the mule IBAN and a cycle on each of its hops, with their evidence', async () => {
    await runScan({ mode: 'full' });
    const alerts = await networkAlerts();
    const fanIn = alerts.filter((a) => a.rule_id === 'fan-in');
    expect(fanIn).toHaveLength(6);
    expect(fanIn.every((a) => normaliseIban(a.recipient_account) === MULE)).toBe(true);
    // The first five are alerted when the fifth new sender pays, the sixth on its own.
    expect(fanIn[0]?.evidence).toMatchObject({ recipient: MULE, newSenders: 5, knownSenders: 0 });
    expect(fanIn[5]?.evidence).toMatchObject({ newSenders: 6, transfers: 6 });
    const loop = alerts.filter((a) => a.rule_id === 'cycle');
    expect(loop.map((a) => a.recipient_account)).toEqual(['DE00TEST080', 'DE00TEST090', 'DE00TEST070']);
    expect(loop[0]?.evidence).toMatchObject({
      hops: 3,
      clients: 3,
      amounts: [5000, 4900, 4800],
      currency: 'EUR',
    });
    expect(loop[0]?.evidence.risk.level).not.toBe('Low');
    // The landlords' monthly rent is never a fan-in (each is paid by one client), nor are the shop's new payers.
    expect(alerts).toHaveLength(9);
  });

  it('finds the same alerts when the transfers arrive two at a time, and on top of a full scan cut anywhere', async () => {
    await runScan({ mode: 'full' });
    const reference = await alertKeys();
    expect(reference.length).toBeGreaterThanOrEqual(9);
    const [{ first }] = (await query<{ first: number }>(
      `SELECT MIN(id) AS first FROM transactions WHERE recipient_account = ?`,
      [MULE],
    )) as [{ first: number }];
    for (const cut of [Number(first) - 5, Number(first) + 2, Number(first) + 8]) {
      await resetScanState();
      await runScan({ mode: 'full', toId: cut });
      const rest = await runScan({ chunkSize: 2 });
      expect(rest.chunks).toBeGreaterThan(10);
      expect(await alertKeys()).toEqual(reference);
    }
    const again = await runScan();
    expect(again.alerts.created).toBe(0);
  });

  it('raises an earlier open alert of a transaction a network finding lands on, with a history row, and leaves worked alerts alone', async () => {
    await runScan({ mode: 'full' });
    const loop = (await networkAlerts())
      .filter((a) => a.rule_id === 'cycle')
      .map((a) => Number(a.transaction_id));
    const [closing] = loop.slice(-1) as [number];
    await resetScanState();
    const before = closing - 1;
    await runScan({ mode: 'full', toId: before });
    // The hops already judged have alerts of their own (the amount is far beyond the clients' habit): the first
    // hop's are left Low and open, the second hop's are being worked on by an analyst.
    const earlier = (ids: number[]) =>
      query<{ transaction_id: number; risk_level: string; status: string }>(
        "SELECT transaction_id, risk_level, status FROM alerts WHERE transaction_id IN (?) AND rule_id <> 'cycle' ORDER BY transaction_id, rule_id",
        [ids],
      );
    expect((await earlier([loop[0] as number])).length).toBeGreaterThan(0);
    await execute("UPDATE alerts SET risk_level = 'Low' WHERE transaction_id = ?", [loop[0]]);
    await execute("UPDATE alerts SET risk_level = 'Low', status = 'investigating' WHERE transaction_id = ?", [
      loop[1],
    ]);
    await runScan();
    const [cycleAlert] = await query<{ risk_level: string }>(
      "SELECT risk_level FROM alerts WHERE rule_id = 'cycle' AND transaction_id = ?",
      [loop[0]],
    );
    expect(cycleAlert?.risk_level).not.toBe('Low');
    const first = await earlier([loop[0] as number]);
    expect(first.every((r) => r.risk_level === cycleAlert?.risk_level && r.status === 'open')).toBe(true);
    const second = await earlier([loop[1] as number]);
    expect(second.every((r) => r.risk_level === 'Low' && r.status === 'investigating')).toBe(true);
    const history = await query<{ note: string; changed_by: string }>(
      'SELECT h.note, h.changed_by FROM alert_history h JOIN alerts a ON a.id = h.alert_id WHERE a.transaction_id = ?',
      [loop[0]],
    );
    expect(history).toHaveLength(first.length);
    expect(history[0]?.changed_by).toBe('system');
    expect(history[0]?.note).toMatch(
      /^risk raised from Low to (Medium|High) by later findings \(cycle\) in scan run \d+$/,
    );
  });
});
