import { beforeAll, describe, expect, it } from 'vitest';
import { alertListSchema } from '../../lib/alerts/schemas.js';
import { execute, query } from '../../lib/db/pool.js';
import { type Bank, call, seedBank, VIEWER_KEY } from './alerts-fixture.js';

let bank: Bank;

beforeAll(async () => {
  bank = await seedBank();
});

async function list(q: Record<string, string> = {}) {
  const reply = await call('list', { query: q, key: VIEWER_KEY });
  expect(reply.status, reply.text).toBe(200);
  alertListSchema.parse(reply.body);
  return reply.body as { data: Array<Record<string, unknown>>; next_cursor: string | null; limit: number };
}

async function all(q: Record<string, string> = {}) {
  const ids: number[] = [];
  let cursor: string | undefined;
  do {
    const page = await list({ ...q, limit: '7', ...(cursor ? { cursor } : {}) });
    ids.push(...page.data.map((a) => a.id as number));
    cursor = page.next_cursor ?? undefined;
  } while (cursor);
  return ids;
}

const newestFirst = (rows: Array<Record<string, unknown>>) =>
  [...rows].sort((a, b) =>
    a.alert_date === b.alert_date
      ? (b.id as number) - (a.id as number)
      : String(b.alert_date).localeCompare(String(a.alert_date)),
  );

describe('GET /alerts', () => {
  it('lists alerts newest first with their transaction, account and client, 50 by default', async () => {
    const page = await list();
    expect(page.limit).toBe(50);
    expect(page.data).toHaveLength(48);
    expect(page.next_cursor).toBeNull();
    expect(page.data).toEqual(newestFirst(page.data));
    const first = page.data[0] as Record<string, unknown>;
    expect(first).toMatchObject({
      currency: 'EUR',
      alert_date: expect.stringMatching(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$/),
      amount: expect.stringMatching(/^-\d+\.00$/),
    });
    expect(bank.accounts).toContain(first.account_id);
    expect(bank.clients).toContain(first.client_id);
  });

  it.each([
    ['risk_level', 'High', (a: Record<string, unknown>) => a.risk_level === 'High'],
    ['status', 'investigating', (a: Record<string, unknown>) => a.status === 'investigating'],
    ['flagged_by', 'analyst', (a: Record<string, unknown>) => a.flagged_by === 'analyst'],
    ['reason', 'rapid transfers', (a: Record<string, unknown>) => a.reason === 'rapid transfers'],
    ['rule', 'structuring', (a: Record<string, unknown>) => a.rule_id === 'structuring'],
  ])('filters by %s', async (name, value, predicate) => {
    const everything = (await list({ limit: '500' })).data;
    const expected = everything.filter(predicate).map((a) => a.id);
    expect(expected.length).toBeGreaterThan(0);
    expect(await all({ [name]: value })).toEqual(expected);
  });

  it('filters by reason case-insensitively', async () => {
    expect(await all({ reason: 'RAPID TRANSFERS' })).toEqual(await all({ reason: 'rapid transfers' }));
  });

  it('filters by account, client and transaction', async () => {
    const everything = (await list({ limit: '500' })).data;
    const account = bank.accounts[1] as number;
    const client = bank.clients[2] as number;
    const tx = bank.transactions[3]?.[4] as number;
    expect(await all({ account_id: String(account) })).toEqual(
      everything.filter((a) => a.account_id === account).map((a) => a.id),
    );
    expect(await all({ client_id: String(client) })).toEqual(
      everything.filter((a) => a.client_id === client).map((a) => a.id),
    );
    expect(await all({ transaction_id: String(tx) })).toEqual(
      everything.filter((a) => a.transaction_id === tx).map((a) => a.id),
    );
    expect(await all({ client_id: String(client), account_id: String(account) })).toEqual([]);
  });

  it('filters by a date range, a bare `to` date covering that whole day', async () => {
    const everything = (await list({ limit: '500' })).data;
    const inRange = everything
      .filter((a) => String(a.alert_date) >= '2026-03-03' && String(a.alert_date) < '2026-03-06')
      .map((a) => a.id);
    expect(inRange.length).toBeGreaterThan(0);
    expect(await all({ from: '2026-03-03', to: '2026-03-05' })).toEqual(inRange);
    expect(await all({ from: '2026-03-03T00:00:00Z', to: '2026-03-05T23:59:59Z' })).toEqual(inRange);
    const exact = everything.filter((a) => a.alert_date === '2026-03-02T01:00:00Z').map((a) => a.id);
    expect(await all({ from: '2026-03-02T01:00:00Z', to: '2026-03-02T01:00:00Z' })).toEqual(exact);
  });

  it('combines filters', async () => {
    const everything = (await list({ limit: '500' })).data;
    const expected = everything
      .filter((a) => a.risk_level === 'Medium' && a.status === 'open' && a.client_id === bank.clients[0])
      .map((a) => a.id);
    expect(await all({ risk_level: 'Medium', status: 'open', client_id: String(bank.clients[0]) })).toEqual(
      expected,
    );
  });

  it('pages with an opaque cursor through every alert exactly once', async () => {
    const everything = (await list({ limit: '500' })).data.map((a) => a.id);
    const first = await list({ limit: '5' });
    expect(first.data).toHaveLength(5);
    expect(first.next_cursor).toMatch(/^[A-Za-z0-9_-]+$/);
    expect(await all()).toEqual(everything);
  });

  it('keeps pages stable while alerts are inserted: no duplicates, nothing skipped', async () => {
    const before = (await list({ limit: '500' })).data.map((a) => a.id);
    const seen: number[] = [];
    let cursor: string | undefined;
    let inserted = 0;
    do {
      const page = await list({ limit: '10', ...(cursor ? { cursor } : {}) });
      seen.push(...page.data.map((a) => a.id as number));
      cursor = page.next_cursor ?? undefined;
      // New alerts arrive between pages: some newest, one dated inside the range already paged.
      await execute(
        `INSERT INTO alerts (transaction_id, reason, risk_level, alert_date, flagged_by, rule_id)
         VALUES (?, 'high amount', 'High', NOW(), 'system', ?), (?, 'high amount', 'Low', '2026-03-28 23:00:00', 'system', ?)`,
        [bank.transactions[0]?.[9], `test-${inserted}`, bank.transactions[1]?.[9], `test-old-${inserted}`],
      );
      inserted++;
    } while (cursor);
    expect(new Set(seen).size).toBe(seen.length);
    expect(seen.filter((id) => before.includes(id))).toEqual(before);
    await execute("DELETE FROM alerts WHERE rule_id LIKE 'test-%'");
  });

  it('answers an empty page when nothing matches', async () => {
    expect(await list({ reason: 'no such reason' })).toEqual({ data: [], limit: 50, next_cursor: null });
  });

  it('serves 500 per page at most', async () => {
    expect((await list({ limit: '500' })).limit).toBe(500);
    const reply = await call('list', { query: { limit: '501' } });
    expect(reply.status).toBe(400);
    expect(reply.body.error.problems).toEqual([
      { field: 'query.limit', message: expect.stringMatching(/1 to 500/) },
    ]);
  });

  it.each([
    [{ risk_level: 'Critical' }, 'query.risk_level'],
    [{ status: 'OPEN' }, 'query.status'],
    [{ status: 'open,closed' }, 'query.status'],
    [{ flagged_by: 'robot' }, 'query.flagged_by'],
    [{ rule: 'DROP TABLE' }, 'query.rule'],
    [{ account_id: '-1' }, 'query.account_id'],
    [{ client_id: '1.5' }, 'query.client_id'],
    [{ transaction_id: '1e3' }, 'query.transaction_id'],
    [{ account_id: '99999999999999999999' }, 'query.account_id'],
    [{ from: '2026-02-30' }, 'query.from'],
    [{ to: 'yesterday' }, 'query.to'],
    [{ from: '2026-03-05', to: '2026-03-01' }, 'query.from'],
    [{ limit: '0' }, 'query.limit'],
    [{ limit: 'ten' }, 'query.limit'],
    [{ cursor: 'not a cursor!' }, 'query.cursor'],
    [{ cursor: 'WzEsIngiLDEsIngiXQ' }, 'query.cursor'],
    [{ sort: 'id' }, 'query'],
  ])('rejects %j with 400 naming %s', async (q, field) => {
    const reply = await call('list', { query: q as Record<string, string> });
    expect(reply.status, reply.text).toBe(400);
    expect(reply.body.error.code).toBe('invalid_request');
    expect(reply.body.error.problems.map((p: { field: string }) => p.field)).toContain(field);
  });

  it('names the unknown parameter and the allowed ones', async () => {
    const reply = await call('list', { query: { riskLevel: 'High' } });
    expect(reply.body.error.problems[0].message).toMatch(
      /unknown field\(s\) "riskLevel"; allowed: risk_level/,
    );
  });

  it('rejects a cursor replayed with other filters', async () => {
    const page = await list({ risk_level: 'High', limit: '2' });
    const reply = await call('list', {
      query: { risk_level: 'Low', limit: '2', cursor: page.next_cursor as string },
    });
    expect(reply.status).toBe(400);
    expect(reply.body.error.problems[0]).toEqual({
      field: 'query.cursor',
      message: expect.stringMatching(/other filters/),
    });
  });

  it('has an (x, alert_date, id) index for the reason and rule filters', async () => {
    const indexes = await query<{ Key_name: string }>('SHOW INDEX FROM alerts');
    const names = new Set(indexes.map((i) => i.Key_name));
    for (const name of ['idx_alerts_reason_date', 'idx_alerts_rule_date', 'uq_alerts_analyst_active']) {
      expect(names.has(name), name).toBe(true);
    }
  });
});
