import { beforeAll, describe, expect, it } from 'vitest';
import { alertDetailSchema } from '../../lib/alerts/schemas.js';
import { query } from '../../lib/db/pool.js';
import { type Bank, call, checksum, LEAD_KEY, seedBank } from './alerts-fixture.js';

let bank: Bank;

beforeAll(async () => {
  bank = await seedBank();
});

/** A fresh open analyst alert on a transaction of its own. */
async function openAlert(n: number): Promise<number> {
  const reply = await call('create', {
    body: { transaction_id: bank.transactions[n % 6]?.[9], reason: `case ${n}`, risk_level: 'High' },
  });
  expect(reply.status, reply.text).toBe(201);
  return reply.body.id;
}

const patch = (id: number, body: unknown) => call('update', { id: String(id), body });

describe('PATCH /alerts/{id}', () => {
  it('moves an alert open → investigating → closed and records every change in its history', async () => {
    const id = await openAlert(1);
    const investigating = await patch(id, { status: 'investigating', note: 'Calling the client' });
    expect(investigating.status, investigating.text).toBe(200);
    expect(investigating.body).toMatchObject({ status: 'investigating', disposition: null });
    const closed = await patch(id, {
      status: 'closed',
      disposition: 'confirmed',
      note: 'Client confirmed fraud',
    });
    expect(closed.status, closed.text).toBe(200);
    const alert = alertDetailSchema.parse(closed.body);
    expect(alert).toMatchObject({ status: 'closed', disposition: 'confirmed' });
    expect(alert.history.map(({ changed_at: _, ...h }) => h)).toEqual([
      { changed_by: 'local-analyst', from_status: null, to_status: 'open', disposition: null, note: null },
      {
        changed_by: 'local-analyst',
        from_status: 'open',
        to_status: 'investigating',
        disposition: null,
        note: 'Calling the client',
      },
      {
        changed_by: 'local-analyst',
        from_status: 'investigating',
        to_status: 'closed',
        disposition: 'confirmed',
        note: 'Client confirmed fraud',
      },
    ]);
    for (const h of alert.history)
      expect(h.changed_at).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/);
  });

  it('works on system alerts too, closing one as a false positive', async () => {
    const id = bank.alerts[0] as number;
    const [row] = await query<{ status: string }>('SELECT status FROM alerts WHERE id = ?', [id]);
    expect(row?.status).toBe('open');
    expect((await patch(id, { status: 'investigating' })).status).toBe(200);
    const closed = await patch(id, { status: 'closed', disposition: 'false_positive', note: 'Salary bonus' });
    expect(closed.body).toMatchObject({
      status: 'closed',
      disposition: 'false_positive',
      flagged_by: 'system',
    });
  });

  it.each([
    ['open', 'open', 'already open'],
    ['open', 'closed', 'cannot go from open to closed'],
    ['investigating', 'open', 'cannot go from investigating to open'],
    ['investigating', 'investigating', 'already investigating'],
    ['closed', 'investigating', 'a lead may reopen it'],
    ['closed', 'closed', 'a lead may reopen it'],
  ])('rejects %s → %s with 409, changing nothing', async (from, to, message) => {
    const id = await openAlert(from.length + to.length * 7);
    if (from !== 'open') await patch(id, { status: 'investigating' });
    if (from === 'closed') await patch(id, { status: 'closed', disposition: 'confirmed', note: 'done' });
    const before = await checksum();
    const body = to === 'closed' ? { status: to, disposition: 'confirmed', note: 'again' } : { status: to };
    const reply = await patch(id, body);
    expect(reply.status, reply.text).toBe(409);
    expect(reply.body.error.code).toBe('conflict');
    expect(reply.body.error.message).toContain(message);
    expect(await checksum()).toBe(before);
    // The next test opens a fresh alert on the same transaction: close this one.
    if (from === 'open') await patch(id, { status: 'investigating' });
    if (from !== 'closed')
      await patch(id, { status: 'closed', disposition: 'false_positive', note: 'cleanup' });
  });

  it('lets only a lead reopen a closed alert (403 for an analyst), which clears its disposition', async () => {
    const id = await openAlert(200);
    await patch(id, { status: 'investigating' });
    await patch(id, { status: 'closed', disposition: 'not_suspicious', note: 'Known payroll' });
    const before = await checksum();
    const byAnalyst = await patch(id, { status: 'open' });
    expect([byAnalyst.status, byAnalyst.body.error.message]).toEqual([
      403,
      `Alert ${id} is closed: only a lead may reopen it`,
    ]);
    expect(await checksum()).toBe(before);
    const byLead = await call('update', {
      id: String(id),
      body: { status: 'open', note: 'New facts' },
      key: LEAD_KEY,
    });
    expect(byLead.status, byLead.text).toBe(200);
    expect(byLead.body).toMatchObject({ status: 'open', disposition: null });
    expect(byLead.body.history.at(-1)).toMatchObject({
      changed_by: 'local-lead',
      from_status: 'closed',
      to_status: 'open',
    });
    await patch(id, { status: 'investigating' });
    await patch(id, { status: 'closed', disposition: 'false_positive', note: 'cleanup' });
  });

  it('lets only one of two concurrent changes apply', async () => {
    const id = await openAlert(100);
    const replies = await Promise.all([
      patch(id, { status: 'investigating', note: 'mine' }),
      patch(id, { status: 'investigating', note: 'no, mine' }),
    ]);
    expect(replies.map((r) => r.status).sort()).toEqual([200, 409]);
    const history = await query('SELECT to_status FROM alert_history WHERE alert_id = ?', [id]);
    expect(history).toHaveLength(2);
  });

  it.each([
    [{ status: 'closed', note: 'x' }, 'body.disposition'],
    [{ status: 'closed', disposition: 'confirmed' }, 'body.note'],
    [{ status: 'investigating', disposition: 'confirmed' }, 'body.disposition'],
    [{ status: 'closed', disposition: 'maybe', note: 'x' }, 'body.disposition'],
    [{ status: 'resolved' }, 'body.status'],
    [{}, 'body.status'],
    [{ status: 'investigating', note: '' }, 'body.note'],
    [{ status: 'investigating', assignee: 'me' }, 'body'],
  ])('rejects %j with 400 naming %s', async (body, field) => {
    const reply = await patch(bank.alerts[1] as number, body);
    expect(reply.status, reply.text).toBe(400);
    expect(reply.body.error.problems.map((p: { field: string }) => p.field)).toContain(field);
  });

  it('answers 404 for an alert that does not exist', async () => {
    const reply = await patch(999_999_999, { status: 'investigating' });
    expect(reply.status).toBe(404);
  });

  it('answers 400 for a bad path id before looking at the body', async () => {
    const reply = await call('update', { id: 'abc', body: { status: 'investigating' } });
    expect(reply.status).toBe(400);
    expect(reply.body.error.problems[0].field).toBe('path.id');
  });
});
