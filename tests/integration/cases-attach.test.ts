/**
 * Attaching alerts to cases against the real database: which case an alert joins, idempotence on re-runs and
 * under concurrent runs, the closed-case rule, and analyst flags joining cases through POST /alerts.
 */
import { describe, expect, it } from 'vitest';
import { execute, query } from '../../lib/db/pool.js';
import { call } from './alerts-fixture.js';
import { alertsOf, attach, casesOf, makeAlert, makeClient } from './cases-fixture.js';

describe('attaching alerts to cases', () => {
  it('opens one case for a client’s Medium alert; Low alerts join it; the figures follow the alerts', async () => {
    const { clientId, accountId } = await makeClient();
    const low = await makeAlert(accountId, { risk: 'Low', rule: 'high-amount', amount: '-500.00' });
    const medium = await makeAlert(accountId, {
      risk: 'Medium',
      rule: 'rapid-transfers',
      amount: '-9500.00',
    });
    const result = await attach([low.alertId, medium.alertId]);
    expect(result).toMatchObject({ attached: 2, opened: [expect.any(Number)] });
    const [c] = await query('SELECT * FROM cases WHERE client_id = ?', [clientId]);
    expect(c).toMatchObject({
      status: 'open',
      risk_level: 'Medium',
      amount: '10000.00',
      rule_count: 2,
      alert_count: 2,
    });
    // 400 (Medium) + 60 (a second signal) + 25 × log10(10 000) = 560; due 72 h after opening.
    expect(Number(c?.priority)).toBe(560);
    const [due] = await query<{ s: number }>(
      'SELECT TIMESTAMPDIFF(SECOND, opened_at, due_at) AS s FROM cases WHERE id = ?',
      [c?.id],
    );
    expect(Math.round(Number(due?.s) / 60)).toBe(72 * 60); // due_at keeps whole seconds
  });

  it('leaves a lone Low alert uncased, and a later High alert raises the open case and brings it forward', async () => {
    const { clientId, accountId } = await makeClient();
    const low = await makeAlert(accountId, { risk: 'Low' });
    expect((await attach([low.alertId])).skipped['low-without-open-case']).toBe(1);
    expect(await casesOf(clientId)).toEqual([]);
    const medium = await makeAlert(accountId, { risk: 'Medium' });
    await attach([medium.alertId]);
    const high = await makeAlert(accountId, { risk: 'High', rule: 'fan-in' });
    await attach([high.alertId, low.alertId]);
    const [c] = await casesOf(clientId);
    expect(c).toMatchObject({ risk_level: 'High', alert_count: 3 });
    expect(await alertsOf(Number(c?.id))).toEqual([low.alertId, medium.alertId, high.alertId]);
    const [due] = await query<{ s: number }>(
      'SELECT TIMESTAMPDIFF(SECOND, NOW(), due_at) AS s FROM cases WHERE id = ?',
      [c?.id],
    );
    expect(Math.round(Number(due?.s) / 60)).toBe(24 * 60); // 24 h from the High alert, not 72 h from opening
    const fields = await query('SELECT field FROM case_history WHERE case_id = ? AND field = ?', [
      c?.id,
      'risk_level',
    ]);
    expect(fields).toHaveLength(2); // opened Medium, raised to High
  });

  it('keeps a case’s figures equal to those of all of its alerts, however they arrive and rise', async () => {
    const { clientId, accountId } = await makeClient();
    const first = await makeAlert(accountId, { risk: 'Medium', rule: 'high-amount', amount: '-2000.00' });
    // A second rule on the same transaction: its amount counts once.
    const [sameTx] = await query<{ id: number }>(
      `INSERT INTO alerts (transaction_id, reason, risk_level, alert_date, flagged_by, rule_id, score, evidence, status)
       VALUES (?, 'unusual amount', 'Low', NOW(), 'system', 'client-baseline', 30, '{}', 'open') RETURNING id`,
      [first.txId],
    );
    const later = await makeAlert(accountId, {
      risk: 'Low',
      rule: 'fan-out',
      amount: '-300.00',
      booked: '2026-03-09 08:00:00',
    });
    const flagged = await makeAlert(accountId, {
      risk: 'Low',
      amount: '-50.00',
      booked: '2026-03-02 10:00:00',
    });
    await execute("UPDATE alerts SET rule_id = NULL, flagged_by = 'analyst' WHERE id = ?", [flagged.alertId]);
    await attach([first.alertId]);
    await attach([Number(sameTx?.id), later.alertId]);
    await attach([flagged.alertId, first.alertId]);
    // A later finding raises an alert already in the case; attaching it again brings the case up.
    await execute("UPDATE alerts SET risk_level = 'High' WHERE id = ?", [later.alertId]);
    await attach([later.alertId]);
    const [c] = await query<{
      id: number;
      risk_level: string;
      amount: string;
      rule_ids: string;
      rule_count: number;
      alert_count: number;
      latest_booked_at: string;
    }>(
      'SELECT id, risk_level, amount, rule_ids, rule_count, alert_count, latest_booked_at FROM cases WHERE client_id = ?',
      [clientId],
    );
    const alerts = await query<{
      risk_level: string;
      rule_id: string | null;
      tx: number;
      amount: string;
      date: string;
    }>(
      `SELECT a.risk_level, a.rule_id, t.id AS tx, ABS(t.amount) AS amount, t.date FROM case_alerts ca
         JOIN alerts a ON a.id = ca.alert_id JOIN transactions t ON t.id = a.transaction_id WHERE ca.case_id = ?`,
      [c?.id],
    );
    const amounts = new Map(alerts.map((a) => [a.tx, Number(a.amount)]));
    expect(c).toMatchObject({
      risk_level: 'High',
      amount: [...amounts.values()].reduce((sum, x) => sum + x, 0).toFixed(2),
      rule_ids: [...new Set(alerts.map((a) => a.rule_id ?? 'analyst'))].sort().join(','),
      // high-amount and client-baseline are one signal; fan-out and the analyst's flag one each.
      rule_count: 3,
      alert_count: alerts.length,
      latest_booked_at: alerts
        .map((a) => a.date)
        .sort()
        .at(-1),
    });
    expect(c?.amount).toBe('2350.00');
  });

  it('changes nothing when the same alerts are attached again', async () => {
    const { clientId, accountId } = await makeClient();
    const ids = [
      (await makeAlert(accountId, { risk: 'High' })).alertId,
      (await makeAlert(accountId, { risk: 'Low' })).alertId,
    ];
    await attach(ids);
    const before = await query('SELECT * FROM cases WHERE client_id = ?', [clientId]);
    const history = await query('SELECT COUNT(*) AS n FROM case_history');
    const again = await attach(ids);
    expect(again).toMatchObject({ opened: [], touched: [], attached: 0 });
    expect(await query('SELECT * FROM cases WHERE client_id = ?', [clientId])).toEqual(before);
    expect(await query('SELECT COUNT(*) AS n FROM case_history')).toEqual(history);
  });

  it('opens exactly one case when two runs attach the same client’s alerts at once', async () => {
    for (let round = 0; round < 5; round++) {
      const { clientId, accountId } = await makeClient();
      const a = await makeAlert(accountId, { risk: 'High' });
      const b = await makeAlert(accountId, { risk: 'Medium', rule: 'structuring' });
      const results = await Promise.all([attach([a.alertId]), attach([b.alertId, a.alertId])]);
      const cases = await casesOf(clientId);
      expect(cases, `round ${round}`).toHaveLength(1);
      expect(results.flatMap((r) => r.opened)).toEqual([Number(cases[0]?.id)]);
      expect(await alertsOf(Number(cases[0]?.id))).toEqual([a.alertId, b.alertId]);
      expect(cases[0]?.alert_count).toBe(2);
    }
  });

  it('refuses a second open case for a client at the database, whatever the code does', async () => {
    const { clientId, accountId } = await makeClient();
    await attach([(await makeAlert(accountId, { risk: 'High' })).alertId]);
    await expect(
      execute(
        `INSERT INTO cases (kind, client_id, status, risk_level, priority, due_at, opened_at, updated_at)
         VALUES ('client', ?, 'investigating', 'High', 800, NOW(), NOW(3), NOW(3))`,
        [clientId],
      ),
    ).rejects.toMatchObject({ code: 'ER_DUP_ENTRY' });
  });

  it('never reopens a closed case: older alerts join nothing, newer ones open a new case', async () => {
    const { clientId, accountId } = await makeClient();
    await attach([(await makeAlert(accountId, { risk: 'High', booked: '2026-03-01 10:00:00' })).alertId]);
    const [first] = await casesOf(clientId);
    await execute(
      "UPDATE cases SET status = 'closed', disposition = 'confirmed', closed_at = '2026-03-05 00:00:00.000' WHERE id = ?",
      [first?.id],
    );
    const old = await makeAlert(accountId, { risk: 'High', booked: '2026-03-04 23:59:59' });
    const result = await attach([old.alertId]);
    expect(result.skipped['booked-before-closed-case']).toBe(1);
    expect(await casesOf(clientId)).toHaveLength(1);
    const fresh = await makeAlert(accountId, { risk: 'Medium', booked: '2026-03-05 00:00:01' });
    await attach([fresh.alertId, old.alertId]);
    const cases = await casesOf(clientId);
    expect(cases.map((c) => c.status)).toEqual(['closed', 'open']);
    expect(await alertsOf(Number(cases[1]?.id))).toEqual([fresh.alertId]);
  });

  it('puts an analyst’s Medium flag (POST /alerts) in a new case, with the client’s uncased Low alert, named after the analyst', async () => {
    const { clientId, accountId } = await makeClient();
    const { txId, alertId: low } = await makeAlert(accountId, { risk: 'Low' });
    const reply = await call('create', {
      body: { transaction_id: txId, reason: 'mule account', risk_level: 'Medium' },
    });
    expect(reply.status).toBe(201);
    const [c] = await casesOf(clientId);
    expect(await alertsOf(Number(c?.id))).toEqual([low, reply.body.id]);
    const actors = await query('SELECT DISTINCT changed_by FROM case_history WHERE case_id = ?', [c?.id]);
    expect(actors).toEqual([{ changed_by: 'local-analyst' }]);
  });

  it('opens one network case for a finding spanning clients, naming them, however its alerts arrive', async () => {
    for (let round = 0; round < 3; round++) {
      const a = await makeClient();
      const b = await makeClient();
      const first = await makeAlert(a.accountId, { risk: 'Medium', rule: 'fan-in' });
      const second = await makeAlert(b.accountId, { risk: 'Medium', rule: 'fan-in' });
      // Every alert of a finding carries its evidence, naming all of its transactions.
      await execute('UPDATE alerts SET evidence = ? WHERE id IN (?)', [
        JSON.stringify({ relatedTransactionIds: [first.txId, second.txId] }),
        [first.alertId, second.alertId],
      ]);
      // Two attachers at once, each with one alert of the finding (an incremental scan's chunk edge).
      const results = await Promise.all([attach([first.alertId]), attach([second.alertId])]);
      const network = await query<{ id: number; network_key: string }>(
        "SELECT c.id FROM cases c JOIN case_alerts ca ON ca.case_id = c.id WHERE c.kind = 'network' AND ca.alert_id IN (?) GROUP BY c.id",
        [[first.alertId, second.alertId]],
      );
      expect(network, `round ${round}`).toHaveLength(1);
      const caseId = Number(network[0]?.id);
      expect(await alertsOf(caseId)).toEqual([first.alertId, second.alertId]);
      const named = await query('SELECT client_id FROM case_clients WHERE case_id = ? ORDER BY client_id', [
        caseId,
      ]);
      expect(named).toEqual([{ client_id: a.clientId }, { client_id: b.clientId }]);
      expect(results.flatMap((r) => r.opened).filter((id) => id === caseId)).toHaveLength(1);
      expect((await attach([first.alertId, second.alertId])).touched).toEqual([]);
    }
  });

  it('tells which cases became High and which were opened only by old bookings, for notifications', async () => {
    const old = await makeClient();
    const recent = await makeClient();
    const history = await makeAlert(old.accountId, { risk: 'High', booked: '2026-01-10 10:00:00' });
    const [row] = await query<{ now: string }>(
      "SELECT DATE_FORMAT(NOW() - INTERVAL 1 HOUR, '%Y-%m-%d %H:%i:%s') AS now",
    );
    const medium = await makeAlert(recent.accountId, { risk: 'Medium', booked: row?.now });
    const opened = await attach([history.alertId, medium.alertId]);
    const [oldCase] = await casesOf(old.clientId);
    const [newCase] = await casesOf(recent.clientId);
    expect(opened.opened.sort()).toEqual([Number(oldCase?.id), Number(newCase?.id)].sort());
    expect(opened.openedOnHistory).toEqual([Number(oldCase?.id)]);
    expect(opened.becameHigh).toEqual([Number(oldCase?.id)]);
    const high = await makeAlert(recent.accountId, { risk: 'High', booked: row?.now });
    const raised = await attach([high.alertId]);
    expect(raised).toMatchObject({ opened: [], becameHigh: [Number(newCase?.id)], openedOnHistory: [] });
    expect((await attach([high.alertId])).becameHigh).toEqual([]);
  });
});
