/**
 * The alerts API through serverless offline, as a client sees it: real HTTP, the API Gateway v2 events serverless
 * offline builds, the bundles serverless-esbuild makes — with keys configured through API_KEYS (hashed).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sha256Hex } from '../../lib/http/auth.js';
import { type Offline, startOffline } from '../helpers/offline.js';
import { type Bank, seedBank } from '../integration/alerts-fixture.js';

const VIEWER = 'e2e-viewer-key-4f1c';
const ANALYST = 'e2e-analyst-key-9b2e';
let offline: Offline;
let bank: Bank;

beforeAll(async () => {
  bank = await seedBank();
  offline = await startOffline({
    API_KEYS: JSON.stringify([
      { name: 'e2e-viewer', role: 'viewer', sha256: sha256Hex(VIEWER) },
      { name: 'e2e-analyst', role: 'analyst', sha256: sha256Hex(ANALYST) },
    ]),
  });
});

afterAll(async () => {
  await offline?.stop();
});

// biome-ignore lint/suspicious/noExplicitAny: test assertions read arbitrary JSON
const read = async (response: Response | Promise<Response>): Promise<any> => (await response).json();
const get = (path: string, key?: string) =>
  fetch(`${offline.url}${path}`, { headers: key ? { 'x-api-key': key } : {} });
const send = (method: string, path: string, body: string, key = ANALYST, type = 'application/json') =>
  fetch(`${offline.url}${path}`, { method, headers: { 'x-api-key': key, 'content-type': type }, body });

describe('alerts API through serverless offline', () => {
  it('registers every alerts route', () => {
    const out = offline.output();
    for (const route of [
      /GET\s+\|\s+http:\/\/localhost:\d+\/alerts\b/,
      /POST\s+\|\s+http:\/\/localhost:\d+\/alerts\b/,
      /GET\s+\|\s+http:\/\/localhost:\d+\/alerts\/stats/,
      /GET\s+\|\s+http:\/\/localhost:\d+\/alerts\/\{id\}/,
      /PATCH\s+\|\s+http:\/\/localhost:\d+\/alerts\/\{id\}/,
      /GET\s+\|\s+http:\/\/localhost:\d+\/openapi\.json/,
    ]) {
      expect(out).toMatch(route);
    }
  });

  it('authenticates with the configured keys only (the development keys do not apply)', async () => {
    expect((await get('/alerts')).status).toBe(401);
    expect((await get('/alerts', 'fm-local-viewer-key')).status).toBe(401);
    expect((await get('/alerts', VIEWER)).status).toBe(200);
    const bearer = await fetch(`${offline.url}/alerts`, { headers: { authorization: `Bearer ${ANALYST}` } });
    expect(bearer.status).toBe(200);
  });

  it('pages through the alerts with filters and a cursor', async () => {
    const first = await read(get('/alerts?limit=20&flagged_by=system', VIEWER));
    expect(first.data).toHaveLength(20);
    const second = await read(
      get(`/alerts?limit=20&flagged_by=system&cursor=${encodeURIComponent(first.next_cursor)}`, VIEWER),
    );
    expect(second.data).toHaveLength(20);
    const ids = [...first.data, ...second.data].map((a: { id: number }) => a.id);
    expect(new Set(ids).size).toBe(40);
  });

  it('serves /alerts/stats, not /alerts/{id}, for the literal path', async () => {
    const response = await get('/alerts/stats?from=2026-03-01&to=2026-03-31', VIEWER);
    expect(response.status).toBe(200);
    expect((await read(response)).total).toBe(48);
  });

  it('flags a transaction, moves the alert to closed, and shows its history', async () => {
    const body = JSON.stringify({
      transaction_id: bank.transactions[0]?.[9],
      reason: 'e2e flag',
      risk_level: 'High',
    });
    const created = await send('POST', '/alerts', body);
    expect(created.status).toBe(201);
    const alert = await read(created);
    expect(created.headers.get('location')).toBe(`/alerts/${alert.id}`);
    expect((await send('POST', '/alerts', body)).status).toBe(200);
    expect((await send('PATCH', `/alerts/${alert.id}`, '{"status":"investigating"}')).status).toBe(200);
    expect((await send('PATCH', `/alerts/${alert.id}`, '{"status":"open"}')).status).toBe(409);
    const closed = await send(
      'PATCH',
      `/alerts/${alert.id}`,
      JSON.stringify({ status: 'closed', disposition: 'false_positive', note: 'known payee' }),
    );
    expect(closed.status).toBe(200);
    const detail = await read(get(`/alerts/${alert.id}`, VIEWER));
    expect(
      detail.history.map((h: { to_status: string; changed_by: string }) => [h.to_status, h.changed_by]),
    ).toEqual([
      ['open', 'e2e-analyst'],
      ['investigating', 'e2e-analyst'],
      ['closed', 'e2e-analyst'],
    ]);
    expect(detail.client.identifier).toMatch(/^\*+\d{3}$/);
  });

  it('refuses a viewer writing with 403, and bad input with 400 — never a 5xx', async () => {
    expect((await send('POST', '/alerts', '{}', VIEWER)).status).toBe(403);
    expect((await send('POST', '/alerts', '{"transaction_id":')).status).toBe(400);
    expect((await send('POST', '/alerts', JSON.stringify({ note: 'x'.repeat(20_000) }))).status).toBe(400);
    expect((await send('POST', '/alerts', 'a=1', ANALYST, 'application/x-www-form-urlencoded')).status).toBe(
      415,
    );
    expect((await get('/alerts?risk_level=Huge', VIEWER)).status).toBe(400);
    expect((await get('/alerts?risk_level=High&risk_level=Low', VIEWER)).status).toBe(400);
    expect((await get('/alerts/abc', VIEWER)).status).toBe(400);
    expect((await get('/alerts/..%2F..%2Fetc%2Fpasswd', VIEWER)).status).toBeLessThan(500);
    expect((await get("/alerts?reason=' OR 1=1 --", VIEWER)).status).toBe(200);
    const bad = await get('/alerts?limit=99999999999999999999999', VIEWER);
    expect(bad.status).toBe(400);
    expect(await bad.text()).not.toMatch(/ER_|at .*\.ts/);
  });

  it('serves the OpenAPI document without a key', async () => {
    const response = await get('/openapi.json');
    expect(response.status).toBe(200);
    expect((await read(response)).openapi).toBe('3.1.0');
  });
});
