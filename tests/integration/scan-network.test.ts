import type { Connection } from 'mysql2/promise';
import { afterAll, beforeAll, beforeEach, describe, expect, it, onTestFinished } from 'vitest';
import { execute, query } from '../../lib/db/pool.js';
import { resolveDbSettings } from '../../lib/db/settings.js';
import { normaliseIban } from '../../lib/rules/stats.js';
import { runScan } from '../../lib/scan/scan.js';
import { call, VIEWER_KEY } from './alerts-fixture.js';
import { at, type FixtureTxn, insertClient, insertTxns, insertTypes } from './scan-fixtures.js';
import { alertKeys, caseKeys, duplicates, resetScanState } from './scan-helpers.js';

let conn: Connection;

const CLIENTS = 18;

const MULE = 'LT601010012345678901';
const GATHERER = 'NL91ABNA0417164300';
const SHOP = 'LT641010099988887777';
const SHOP_AS_TYPED = 'lt64 1010 0999 8888 7777';
/** How two of the mule's payers typed its IBAN (stored as typed: the same recipient once normalised). */
const MULE_AS_TYPED: Record<number, string> = { 2: 'lt60 1010 0123 4567 8901', 4: 'LT60 1010012345678901' };
const DAY = 86_400_000;
const START = Date.UTC(2025, 0, 6, 8);

/**
 * Eighteen clients (EUR) with two months of ordinary card payments and rent to a landlord of their own, then, in
 * booking order: six of them paying one Lithuanian IBAN within 15 hours (a fan-in; two typed it their own way), 5 000 going round three
 * clients' accounts and back within a day (a cycle), client 10 paying 3 000 to each of clients 13, 14 and 15 who pass
 * nearly all of it on to one Dutch IBAN within two days (a scatter-gather), and clients 1–4 paying client 16's
 * account 1 000 each, which pays 950 on to four new IBANs the next day (a gather-scatter); each transfer between our
 * accounts with its credit on the receiving account. Every row is inserted in booking order, so ids grow with time
 * and chunks cut through the episodes. A shop
 * three clients paid three weeks before is an established payee: five new payers are no fan-in.
 */
async function insertBank(): Promise<void> {
  await insertTypes(conn);
  for (let c = 1; c <= CLIENTS; c++) await insertClient(conn, { id: c, country: 'DE', currencies: ['EUR'] });
  const txns: FixtureTxn[] = [];
  for (let d = 0; d < 60; d++) {
    for (let c = 1; c <= CLIENTS; c++) {
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
  txns.push(...layering(new Date(START + 62 * DAY)));
  // Every other client a day: enough to cut through, few enough to scan two at a time many times.
  for (let d = 61; d < 66; d++)
    for (let c = 1 + (d % 2); c <= CLIENTS; c += 2)
      txns.push({
        accountId: c * 10,
        type: 'card payment',
        date: at(new Date(START + d * DAY), c),
        amount: -(30 + c),
      });
  txns.sort((a, b) => a.date.localeCompare(b.date));
  await insertTxns(conn, txns);
}

/** A payment from client `from` to our client `to` (its debit and its credit) or to an IBAN. */
function payment(from: number, to: number | string, date: string, amount: number): FixtureTxn[] {
  const ours = typeof to === 'number';
  const debit = {
    accountId: from * 10,
    type: 'outgoing transfer',
    date,
    amount: -amount,
    recipient: ours ? `DE00TEST${String(to).padStart(2, '0')}0` : to,
  };
  return ours ? [debit, { accountId: to * 10, type: 'incoming transfer', date, amount }] : [debit];
}

/** The scatter-gather (from `day`'s morning) and the gather-scatter (from its evening). */
function layering(day: Date): FixtureTxn[] {
  const scatter = [13, 14, 15].flatMap((c, i) => payment(10, c, at(day, 60 + i * 30), 3_000));
  const gather = [
    payment(13, GATHERER, at(day, 24 * 60), 2_900),
    payment(14, GATHERER, at(day, 28 * 60), 2_850),
    payment(15, GATHERER, at(day, 49 * 60), 2_950),
  ].flat();
  const collect = [1, 2, 3, 4].flatMap((c, i) => payment(c, 16, at(day, 600 + i * 20), 1_000));
  const disperse = [0, 1, 2, 3].flatMap((i) =>
    payment(16, `PL${60 + i}109010140000071219812874`, at(day, 20 * 60 + i * 45), 950),
  );
  return [...scatter, ...gather, ...collect, ...disperse];
}

/** The alerts of one full scan, the reference the other ways of scanning must give. */
async function referenceAlerts(): Promise<string[]> {
  await runScan({ mode: 'full' });
  const reference = await alertKeys();
  expect(reference.length).toBeGreaterThanOrEqual(9 + 6 + 8);
  return reference;
}

/**
 * A full scan up to `cut`, then incremental runs two transactions at a time, give the `reference` alerts (and, when
 * given, the `cases` of one full scan).
 */
async function expectSameAlertsFrom(cut: number, reference: string[], cases?: string[]): Promise<void> {
  await resetScanState();
  await runScan({ mode: 'full', toId: cut });
  const rest = await runScan({ chunkSize: 2 });
  expect(rest.chunks).toBeGreaterThan(10);
  expect(await alertKeys()).toEqual(reference);
  if (cases) expect(await caseKeys(), `cut at ${cut}`).toEqual(cases);
}

/** The id of the first transfer to `iban`. */
async function firstPaymentTo(iban: string): Promise<number> {
  const [row] = await query<{ first: number }>(
    'SELECT MIN(id) AS first FROM transactions WHERE recipient_account = ?',
    [iban],
  );
  return Number(row?.first);
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
      WHERE a.rule_id IN ('fan-in', 'cycle', 'scatter-gather', 'gather-scatter') ORDER BY a.transaction_id`,
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
    // Each hop of the cycle is alerted on the payer's debit and on the credit it booked on the next account.
    const loop = alerts.filter((a) => a.rule_id === 'cycle');
    expect(loop.map((a) => a.recipient_account)).toEqual([
      'DE00TEST080',
      null,
      'DE00TEST090',
      null,
      'DE00TEST070',
      null,
    ]);
    expect(loop[0]?.evidence).toMatchObject({
      hops: 3,
      clients: 3,
      amounts: [5000, 4900, 4800],
      currency: 'EUR',
    });
    expect(loop[0]?.evidence.risk.level).not.toBe('Low');
    for (const [i, credit] of loop.entries()) {
      if (i % 2 === 0) continue;
      const debit = loop[i - 1] as (typeof loop)[number];
      expect(credit.evidence).toMatchObject({
        hops: 3,
        receivingSide: true,
        paymentTransactionId: Number(debit.transaction_id),
      });
      expect(credit.evidence.relatedTransactionIds).toEqual(debit.evidence.relatedTransactionIds);
    }
    // The fan-in's IBAN is another bank's: no credit of ours to alert. The landlords' monthly rent is never a
    // fan-in: each is paid by one client.
    expect(fanIn.length + loop.length).toBe(12);
  });

  it('flags a scatter-gather on each of its legs and a gather-scatter on each payment in and out, with their evidence', async () => {
    await runScan({ mode: 'full' });
    const alerts = await networkAlerts();
    const paid = alerts.filter((a) => !a.evidence.receivingSide);
    const received = alerts.filter((a) => a.evidence.receivingSide);
    const layered = paid.filter((a) => a.rule_id === 'scatter-gather');
    // The intermediaries' credits carry the alert too (the gatherer is another bank's).
    expect(received.filter((a) => a.rule_id === 'scatter-gather')).toHaveLength(3);
    expect(layered.map((a) => a.recipient_account)).toEqual([
      'DE00TEST130',
      'DE00TEST140',
      'DE00TEST150',
      GATHERER,
      GATHERER,
      GATHERER,
    ]);
    expect(layered[0]?.evidence).toMatchObject({
      originClient: 10,
      originAccounts: [100],
      gatherer: GATHERER,
      gathererIsOurs: false,
      intermediaries: 3,
      scattered: 9_000,
      gathered: 8_700,
      gatheredShare: 0.97,
      currency: 'EUR',
    });
    expect(layered[0]?.evidence.risk.level).not.toBe('Low');
    const collection = paid.filter((a) => a.rule_id === 'gather-scatter');
    expect(collection).toHaveLength(8);
    expect(collection.filter((a) => a.recipient_account === 'DE00TEST160')).toHaveLength(4);
    expect(collection[0]?.evidence).toMatchObject({
      account: 160,
      iban: 'DE00TEST160',
      newSenders: 4,
      newRecipients: 4,
      received: 4_000,
      paidOut: 3_800,
    });
    // Four senders are no fan-in (five are asked), nor are the shop's new payers, and nothing else is layered: the
    // rent, the card payments.
    expect(paid).toHaveLength(9 + 6 + 8);
    // On the receiving side: each cycle hop's credit, the collection account's four payments in, and the
    // intermediaries' credits.
    expect(received.map((a) => a.rule_id).sort()).toEqual([
      ...Array(3).fill('cycle'),
      ...Array(4).fill('gather-scatter'),
      ...Array(3).fill('scatter-gather'),
    ]);
  });

  it('finds the same alerts and cases when the transfers arrive two at a time, and on top of a full scan cut anywhere', async () => {
    const reference = await referenceAlerts();
    const cases = await caseKeys();
    const first = await firstPaymentTo(MULE);
    for (const cut of [first - 5, first + 2, first + 8]) await expectSameAlertsFrom(cut, reference, cases);
    const again = await runScan();
    expect(again.alerts.created).toBe(0);
  });

  it('finds the same scatter-gather and gather-scatter alerts when a full scan is cut inside them', async () => {
    const reference = await referenceAlerts();
    expect(reference.some((k) => k.includes('|scatter-gather|'))).toBe(true);
    expect(reference.some((k) => k.includes('|gather-scatter|'))).toBe(true);
    const cases = await caseKeys();
    const scatter = await firstPaymentTo('DE00TEST130');
    const collect = await firstPaymentTo('DE00TEST160');
    for (const cut of [scatter + 1, scatter + 7, collect + 3, collect + 9])
      await expectSameAlertsFrom(cut, reference, cases);
  });

  it('raises an earlier open alert of a transaction a network finding lands on, with a history row, and leaves worked alerts alone', async () => {
    await runScan({ mode: 'full' });
    const loop = (await networkAlerts())
      .filter((a) => a.rule_id === 'cycle' && a.recipient_account !== null)
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
    // The client's case was opened on the alerts as they were; the raise moved its risk with them.
    const [own] = await query<{ id: number; risk_level: string }>(
      `SELECT c.id, c.risk_level FROM cases c JOIN transactions t ON t.id = ? JOIN accounts ac ON ac.id = t.account_id
        WHERE c.kind = 'client' AND c.client_id = ac.client_id`,
      [loop[0]],
    );
    expect(own?.risk_level).toBe(cycleAlert?.risk_level);
    const raisedBy = await query<{ changed_by: string }>(
      "SELECT changed_by FROM case_history WHERE case_id = ? AND field = 'risk_level' ORDER BY id",
      [own?.id],
    );
    expect(raisedBy.at(-1)?.changed_by).toBe('scan');
  });

  it('lets one of two overlapping incremental runs work while the other skips or waits, with the full scan’s alerts and cases', async () => {
    const reference = await referenceAlerts();
    const cases = await caseKeys();
    const cut = (await firstPaymentTo(MULE)) - 5;
    await resetScanState();
    await runScan({ mode: 'full', toId: cut });
    const [a, b] = await Promise.all([runScan({ chunkSize: 5 }), runScan({ chunkSize: 5 })]);
    expect([a.status, b.status].sort()).toEqual(['skipped', 'succeeded']);
    expect(await alertKeys()).toEqual(reference);
    expect(await caseKeys()).toEqual(cases);

    // Two that wait for the lock: the second works after the first and finds nothing left to create.
    await resetScanState();
    await runScan({ mode: 'full', toId: cut });
    const [c, d] = await Promise.all([
      runScan({ chunkSize: 5, lockWaitSeconds: 60 }),
      runScan({ chunkSize: 5, lockWaitSeconds: 60 }),
    ]);
    expect([c.status, d.status]).toEqual(['succeeded', 'succeeded']);
    expect(Math.min(c.alerts.created, d.alerts.created)).toBe(0);
    expect(Math.min(c.cases.opened, d.cases.opened)).toBe(0);
    expect(await alertKeys()).toEqual(reference);
    expect(await caseKeys()).toEqual(cases);
    expect(await duplicates()).toBe(0);
  });

  it('resumes an incremental run that crashed inside the scatter-gather without losing or repeating an alert', async () => {
    const reference = await referenceAlerts();
    const scatter = await firstPaymentTo('DE00TEST130');
    await resetScanState();
    await runScan({ mode: 'full', toId: scatter - 1 });
    await expect(
      runScan({
        chunkSize: 3,
        onChunkCommitted: ({ index }) => {
          if (index === 2) throw new Error('killed after three chunks');
        },
      }),
    ).rejects.toThrow('killed after three chunks');
    const [mark] = await query<{ last_transaction_id: number }>(
      "SELECT last_transaction_id FROM scan_watermarks WHERE name = 'anomaly-scan'",
    );
    // Three chunks of three: the scatter's six rows and the first of the collection's; the payments on come later.
    expect(Number(mark?.last_transaction_id)).toBe(scatter - 1 + 9);

    // A process killed outright leaves its run 'running': the next run closes it and carries on.
    await execute("UPDATE scan_runs SET status = 'running', finished_at = NULL WHERE status = 'failed'");
    const resumed = await runScan({ chunkSize: 3 });
    expect(resumed.fromId).toBe(Number(mark?.last_transaction_id) + 1);
    expect(await alertKeys()).toEqual(reference);
    expect(await duplicates()).toBe(0);
    const statuses = await query<{ status: string }>('SELECT status FROM scan_runs ORDER BY id');
    expect(statuses.map((s) => s.status)).toEqual(['succeeded', 'failed', 'succeeded']);
  });
});

/** The network case whose alerts are of `rule`, with the clients it names and its alerts' transactions. */
async function networkCase(rule: string) {
  const [c] = await query<{ id: number; status: string }>(
    `SELECT DISTINCT c.id, c.status FROM cases c JOIN case_alerts ca ON ca.case_id = c.id JOIN alerts a ON a.id = ca.alert_id
      WHERE c.kind = 'network' AND a.rule_id = ?`,
    [rule],
  );
  const clients = await query<{ client_id: number }>(
    'SELECT client_id FROM case_clients WHERE case_id = ? ORDER BY client_id',
    [c?.id],
  );
  return { id: Number(c?.id), clients: clients.map((r) => Number(r.client_id)) };
}

/** Everything that says whether attaching changed anything: the cases as text, their versions, their history. */
async function caseState() {
  return {
    cases: await caseKeys(),
    versions: await query('SELECT id, version, priority, due_at FROM cases ORDER BY id'),
    history: await query('SELECT COUNT(*) AS n FROM case_history'),
  };
}

const PAID_BEFORE_CLOSING = 'PT50000201231234567890154';
const PAID_AFTER_CLOSING = 'AE070331234567890123456';

/** A payment by client 7 booked at `date` to a country it never paid, far beyond its habit (High). */
async function bigPaymentOf7(date: string, recipient: string): Promise<number> {
  await insertTxns(conn, [{ accountId: 70, type: 'outgoing transfer', date, amount: -95_000, recipient }]);
  const [row] = await query<{ id: number }>('SELECT MAX(id) AS id FROM transactions');
  return Number(row?.id);
}

describe('scan-anomalies cases', () => {
  it('opens one network case per finding, naming all of its clients, linked from each client’s case', async () => {
    const summary = await runScan({ mode: 'full' });
    const fanIn = await networkCase('fan-in');
    expect(fanIn.clients).toEqual([1, 2, 3, 4, 5, 6]);
    expect(await alertsOfCase(fanIn.id)).toEqual(Array(6).fill('fan-in'));
    const cycle = await networkCase('cycle');
    expect(cycle.clients).toEqual([7, 8, 9]);
    // The scatter-gather names the payer, its three intermediaries and nobody else (the gatherer is not ours).
    expect((await networkCase('scatter-gather')).clients).toEqual([10, 13, 14, 15]);
    expect((await networkCase('gather-scatter')).clients).toEqual([1, 2, 3, 4, 16]);
    const [network] = await query<{ n: number }>("SELECT COUNT(*) AS n FROM cases WHERE kind = 'network'");
    const [clientCases] = await query<{ n: number }>("SELECT COUNT(*) AS n FROM cases WHERE kind = 'client'");
    expect(summary.cases.opened).toBe(Number(network?.n) + Number(clientCases?.n));

    const [own] = await query<{ id: number }>("SELECT id FROM cases WHERE kind = 'client' AND client_id = 3");
    const page = await call('case-get', { id: String(own?.id), key: VIEWER_KEY });
    expect(page.status).toBe(200);
    expect(page.body.network_cases.map((n: { id: number }) => n.id)).toEqual(
      expect.arrayContaining([fanIn.id, (await networkCase('gather-scatter')).id]),
    );
    expect(page.body.related_clients.map((r: { id: number }) => r.id)).toEqual(
      expect.arrayContaining([1, 2, 4, 5, 6, 16]),
    );
  });

  it('changes no case on a re-run or on a full rescan after incremental runs', async () => {
    await runScan({ mode: 'full', toId: (await firstPaymentTo(MULE)) - 5 });
    await runScan({ chunkSize: 5 });
    const before = await caseState();
    expect(before.cases.length).toBeGreaterThan(20);
    const again = await runScan();
    const rescan = await runScan({ mode: 'full' });
    expect([again.cases, rescan.cases]).toEqual([
      { opened: 0, touched: 0 },
      { opened: 0, touched: 0 },
    ]);
    expect(await caseState()).toEqual(before);
  });

  it('files the alerts of a full scan stopped before it put them in cases at the start of the next scan, as one full scan files them', async () => {
    await runScan({ mode: 'full' });
    const reference = await caseKeys();
    await resetScanState();
    await expect(
      runScan({
        mode: 'full',
        onChunkCommitted: () => {
          throw new Error('killed after its first alerts');
        },
      }),
    ).rejects.toThrow('killed after its first alerts');
    const pending = () =>
      query<{ after: number | null }>('SELECT cases_pending_after AS after FROM scan_runs ORDER BY id');
    expect((await pending())[0]?.after).not.toBeNull();
    const [left] = await query<{ alerts: number; linked: number }>(
      'SELECT (SELECT COUNT(*) FROM alerts) AS alerts, (SELECT COUNT(*) FROM case_alerts) AS linked',
    );
    expect([Number(left?.alerts) > 0, Number(left?.linked)]).toEqual([true, 0]);

    // The next run is incremental (the stopped run moved no watermark): it files the stopped run's alerts first.
    const next = await runScan();
    expect(next.mode).toBe('incremental');
    expect(next.cases.opened).toBe(reference.length);
    expect(await caseKeys()).toEqual(reference);
    expect((await pending()).map((r) => r.after)).toEqual([null, null]);
  });

  it('never reopens a closed case, on new alerts or a rescan; a payment booked after the closing opens a new case', async () => {
    onTestFinished(async () => {
      await resetScanState();
      await execute('DELETE FROM transactions WHERE recipient_account IN (?)', [
        [PAID_BEFORE_CLOSING, PAID_AFTER_CLOSING],
      ]);
    });
    await runScan({ mode: 'full' });
    const [closed] = await query<{ id: number }>(
      "SELECT id FROM cases WHERE kind = 'client' AND client_id = 7",
    );
    await execute(
      `UPDATE cases SET status = 'closed', disposition = 'not_suspicious', closed_at = '2025-03-20 00:00:00.000'
        WHERE id = ?`,
      [closed?.id],
    );
    const judged = await bigPaymentOf7('2025-03-14 12:00:00', PAID_BEFORE_CLOSING);
    const late = await runScan();
    expect(late.alerts.byRisk.High + late.alerts.byRisk.Medium).toBeGreaterThan(0);
    expect(late.cases.opened).toBe(0);
    await runScan({ mode: 'full' });
    const ofClient7 = () =>
      query<{ id: number; status: string }>(
        "SELECT id, status FROM cases WHERE kind = 'client' AND client_id = 7 ORDER BY id",
      );
    expect(await ofClient7()).toEqual([{ id: closed?.id, status: 'closed' }]);
    const [linked] = await query<{ n: number }>(
      'SELECT COUNT(*) AS n FROM case_alerts ca JOIN alerts a ON a.id = ca.alert_id WHERE a.transaction_id = ?',
      [judged],
    );
    expect(Number(linked?.n)).toBe(0);

    const after = await bigPaymentOf7('2025-03-21 12:00:00', PAID_AFTER_CLOSING);
    expect((await runScan()).cases.opened).toBe(1);
    const cases = await ofClient7();
    expect(cases.map((c) => c.status)).toEqual(['closed', 'open']);
    const fresh = await query<{ transaction_id: number }>(
      'SELECT DISTINCT a.transaction_id FROM case_alerts ca JOIN alerts a ON a.id = ca.alert_id WHERE ca.case_id = ?',
      [cases[1]?.id],
    );
    expect(fresh.map((r) => Number(r.transaction_id))).toEqual([after]);
  });
});

/** The rules of a case's alerts, in alert order. */
async function alertsOfCase(caseId: number): Promise<string[]> {
  const rows = await query<{ rule_id: string }>(
    'SELECT a.rule_id FROM case_alerts ca JOIN alerts a ON a.id = ca.alert_id WHERE ca.case_id = ? ORDER BY a.id',
    [caseId],
  );
  return rows.map((r) => r.rule_id);
}
