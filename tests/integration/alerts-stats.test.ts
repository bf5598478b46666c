import { beforeAll, describe, expect, it } from 'vitest';
import { alertStatsSchema } from '../../lib/alerts/schemas.js';
import { execute } from '../../lib/db/pool.js';
import { call, seedBank } from './alerts-fixture.js';

beforeAll(async () => {
  await seedBank();
  await execute(
    `INSERT INTO scan_runs (mode, status, started_at, finished_at, transactions_scanned, alerts_created, alerts_by_risk)
     VALUES ('full', 'succeeded', '2026-03-01 00:00:00', '2026-03-01 00:01:00', 60, 40, '{"High":13}'),
            ('incremental', 'failed', '2026-03-02 00:00:00', NULL, 0, 0, NULL)`,
  );
});

describe('GET /alerts/stats', () => {
  it('counts alerts by risk level, reason, status, flagged_by and day over the period', async () => {
    const reply = await call('stats', { query: { from: '2026-03-01', to: '2026-03-31' } });
    expect(reply.status, reply.text).toBe(200);
    const stats = alertStatsSchema.parse(reply.body);
    expect(stats.from).toBe('2026-03-01T00:00:00Z');
    expect(stats.to).toBe('2026-04-01T00:00:00Z');
    expect(stats.total).toBe(48);
    expect(stats.by_risk_level).toEqual({ Low: 16, Medium: 16, High: 16 });
    expect(stats.by_status).toEqual({ open: 24, investigating: 12, closed: 12, suppressed: 0 });
    expect(stats.by_flagged_by).toEqual({ system: 40, analyst: 8 });
    expect(Object.values(stats.by_reason).reduce((a, b) => a + b, 0)).toBe(48);
    expect(stats.by_day).toHaveLength(8);
    expect(stats.by_day[0]).toEqual({ day: '2026-03-01', count: 6 });
  });

  it('narrows to the period asked for', async () => {
    const reply = await call('stats', { query: { from: '2026-03-02', to: '2026-03-02' } });
    expect(reply.body.total).toBe(6);
    expect(reply.body.by_day).toEqual([{ day: '2026-03-02', count: 6 }]);
  });

  it('lists the latest scan runs, newest first, without their error text', async () => {
    const reply = await call('stats', { query: { from: '2026-03-01', runs: '1' } });
    expect(reply.body.latest_scan_runs).toEqual([
      expect.objectContaining({
        mode: 'incremental',
        status: 'failed',
        started_at: '2026-03-02T00:00:00.000Z',
      }),
    ]);
    const two = await call('stats', { query: { from: '2026-03-01' } });
    expect(two.body.latest_scan_runs[1]).toMatchObject({ alerts_created: 40, alerts_by_risk: { High: 13 } });
    expect(two.body.latest_scan_runs[1]).not.toHaveProperty('error');
  });

  it('includes the scan’s all-time report (lib/scan/report.ts)', async () => {
    const reply = await call('stats', { query: { from: '2026-03-01' } });
    expect(reply.body.all_time.totals).toEqual({
      alerts: 48,
      transactions: 48,
      system: 40,
      analyst: 8,
      suppressed: 0,
    });
    expect(reply.body.all_time.by_currency).toEqual([expect.objectContaining({ key: 'EUR', alerts: 48 })]);
  });

  it('defaults to the last 30 days', async () => {
    const reply = await call('stats');
    expect(reply.status).toBe(200);
    const days = (Date.parse(reply.body.to) - Date.parse(reply.body.from)) / 86_400_000;
    expect(days).toBe(30);
  });

  it.each([
    [{ from: '2026-03-05', to: '2026-03-01' }, 'query.from'],
    [{ from: '2020-01-01', to: '2026-01-01' }, 'query.from'],
    [{ from: 'last week' }, 'query.from'],
    [{ runs: '0' }, 'query.runs'],
    [{ runs: '51' }, 'query.runs'],
    [{ period: '30d' }, 'query'],
  ])('rejects %j with 400 naming %s', async (q, field) => {
    const reply = await call('stats', { query: q as Record<string, string> });
    expect(reply.status, reply.text).toBe(400);
    expect(reply.body.error.problems.map((p: { field: string }) => p.field)).toContain(field);
  });
});

describe('GET /openapi.json', () => {
  it('is an OpenAPI 3.1 document of every route, generated from the request schemas', async () => {
    const reply = await call('openapi', { key: null });
    expect(reply.status).toBe(200);
    const doc = reply.body;
    expect(doc.openapi).toBe('3.1.0');
    expect(Object.keys(doc.paths).sort()).toEqual([
      '/alerts',
      '/alerts/stats',
      '/alerts/{id}',
      '/cases',
      '/cases/{id}',
      '/cases/{id}/notes',
      '/health',
      '/notifications',
      '/notifications/{id}/retry',
      '/openapi.json',
      '/suppressions',
      '/suppressions/{id}',
    ]);
    expect(Object.keys(doc.paths['/cases/{id}'])).toEqual(['get', 'patch']);
    const ifMatch = doc.paths['/cases/{id}'].patch.parameters.find((p: { in: string }) => p.in === 'header');
    expect(ifMatch).toMatchObject({ name: 'If-Match', required: true });
    expect(Object.keys(doc.paths['/cases/{id}'].patch.responses)).toEqual(
      expect.arrayContaining(['200', '403', '409', '412', '428']),
    );
    expect(doc.components.schemas.UpdateCase).toMatchObject({ type: 'object', additionalProperties: false });
    expect(Object.keys(doc.paths['/alerts'])).toEqual(['get', 'post']);
    expect(Object.keys(doc.paths['/alerts/{id}'])).toEqual(['get', 'patch']);
    const params = doc.paths['/alerts'].get.parameters.map((p: { name: string }) => p.name);
    expect(params).toEqual(
      expect.arrayContaining(['risk_level', 'status', 'flagged_by', 'reason', 'rule', 'cursor', 'limit']),
    );
    const risk = doc.paths['/alerts'].get.parameters.find((p: { name: string }) => p.name === 'risk_level');
    expect(risk.schema.enum).toEqual(['Low', 'Medium', 'High']);
    expect(doc.components.schemas.CreateAlert).toMatchObject({
      type: 'object',
      required: ['transaction_id', 'reason', 'risk_level'],
      additionalProperties: false,
    });
    expect(doc.components.schemas.AlertDetail).toBeDefined();
    expect(doc.components.securitySchemes.apiKey).toEqual({
      type: 'apiKey',
      in: 'header',
      name: 'x-api-key',
    });
    expect(JSON.stringify(doc)).not.toContain('$schema');
  });
});
