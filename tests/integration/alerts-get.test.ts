import { beforeAll, describe, expect, it } from 'vitest';
import { alertDetailSchema } from '../../lib/alerts/schemas.js';
import { execute } from '../../lib/db/pool.js';
import { ANALYST_KEY, type Bank, call, seedBank, VIEWER_KEY } from './alerts-fixture.js';

let bank: Bank;

beforeAll(async () => {
  bank = await seedBank();
});

describe('GET /alerts/{id}', () => {
  it('returns the alert with its evidence, transaction, account, client and history', async () => {
    const id = bank.alerts[3] as number;
    const reply = await call('get', { id: String(id), key: ANALYST_KEY });
    expect(reply.status, reply.text).toBe(200);
    const alert = alertDetailSchema.parse(reply.body);
    expect(alert).toMatchObject({
      id,
      transaction_id: bank.transactions[0]?.[3],
      account_id: bank.accounts[0],
      client_id: bank.clients[0],
      flagged_by: 'system',
      evidence: {
        threshold: 5000,
        relatedTransactionIds: [bank.transactions[0]?.[2], bank.transactions[0]?.[1]],
      },
      transaction: {
        id: bank.transactions[0]?.[3],
        type: 'outgoing transfer',
        amount: '-400.00',
        currency: 'EUR',
      },
      account: { id: bank.accounts[0], currency: 'EUR', is_active: true },
      history: [],
    });
  });

  it('includes the related transactions its evidence names, oldest first', async () => {
    const reply = await call('get', { id: String(bank.alerts[3]) });
    expect(reply.body.related_transactions.map((t: { id: number }) => t.id)).toEqual([
      bank.transactions[0]?.[1],
      bank.transactions[0]?.[2],
    ]);
  });

  it('tolerates evidence without related transactions, and none at all', async () => {
    const id = bank.alerts[0] as number;
    await execute('UPDATE alerts SET evidence = \'{"note":"no ids"}\' WHERE id = ?', [id]);
    expect((await call('get', { id: String(id) })).body.related_transactions).toEqual([]);
    await execute('UPDATE alerts SET evidence = NULL WHERE id = ?', [id]);
    const reply = await call('get', { id: String(id) });
    expect(reply.status).toBe(200);
    expect(reply.body.evidence).toBeNull();
  });

  it('shows an analyst the client’s identifier, e-mail and phone', async () => {
    const reply = await call('get', { id: String(bank.alerts[0]), key: ANALYST_KEY });
    expect(reply.body.client).toMatchObject({
      first_name: 'Anna',
      identifier: '85010112345',
      email: 'anna.nowak@example.pl',
      phone: '+48 601 234 567',
    });
  });

  it('masks them for a viewer', async () => {
    const reply = await call('get', { id: String(bank.alerts[0]), key: VIEWER_KEY });
    expect(reply.body.client).toMatchObject({
      first_name: 'Anna',
      identifier: '********345',
      email: 'a***@example.pl',
      phone: '+** *** *** *67',
    });
    expect(reply.text).not.toContain('85010112345');
    expect(reply.text).not.toContain('anna.nowak');
  });

  it('keeps missing e-mail and phone as null', async () => {
    const reply = await call('get', { id: String(bank.alerts[40]), key: VIEWER_KEY });
    expect(reply.body.client).toMatchObject({ first_name: 'Eva', email: null, phone: null });
  });

  it('answers 404 for an alert that does not exist', async () => {
    const reply = await call('get', { id: '999999999' });
    expect(reply.status).toBe(404);
    expect(reply.body.error).toEqual({ code: 'not_found', message: 'There is no alert 999999999' });
  });

  it.each([
    '0',
    '-1',
    'abc',
    '1.5',
    '1e3',
    '0x10',
    '99999999999999999',
    '..%2F..%2Fetc%2Fpasswd',
    '1 OR 1=1',
    '',
  ])('answers 400 for the path id %j', async (id) => {
    const reply = await call('get', { id });
    expect(reply.status).toBe(400);
    expect(reply.body.error.problems[0].field).toBe('path.id');
  });
});
