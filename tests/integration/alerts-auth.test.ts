import { beforeAll, describe, expect, it } from 'vitest';
import {
  ANALYST_KEY,
  type Bank,
  type Call,
  call,
  checksum,
  type Route,
  seedBank,
  VIEWER_KEY,
} from './alerts-fixture.js';

let bank: Bank;

beforeAll(async () => {
  bank = await seedBank();
});

/** A valid request per route; writes use fresh transactions so each succeeds on its own. */
function request(route: Route, n: number): Call {
  switch (route) {
    case 'get':
      return { id: String(bank.alerts[n]) };
    case 'create':
      return {
        body: { transaction_id: bank.transactions[n % 6]?.[9], reason: `auth ${n}`, risk_level: 'Low' },
      };
    case 'update':
      // Open alerts of the fixture (statuses rotate open, open, investigating, closed).
      return { id: String(bank.alerts[[0, 1, 4, 5, 8][n] as number]), body: { status: 'investigating' } };
    default:
      return {};
  }
}

const ROUTES: Route[] = ['list', 'get', 'stats', 'create', 'update'];
const WRITES = new Set<Route>(['create', 'update']);

describe('alerts API authentication and roles', () => {
  describe.each(ROUTES)('%s', (route) => {
    it('answers 401 without a key, changing nothing', async () => {
      const before = await checksum();
      const reply = await call(route, { ...request(route, 0), key: null });
      expect(reply.status).toBe(401);
      expect(reply.body.error.code).toBe('unauthorized');
      expect(await checksum()).toBe(before);
    });

    it('answers 401 for a wrong key, however close', async () => {
      for (const key of [
        'nope',
        `${ANALYST_KEY}x`,
        ANALYST_KEY.slice(0, -1),
        ANALYST_KEY.toUpperCase(),
        'x'.repeat(10_000),
      ]) {
        const reply = await call(route, { ...request(route, 0), key });
        expect(reply.status, key.slice(0, 30)).toBe(401);
        expect(reply.text).not.toContain(key.slice(0, 30));
      }
    });

    it(`lets a viewer ${WRITES.has(route) ? 'not write (403)' : 'read'}`, async () => {
      const before = await checksum();
      const reply = await call(route, { ...request(route, 1), key: VIEWER_KEY });
      if (WRITES.has(route)) {
        expect(reply.status).toBe(403);
        expect(reply.body.error.code).toBe('forbidden');
        expect(await checksum()).toBe(before);
      } else {
        expect(reply.status, reply.text).toBe(200);
      }
    });

    it('lets an analyst in', async () => {
      const reply = await call(route, { ...request(route, 2), key: ANALYST_KEY });
      expect(reply.status, reply.text).toBe(route === 'create' ? 201 : 200);
    });

    it('accepts the key as a bearer token', async () => {
      const reply = await call(route, {
        ...request(route, 3),
        key: null,
        headers: { authorization: `Bearer ${ANALYST_KEY}` },
      });
      expect(reply.status, reply.text).toBe(route === 'create' ? 201 : 200);
    });
  });

  it('checks the key before the body: no key and a bad body is still 401', async () => {
    expect((await call('create', { raw: '{oops', key: null })).status).toBe(401);
    expect((await call('create', { raw: '{oops', key: VIEWER_KEY })).status).toBe(403);
  });

  it('reads the x-api-key header case-insensitively', async () => {
    const reply = await call('list', { key: null, headers: { 'X-API-KEY': VIEWER_KEY } });
    expect(reply.status).toBe(200);
  });

  it('serves /openapi.json without a key', async () => {
    expect((await call('openapi', { key: null })).status).toBe(200);
  });
});
