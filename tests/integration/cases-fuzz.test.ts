/**
 * Hostile and malformed requests against every cases and suppressions route — injection strings, huge numbers, wrong
 * types, bad JSON, bad If-Match headers, hostile ids, cursors and suppressions — as viewer, analyst and lead: none
 * may cause a 5xx, leak a stack trace or SQL, or change a single row.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { listCasesQuerySchema } from '../../lib/cases/schemas.js';
import { listSuppressionsQuerySchema } from '../../lib/suppressions/schemas.js';
import {
  ANALYST_KEY,
  type Call,
  call,
  checksum,
  LEAD_KEY,
  type Route,
  VIEWER_KEY,
} from './alerts-fixture.js';
import { attach, makeAlert, makeClient } from './cases-fixture.js';
import { HOSTILE, LEAKS, prng } from './fuzz-inputs.js';

let caseId = '';

beforeAll(async () => {
  const { accountId } = await makeClient();
  const { touched } = await attach([(await makeAlert(accountId, { risk: 'High' })).alertId]);
  caseId = String(touched[0]);
});

const BAD_IF_MATCH = ['', '*', 'W/"1"', '"1', '"-1"', '"1e3"', '"99999999999"', 'null', '"1", "2"', '\u0000'];

function requests(): Array<[Route, Call]> {
  const out: Array<[Route, Call]> = [];
  for (const name of Object.keys(listCasesQuerySchema.shape)) {
    for (const value of HOSTILE) out.push(['case-list', { query: { [name]: value }, key: VIEWER_KEY }]);
  }
  for (const id of HOSTILE) {
    out.push(['case-get', { id, key: VIEWER_KEY }]);
    out.push(['case-update', { id, body: { status: 'investigating' }, headers: { 'if-match': '"1"' } }]);
    out.push(['case-note', { id, body: { note: 'x' } }]);
  }
  const raws = [
    '{',
    '[]',
    '""',
    '0',
    'null',
    '{"note":',
    '{"__proto__":{"status":"closed"}}',
    'x'.repeat(20_000),
  ];
  for (const raw of raws) {
    out.push(['case-update', { id: caseId, raw, headers: { 'if-match': '"1"' } }]);
    out.push(['case-note', { id: caseId, raw }]);
  }
  // Valid bodies with If-Match headers that name no version, or a version the case never had (428, 412).
  for (const value of [...BAD_IF_MATCH, '"999999"']) {
    out.push([
      'case-update',
      { id: caseId, body: { note: 'x' }, headers: { 'if-match': value }, key: LEAD_KEY },
    ]);
  }
  const random = prng(17);
  const values = [...HOSTILE, -1, 0, 1.5, 2 ** 53, null, true, [], {}, [1], { id: 1 }] as unknown[];
  const pick = () => values[Math.floor(random() * values.length)];
  for (let i = 0; i < 150; i++) {
    const body = { status: pick(), assignee: pick(), disposition: pick(), note: pick() };
    out.push(['case-update', { id: caseId, body, headers: { 'if-match': '"999999"' }, key: LEAD_KEY }]);
    out.push(['case-note', { id: caseId, body: { note: pick() }, key: VIEWER_KEY }]);
  }
  for (const key of HOSTILE.slice(0, 20)) out.push(['case-list', { key }]);
  return [...out, ...suppressionRequests()];
}

/** GET /suppressions and DELETE /suppressions/{id}, and hostile `suppress` members of a case's closing. */
function suppressionRequests(): Array<[Route, Call]> {
  const out: Array<[Route, Call]> = [];
  for (const name of Object.keys(listSuppressionsQuerySchema.shape)) {
    for (const value of HOSTILE)
      out.push(['suppression-list', { query: { [name]: value }, key: VIEWER_KEY }]);
  }
  for (const id of [...HOSTILE, '1', '999999']) {
    for (const key of [VIEWER_KEY, ANALYST_KEY, LEAD_KEY]) out.push(['suppression-revoke', { id, key }]);
  }
  const random = prng(71);
  const values = [
    ...HOSTILE,
    -1,
    0,
    2 ** 53,
    null,
    true,
    [],
    {},
    '2026-13-01',
    '9999-12-31',
    'DE89370400440532013000',
  ];
  const pick = () => values[Math.floor(random() * values.length)];
  for (let i = 0; i < 120; i++) {
    const one = { rule: pick(), until: pick(), counterparty: pick(), country: pick(), reason: pick() };
    const suppress = i % 3 === 0 ? pick() : [one];
    const body = { status: 'closed', disposition: 'false_positive', note: 'x', suppress };
    out.push(['case-update', { id: caseId, body, headers: { 'if-match': '"999999"' }, key: LEAD_KEY }]);
  }
  return out;
}

describe('cases API under hostile input', () => {
  it('answers every malformed or hostile request without a 5xx, leaks nothing, and changes no data', async () => {
    const before = await checksum();
    const all = requests();
    expect(all.length).toBeGreaterThan(600);
    const statuses = new Map<number, number>();
    for (const [route, request] of all) {
      const reply = await call(route, { key: ANALYST_KEY, ...request });
      statuses.set(reply.status, (statuses.get(reply.status) ?? 0) + 1);
      const label = `${route} ${JSON.stringify(request).slice(0, 200)} → ${reply.status} ${reply.text.slice(0, 300)}`;
      expect(reply.status, label).toBeLessThan(500);
      expect(reply.text, label).not.toMatch(LEAKS);
      if (reply.status === 200) {
        expect(['case-list', 'suppression-list'], label).toContain(route);
        expect(reply.body.data, label).toEqual([]);
      } else expect(reply.body.error?.code, label).toEqual(expect.any(String));
    }
    expect(await checksum()).toBe(before);
    expect([...statuses.keys()].every((s) => [200, 400, 401, 403, 404, 412, 415, 422, 428].includes(s))).toBe(
      true,
    );
    expect(statuses.get(428)).toBeGreaterThan(5);
    expect(statuses.get(412)).toBeGreaterThan(0);
  });
});
