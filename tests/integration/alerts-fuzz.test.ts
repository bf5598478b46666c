/**
 * Hostile and malformed requests — injection strings, huge numbers, wrong types, bad JSON, path traversal,
 * unicode, oversized bodies — against every alerts route: none may cause a 5xx, leak a stack trace or SQL, or
 * change a single row.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { listAlertsQuerySchema } from '../../lib/alerts/schemas.js';
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
import { HOSTILE, LEAKS, prng } from './fuzz-inputs.js';

let bank: Bank;

beforeAll(async () => {
  bank = await seedBank();
});

function requests(): Array<[Route, Call]> {
  const out: Array<[Route, Call]> = [];
  const params = Object.keys(listAlertsQuerySchema.shape);
  // Every list parameter × every hostile value (as a viewer: reads only).
  for (const name of params) {
    for (const value of HOSTILE) out.push(['list', { query: { [name]: value }, key: VIEWER_KEY }]);
  }
  for (const value of HOSTILE.slice(0, 12)) {
    out.push(['list', { query: { [value || 'empty']: 'x' }, key: VIEWER_KEY }]);
    out.push(['stats', { query: { from: value, runs: value }, key: VIEWER_KEY }]);
  }
  // Path ids.
  for (const id of HOSTILE) {
    out.push(['get', { id, key: VIEWER_KEY }]);
    out.push(['update', { id, body: { status: 'investigating' } }]);
  }
  // Bodies that must not validate, on an existing open alert and for a real transaction.
  const alert = String(bank.alerts[0]);
  const tx = bank.transactions[0]?.[9];
  const rawBodies = [
    '{',
    '{"status":',
    "{'status':'closed'}",
    '{"status":"closed",}',
    'undefined',
    'NaN',
    '[]',
    '[{"status":"investigating"}]',
    '""',
    '0',
    '{"__proto__":{"status":"investigating"}}',
    '{"constructor":{"prototype":{"admin":true}}}',
    `{"status":"investigating","status":"${'x'.repeat(50)}"}`,
    '\u0000\u0001',
    '\uFEFF{"status":',
    Buffer.from([0xff, 0xfe, 0x00]).toString('latin1'),
    JSON.stringify({ status: 'closed', disposition: 'confirmed', note: 'x'.repeat(20_000) }),
    `{"a":${'['.repeat(5000)}${']'.repeat(5000)}}`,
    JSON.stringify({ pad: 'x'.repeat(1_000_000) }),
  ];
  for (const raw of rawBodies) {
    out.push(['update', { id: alert, raw }]);
    out.push(['create', { raw }]);
  }
  const random = prng(6);
  const values = [
    ...HOSTILE,
    -1,
    0,
    1.5,
    2 ** 53,
    1e308,
    -1e308,
    null,
    true,
    false,
    [],
    {},
    [1],
    { id: 1 },
  ] as unknown[];
  const pick = () => values[Math.floor(random() * values.length)];
  for (let i = 0; i < 120; i++) {
    // Hostile field values; transaction ids that do not exist, so even a well-formed flag writes nothing.
    out.push([
      'create',
      {
        body: {
          transaction_id: random() < 0.5 ? pick() : 999_000_000 + i,
          reason: pick(),
          risk_level: pick(),
          note: pick(),
        },
      },
    ]);
    out.push(['update', { id: alert, body: { status: pick(), disposition: pick(), note: pick() } }]);
    // A closing as a false positive with a hostile suppression.
    const suppress = random() < 0.5 ? pick() : { until: pick(), country: pick(), reason: pick() };
    out.push([
      'update',
      { id: alert, body: { status: 'closed', disposition: 'false_positive', note: 'x', suppress } },
    ]);
  }
  // Well-formed flags with hostile reasons on a transaction that does not exist (422).
  for (const reason of HOSTILE) {
    out.push([
      'create',
      { body: { transaction_id: 999_999_999, reason: `x ${reason}`.slice(0, 100), risk_level: 'Low' } },
    ]);
  }
  // Viewer writes with otherwise valid bodies.
  out.push([
    'create',
    { body: { transaction_id: tx, reason: 'viewer try', risk_level: 'Low' }, key: VIEWER_KEY },
  ]);
  out.push(['update', { id: alert, body: { status: 'investigating' }, key: VIEWER_KEY }]);
  // Hostile keys.
  for (const key of HOSTILE.slice(0, 20)) out.push(['list', { key }]);
  return out;
}

describe('alerts API under hostile input', () => {
  it('answers every malformed or hostile request without a 5xx, leaks nothing, and changes no data', async () => {
    const before = await checksum();
    const all = requests();
    expect(all.length).toBeGreaterThan(500);
    const statuses = new Map<number, number>();
    for (const [route, request] of all) {
      const reply = await call(route, { key: ANALYST_KEY, ...request });
      statuses.set(reply.status, (statuses.get(reply.status) ?? 0) + 1);
      const label = `${route} ${JSON.stringify(request).slice(0, 200)} → ${reply.status} ${reply.text.slice(0, 300)}`;
      expect(reply.status, label).toBeLessThan(500);
      expect(reply.text, label).not.toMatch(LEAKS);
      // A hostile but well-formed read (e.g. a reason filter of "' OR '1'='1") is just a filter matching nothing.
      if (reply.status === 200) expect([route, reply.body.data], label).toEqual(['list', []]);
      else expect(reply.body.error?.code, label).toEqual(expect.any(String));
    }
    expect(await checksum()).toBe(before);
    expect([...statuses.keys()].every((s) => [200, 400, 401, 403, 404, 415, 422].includes(s))).toBe(true);
    expect(statuses.get(400)).toBeGreaterThan(300);
  });

  it('stores an injection-looking reason as plain text (parameterised SQL)', async () => {
    const reason = "x'); DELETE FROM alerts; --";
    const reply = await call('create', {
      body: { transaction_id: bank.transactions[2]?.[9], reason, risk_level: 'Low' },
    });
    expect(reply.status).toBe(201);
    expect(reply.body.reason).toBe(reason);
    const list = await call('list', { query: { reason } });
    expect(list.body.data.map((a: { id: number }) => a.id)).toEqual([reply.body.id]);
  });
});
