import { beforeAll, describe, expect, it } from 'vitest';
import { alertDetailSchema } from '../../lib/alerts/schemas.js';
import { execute, query } from '../../lib/db/pool.js';
import { type Bank, call, checksum, seedBank } from './alerts-fixture.js';

let bank: Bank;

beforeAll(async () => {
  bank = await seedBank();
});

const flag = (overrides: Record<string, unknown> = {}) => ({
  transaction_id: bank.transactions[5]?.[9],
  reason: 'unusual pattern',
  risk_level: 'Medium',
  note: 'Three cash deposits just under the threshold',
  ...overrides,
});

describe('POST /alerts', () => {
  it('creates an open analyst alert with its first history entry, and answers 201 with a Location', async () => {
    const reply = await call('create', { body: flag() });
    expect(reply.status, reply.text).toBe(201);
    const alert = alertDetailSchema.parse(reply.body);
    expect(reply.headers.location).toBe(`/alerts/${alert.id}`);
    expect(alert).toMatchObject({
      transaction_id: bank.transactions[5]?.[9],
      flagged_by: 'analyst',
      reason: 'unusual pattern',
      risk_level: 'Medium',
      status: 'open',
      rule_id: null,
      created_by: 'local-analyst',
      note: 'Three cash deposits just under the threshold',
      history: [
        {
          changed_by: 'local-analyst',
          from_status: null,
          to_status: 'open',
          note: 'Three cash deposits just under the threshold',
        },
      ],
    });
  });

  it('does not create a second alert when the same request is repeated', async () => {
    const body = flag({ transaction_id: bank.transactions[4]?.[9] });
    const first = await call('create', { body });
    const before = await checksum();
    const second = await call('create', { body });
    expect(first.status).toBe(201);
    expect(second.status).toBe(200);
    expect(second.body.id).toBe(first.body.id);
    expect(await checksum()).toBe(before);
  });

  it('treats the reason case-insensitively and trims it', async () => {
    const body = flag({ transaction_id: bank.transactions[3]?.[9], reason: 'Card testing' });
    const first = await call('create', { body });
    const again = await call('create', { body: { ...body, reason: '  card TESTING ' } });
    expect(again.status).toBe(200);
    expect(again.body.id).toBe(first.body.id);
  });

  it('creates one alert from concurrent identical requests', async () => {
    const body = flag({ transaction_id: bank.transactions[2]?.[9], reason: 'mule account' });
    const replies = await Promise.all(Array.from({ length: 6 }, () => call('create', { body })));
    expect(replies.map((r) => r.status).sort()).toEqual([200, 200, 200, 200, 200, 201]);
    expect(new Set(replies.map((r) => r.body.id)).size).toBe(1);
    const [row] = await query<{ n: number }>(
      "SELECT COUNT(*) AS n FROM alerts WHERE transaction_id = ? AND reason = 'mule account'",
      [body.transaction_id],
    );
    expect(Number(row?.n)).toBe(1);
  });

  it('answers 409 when the same flag is active with another risk level or note', async () => {
    const body = flag({ transaction_id: bank.transactions[1]?.[9], reason: 'account takeover' });
    const first = await call('create', { body });
    const reply = await call('create', { body: { ...body, risk_level: 'High' } });
    expect(reply.status).toBe(409);
    expect(reply.body.error.message).toContain(`alert ${first.body.id}`);
  });

  it('flags the transaction again once the earlier flag is closed', async () => {
    const body = flag({ transaction_id: bank.transactions[0]?.[9], reason: 'repeat offender' });
    const first = await call('create', { body });
    await execute("UPDATE alerts SET status = 'closed', disposition = 'confirmed' WHERE id = ?", [
      first.body.id,
    ]);
    const second = await call('create', { body });
    expect(second.status).toBe(201);
    expect(second.body.id).not.toBe(first.body.id);
  });

  it('allows a flag on a transaction that already has a system alert', async () => {
    const reply = await call('create', {
      body: flag({ transaction_id: bank.transactions[0]?.[0], reason: 'high amount' }),
    });
    expect(reply.status).toBe(201);
  });

  it('answers 422 for a transaction that does not exist, writing nothing', async () => {
    const before = await checksum();
    const reply = await call('create', { body: flag({ transaction_id: 987654321 }) });
    expect(reply.status).toBe(422);
    expect(reply.body.error).toEqual({ code: 'unprocessable', message: 'There is no transaction 987654321' });
    expect(await checksum()).toBe(before);
  });

  it.each([
    [{ transaction_id: '1' }, 'body.transaction_id'],
    [{ transaction_id: 1.5 }, 'body.transaction_id'],
    [{ transaction_id: -3 }, 'body.transaction_id'],
    [{ transaction_id: 1e300 }, 'body.transaction_id'],
    [{ reason: '' }, 'body.reason'],
    [{ reason: 'x'.repeat(101) }, 'body.reason'],
    [{ reason: 'bad\u0000byte' }, 'body.reason'],
    [{ reason: 42 }, 'body.reason'],
    [{ risk_level: 'high' }, 'body.risk_level'],
    [{ risk_level: null }, 'body.risk_level'],
    [{ note: 'n'.repeat(2001) }, 'body.note'],
    [{ flagged_by: 'system' }, 'body'],
    [{ status: 'closed' }, 'body'],
  ])('rejects %j with 400 naming %s', async (override, field) => {
    const reply = await call('create', { body: flag(override) });
    expect(reply.status, reply.text).toBe(400);
    expect(reply.body.error.problems.map((p: { field: string }) => p.field)).toContain(field);
  });

  it('rejects a missing field', async () => {
    const { reason: _r, ...body } = flag();
    const reply = await call('create', { body });
    expect(reply.status).toBe(400);
    expect(reply.body.error.problems).toContainEqual({ field: 'body.reason', message: 'expects a string' });
  });

  it.each([
    ['malformed JSON', '{"transaction_id": 1,', 400],
    ['an empty body', '', 400],
    ['a JSON array', '[1,2]', 400],
    ['a JSON string', '"flag"', 400],
    ['null', 'null', 400],
  ])('rejects %s with 400', async (_what, raw, status) => {
    const reply = await call('create', { raw });
    expect(reply.status, reply.text).toBe(status);
    expect(reply.body.error.code).toBe('invalid_request');
  });

  it('rejects a body over 16 KiB with 400', async () => {
    const reply = await call('create', { raw: JSON.stringify(flag({ note: 'x'.repeat(17_000) })) });
    expect(reply.status).toBe(400);
    expect(reply.body.error.problems).toEqual([
      { field: 'body', message: expect.stringMatching(/16384 bytes/) },
    ]);
  });

  it('rejects a body that is not JSON with 415', async () => {
    const reply = await call('create', {
      raw: 'transaction_id=1',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
    });
    expect(reply.status).toBe(415);
  });

  it('accepts a base64-encoded body (as API Gateway may send it)', async () => {
    const body = flag({ transaction_id: bank.transactions[5]?.[8], reason: 'base64 body' });
    const event = { raw: Buffer.from(JSON.stringify(body)).toString('base64') };
    const { handler } = await import('../../functions/alerts-create.js');
    const fixture = (await import('../events/alerts-post-create.json', { with: { type: 'json' } })).default;
    const result = await handler(
      { ...structuredClone(fixture), body: event.raw, isBase64Encoded: true } as never,
      {
        awsRequestId: 'r',
      } as never,
    );
    expect(result.statusCode, result.body).toBe(201);
  });
});
