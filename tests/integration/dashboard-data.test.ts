import type { Context } from 'aws-lambda';
import { beforeAll, describe, expect, it } from 'vitest';
import { handler as pageHandler } from '../../functions/dashboard.js';
import { handler as dataHandler } from '../../functions/dashboard-data.js';
import { FIGURES } from '../../lib/analytics/figures.js';
import { resetFreshnessCheck } from '../../lib/analytics/refresh.js';
import { execute, query } from '../../lib/db/pool.js';
import { LOCAL_DEV_KEYS } from '../../lib/http/auth.js';
import type { HttpEvent } from '../../lib/http/handler.js';
import { runScan } from '../../lib/scan/scan.js';
import { parseSeedOptions } from '../../lib/seed/options.js';
import { runSeed } from '../../lib/seed/run.js';
import dataEvent from '../events/dashboard-get-data.json' with { type: 'json' };
import pageEvent from '../events/dashboard-get-page.json' with { type: 'json' };

const VIEWER_KEY = LOCAL_DEV_KEYS.find((k) => k.role === 'viewer')?.key as string;
const context = { awsRequestId: 'test-request', functionName: 'dashboard-data' } as Context;

async function get(figure: string, params: Record<string, string> = {}, key: string | null = VIEWER_KEY) {
  const event = structuredClone(dataEvent) as unknown as HttpEvent;
  event.pathParameters = { figure };
  event.rawPath = `/dashboard/data/${figure}`;
  event.queryStringParameters = Object.keys(params).length > 0 ? params : undefined;
  if (key) event.headers = { ...event.headers, 'x-api-key': key };
  const result = await dataHandler(event as never, context);
  return { status: result.statusCode, body: JSON.parse(result.body ?? '{}') };
}

describe('GET /dashboard/data/{figure}', () => {
  beforeAll(async () => {
    await runSeed(
      parseSeedOptions({
        clients: 120,
        transactions: 8_000,
        from: '2025-01-01',
        to: '2026-01-01',
        seed: 7,
        anomalyRate: 0.03,
      }),
    );
    await runScan({ mode: 'full' });
    resetFreshnessCheck();
  });

  it('refuses every figure without an API key (401) and with an unknown key', async () => {
    for (const figure of FIGURES) expect((await get(figure, {}, null)).status).toBe(401);
    expect((await get('kpis', {}, 'not-a-key')).status).toBe(401);
  });

  it('tells the page who the key is (me): its person and role, and a lead the people to assign cases to', async () => {
    expect((await get('me', {}, null)).status).toBe(401);
    expect((await get('me')).body).toEqual({ name: 'local-viewer', role: 'viewer', people: [] });
    const analyst = LOCAL_DEV_KEYS.find((k) => k.role === 'analyst')?.key as string;
    expect((await get('me', {}, analyst)).body).toEqual({
      name: 'local-analyst',
      role: 'analyst',
      people: [],
    });
    const lead = LOCAL_DEV_KEYS.find((k) => k.role === 'lead')?.key as string;
    expect((await get('me', {}, lead)).body).toEqual({
      name: 'local-lead',
      role: 'lead',
      people: ['local-analyst', 'local-lead'],
    });
  });

  it('answers KPIs from the summaries, brought up to date on first read', async () => {
    const { status, body } = await get('kpis');
    expect(status).toBe(200);
    expect(body.clients).toBe(120);
    const [accounts] = await query<{ n: number }>('SELECT COUNT(*) AS n FROM accounts');
    expect(body.accounts).toBe(Number(accounts?.n));
    const raw = await query<{ currency: string; n: number; volume: string }>(
      `SELECT currency, COUNT(*) AS n, SUM(ABS(amount)) AS volume FROM transactions
        WHERE status <> 'cancelled' GROUP BY currency`,
    );
    for (const r of raw) {
      const v = body.volume_by_currency.find((x: { currency: string }) => x.currency === r.currency);
      expect(v).toMatchObject({ transactions: Number(r.n), volume: Number(r.volume) });
    }
    const [open] = await query<{ n: number }>("SELECT COUNT(*) AS n FROM alerts WHERE status <> 'closed'");
    const byRisk = body.open_alerts_by_risk as Record<string, number>;
    expect(Object.values(byRisk).reduce((s, n) => s + n, 0)).toBe(Number(open?.n));
    expect(Number(open?.n)).toBeGreaterThan(0);
    expect(body.last_backup).toBeNull();
    expect(body.data_range).toEqual({ from: '2025-01-01', to: '2025-12-31' });
  });

  it('shows the latest backup and whether its restore test passed', async () => {
    await execute(
      `INSERT INTO backup_runs (object_key, bucket, database_name, trigger_source, status, started_at, finished_at,
         verified_at, verify_status) VALUES ('backups/x.sql.gz', 'b', 'db', 'manual', 'succeeded',
         '2026-01-02 02:15:00', '2026-01-02 02:16:00', '2026-01-02 03:00:00', 'passed')`,
    );
    const { body } = await get('kpis');
    expect(body.last_backup).toMatchObject({ status: 'succeeded', verified: true, verify_status: 'passed' });
    await execute('DELETE FROM backup_runs');
  });

  it('returns transactions over time that match the raw table, per granularity', async () => {
    const month = await get('transactions', { from: '2025-03-01', to: '2025-03-31', granularity: 'month' });
    expect(month.status).toBe(200);
    const [raw] = await query<{ n: number }>(
      `SELECT COUNT(*) AS n FROM transactions
        WHERE date >= '2025-03-01' AND date < '2025-04-01' AND status <> 'cancelled'`,
    );
    const rows = month.body.rows as Array<{ period: string; transactions: number }>;
    expect(rows.every((r) => r.period === '2025-03-01')).toBe(true);
    expect(rows.reduce((s, r) => s + r.transactions, 0)).toBe(Number(raw?.n));
    const days = await get('transactions', { from: '2025-03-01', to: '2025-03-31', granularity: 'day' });
    expect(new Set(days.body.rows.map((r: { period: string }) => r.period)).size).toBeGreaterThan(25);
    const weeks = await get('transactions', { from: '2025-03-01', to: '2025-03-31', granularity: 'week' });
    for (const r of weeks.body.rows) expect(new Date(`${r.period}T00:00:00Z`).getUTCDay()).toBe(1);
  });

  it('changes the period-bound figures when the period changes', async () => {
    const whole = await get('alerts', { from: '2025-01-01', to: '2025-12-31' });
    const half = await get('alerts', { from: '2025-07-01', to: '2025-12-31' });
    const total = (b: { by_risk: Array<{ alerts: number }> }) => b.by_risk.reduce((s, r) => s + r.alerts, 0);
    expect(total(whole.body)).toBeGreaterThan(total(half.body));
    const [raw] = await query<{ n: number }>(
      `SELECT COUNT(*) AS n FROM alerts al JOIN transactions t ON t.id = al.transaction_id
        WHERE t.date >= '2025-07-01' AND t.date < '2026-01-01'`,
    );
    expect(total(half.body)).toBe(Number(raw?.n));
    expect(half.body.by_reason.length).toBeGreaterThan(0);
  });

  it('ranks top clients by transfer sum and by number of transactions', async () => {
    const { body } = await get('top-clients', { limit: '5' });
    expect(body.by_transfer_sum).toHaveLength(5);
    expect(body.by_transactions).toHaveLength(5);
    const sums = body.by_transfer_sum.map((r: { transfer_sum_eur: number }) => r.transfer_sum_eur);
    expect([...sums].sort((a, b) => b - a)).toEqual(sums);
    const [top] = await query<{ client_id: number; n: number }>(
      `SELECT a.client_id, COUNT(*) AS n FROM transactions t JOIN accounts a ON a.id = t.account_id
        WHERE t.status <> 'cancelled' GROUP BY a.client_id ORDER BY n DESC LIMIT 1`,
    );
    expect(body.by_transactions[0].transactions).toBe(Number(top?.n));
  });

  it('counts clients per country and city', async () => {
    const { body } = await get('locations');
    expect(body.countries.reduce((s: number, c: { clients: number }) => s + c.clients, 0)).toBe(120);
    expect(body.top_cities.length).toBeGreaterThan(0);
  });

  /** The list the suspicious figure should answer, computed from the raw alerts with a GROUP BY. */
  async function expectedSuspicious(from: string, to: string, limit: number, risk?: string) {
    const rank = "FIELD(al.risk_level, 'High', 'Medium', 'Low')";
    return query<{ transaction_id: number; top_risk: string; newest: number; alert_ids: string }>(
      `SELECT al.transaction_id, ELT(MIN(${rank}), 'High', 'Medium', 'Low') AS top_risk,
              MAX(CASE WHEN ? IS NULL OR al.risk_level = ? THEN al.id END) AS newest,
              GROUP_CONCAT(al.id ORDER BY ${rank}, al.id DESC) AS alert_ids
         FROM alerts al JOIN transactions t ON t.id = al.transaction_id
        WHERE al.status IN ('open', 'investigating') AND t.date >= ? AND t.date < ? + INTERVAL 1 DAY
        GROUP BY al.transaction_id
       HAVING ? IS NULL OR top_risk = ?
        ORDER BY newest DESC LIMIT ?`,
      [risk ?? null, risk ?? null, from, to, risk ?? null, risk ?? null, limit],
    );
  }

  it('lists each suspicious transaction of the period once, with all its open alerts, newest alert first', async () => {
    for (const risk of ['High', 'Medium', 'Low', undefined]) {
      const { status, body } = await get('suspicious', {
        from: '2025-01-01',
        to: '2025-12-31',
        limit: '20',
        ...(risk ? { risk } : {}),
      });
      expect(status).toBe(200);
      const expected = await expectedSuspicious('2025-01-01', '2025-12-31', 20, risk);
      expect(expected.length, `${risk} has transactions`).toBeGreaterThan(0);
      const rows = body.rows as Array<{
        transaction_id: number;
        risk_level: string;
        newest_alert_id: number;
        reasons: string[];
        alerts: Array<{ alert_id: number; reason: string; risk_level: string; status: string }>;
      }>;
      expect(rows.map((r) => r.transaction_id)).toEqual(expected.map((e) => Number(e.transaction_id)));
      for (const [i, r] of rows.entries()) {
        const e = expected[i];
        expect(r.risk_level).toBe(e?.top_risk);
        if (risk) expect(r.risk_level).toBe(risk);
        expect(r.newest_alert_id).toBe(Number(e?.newest));
        expect(r.alerts.map((a) => a.alert_id)).toEqual(e?.alert_ids.split(',').map(Number));
        expect(r.reasons).toEqual([...new Set(r.alerts.map((a) => a.reason))]);
        for (const a of r.alerts) expect(['open', 'investigating']).toContain(a.status);
      }
    }
    const all = await get('suspicious', { from: '2025-01-01', to: '2025-12-31', limit: '50' });
    expect(all.body.rows.some((r: { alerts: unknown[] }) => r.alerts.length > 1)).toBe(true);
    const short = await get('suspicious', { from: '2025-06-01', to: '2025-06-07' });
    const expectedShort = await expectedSuspicious('2025-06-01', '2025-06-07', 10);
    expect(short.body.rows.map((r: { transaction_id: number }) => r.transaction_id)).toEqual(
      expectedShort.map((e) => Number(e.transaction_id)),
    );
    for (const r of short.body.rows) {
      expect(r.transaction_date >= '2025-06-01').toBe(true);
      expect(r.transaction_date < '2025-06-08').toBe(true);
    }
  });

  it('draws the value distribution with p95 below p99 and the alerted transactions marked', async () => {
    const { body } = await get('distribution');
    expect(body.p95).toBeGreaterThan(0);
    expect(body.p99).toBeGreaterThan(body.p95);
    const [raw] = await query<{ n: number }>(
      "SELECT COUNT(*) AS n FROM transactions WHERE status <> 'cancelled' AND amount <> 0",
    );
    expect(body.transactions).toBe(Number(raw?.n));
    expect(body.bins.some((b: { alerted: number }) => b.alerted > 0)).toBe(true);
  });

  it('rejects invalid parameters with 400 and names the field', async () => {
    const bad = await get('transactions', { from: '2025-02-30' });
    expect(bad.status).toBe(400);
    expect(JSON.stringify(bad.body)).toContain('query.from');
    expect((await get('transactions', { granularity: 'year' })).status).toBe(400);
    expect((await get('transactions', { from: '2025-05-01', to: '2025-04-01' })).status).toBe(400);
    expect((await get('transactions', { sort: 'x' })).status).toBe(400);
    expect((await get('nope')).status).toBe(400);
  });
});

describe('GET /dashboard', () => {
  const invoke = async (path: string) => {
    const event = structuredClone(pageEvent) as unknown as HttpEvent;
    event.rawPath = path;
    const result = await pageHandler(event as never, context);
    return result;
  };

  it('serves the page without a key: every chart titled and captioned, no data inside', async () => {
    const page = await invoke('/dashboard');
    expect(page.statusCode).toBe(200);
    expect(page.headers?.['content-type']).toMatch(/text\/html/);
    expect(page.headers?.['content-security-policy']).toContain("script-src 'self'");
    expect(page.body).toContain('Transactions over time');
    expect(page.body).toContain('Distribution of transaction values');
    expect(page.body).not.toMatch(/https?:\/\//);
  });

  it('serves the bundled page script with ECharts inside, no CDN', async () => {
    const script = await invoke('/dashboard/app.js');
    expect(script.statusCode).toBe(200);
    expect(script.headers?.['content-type']).toMatch(/javascript/);
    expect((script.body ?? '').length).toBeGreaterThan(300_000);
    expect(script.body).not.toMatch(/cdn\.|unpkg|jsdelivr/);
  });
});
