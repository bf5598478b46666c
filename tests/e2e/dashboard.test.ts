/**
 * The dashboard in a real headless Chromium (found by ../helpers/browser.ts, driven by playwright-core), served by
 * serverless offline from the same bundles Lambda runs, over a seeded and scanned bank. Screenshots go to
 * test-results/ (look at them: a chart can have data and still be unreadable).
 */
import { mkdir } from 'node:fs/promises';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { query } from '../../lib/db/pool.js';
import { sha256Hex } from '../../lib/http/auth.js';
import { runScan } from '../../lib/scan/scan.js';
import { parseSeedOptions } from '../../lib/seed/options.js';
import { runSeed } from '../../lib/seed/run.js';
import { launchChromium } from '../helpers/browser.js';
import { type Offline, startOffline } from '../helpers/offline.js';

const ANALYST = 'e2e-dashboard-analyst-7d3a';
const SHOTS = new URL('../../test-results/', import.meta.url).pathname;
const CHART_IDS = [
  'transactions',
  'top-transfers',
  'top-count',
  'alerts-risk',
  'alerts-reason',
  'map',
  'cities',
  'distribution',
];

const DESKTOP = { width: 1400, height: 1000 };
const PHONE = { width: 390, height: 844 };

let offline: Offline;
let browser: Browser;

beforeAll(async () => {
  await mkdir(SHOTS, { recursive: true });
  await runSeed(
    parseSeedOptions({
      clients: 300,
      transactions: 15_000,
      from: '2025-01-01',
      to: '2026-01-01',
      seed: 5,
      anomalyRate: 0.02,
    }),
  );
  await runScan({ mode: 'full' });
  offline = await startOffline({
    API_KEYS: JSON.stringify([{ name: 'e2e-analyst', role: 'analyst', sha256: sha256Hex(ANALYST) }]),
  });
  browser = await launchChromium();
});

afterAll(async () => {
  await browser?.close();
  await offline?.stop();
});

async function openDashboard(key?: string, viewport = DESKTOP): Promise<Page> {
  const page = await browser.newPage({ viewport });
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(e.message));
  // Offline means offline: any request that leaves this server fails the test.
  await page.route('**/*', (route) =>
    route.request().url().startsWith(offline.url) ? route.continue() : route.abort(),
  );
  await page.goto(`${offline.url}/dashboard`);
  if (key) {
    await page.fill('#api-key', key);
    await page.press('#api-key', 'Enter');
    await page.waitForSelector('body[data-loaded="true"]', { timeout: 60_000 });
  }
  expect(errors).toEqual([]);
  return page;
}

/** Per chart: how many data points each series holds, read from the ECharts instance. */
function seriesLengths(page: Page): Promise<Record<string, number[]>> {
  return page.evaluate((ids) => {
    const charts = (
      window as unknown as {
        __fmCharts: Record<string, { getOption(): { series: Array<{ data: unknown[] }> } }>;
      }
    ).__fmCharts;
    return Object.fromEntries(
      ids.map((id) => [id, (charts[id]?.getOption().series ?? []).map((s) => s.data?.length ?? 0)]),
    );
  }, CHART_IDS);
}

/** Share of non-blank pixels of a chart's canvas (an empty canvas is ~0). */
function inkRatio(page: Page, id: string): Promise<number> {
  return page.evaluate((chartId) => {
    const canvas = document.querySelector<HTMLCanvasElement>(`#chart-${chartId} canvas`);
    const ctx = canvas?.getContext('2d');
    if (!canvas || !ctx) return 0;
    const { data } = ctx.getImageData(0, 0, canvas.width, canvas.height);
    let ink = 0;
    for (let i = 3; i < data.length; i += 16) if ((data[i] ?? 0) > 0) ink++;
    return ink / (data.length / 16);
  }, id);
}

/** The page is no wider than the viewport; on failure, names what sticks out (outside scrolling tables). */
async function expectNoSidewaysScroll(page: Page): Promise<void> {
  const { scrollWidth, viewport, wide } = await page.evaluate(() => ({
    scrollWidth: document.documentElement.scrollWidth,
    viewport: window.innerWidth,
    wide: Array.from(document.querySelectorAll<HTMLElement>('body *'))
      .filter(
        (el) => el.getBoundingClientRect().right > window.innerWidth + 0.5 && !el.closest('.table-scroll'),
      )
      .slice(0, 8)
      .map((el) => `${el.tagName.toLowerCase()}#${el.id}.${el.className}`),
  }));
  expect(scrollWidth, `wider than ${viewport} px: ${wide.join(', ')}`).toBeLessThanOrEqual(viewport);
}

describe('dashboard in headless Chromium', () => {
  it('refuses the data without a key and says so on the page', async () => {
    const refused = await fetch(`${offline.url}/dashboard/data/kpis`);
    expect(refused.status).toBe(401);
    const page = await openDashboard();
    await expect(page.textContent('#status')).resolves.toMatch(/Enter an API key/);
    await page.fill('#api-key', 'wrong-key');
    await page.press('#api-key', 'Enter');
    await page.waitForSelector('body[data-loaded="error"]');
    await expect(page.textContent('#status')).resolves.toMatch(/401/);
    expect(await page.$$eval('#kpis .kpi', (els) => els.length)).toBe(0);
    await page.screenshot({ path: `${SHOTS}dashboard-no-key.png` });
    await page.close();
  });

  it('loads with a key and renders every chart with data', async () => {
    const page = await openDashboard(ANALYST);
    await expect(page.textContent('#kpi-clients')).resolves.toContain('300');
    await expect(page.textContent('#kpi-backup')).resolves.toContain('no backup yet');
    const lengths = await seriesLengths(page);
    for (const id of CHART_IDS) {
      expect(lengths[id], id).toBeDefined();
      expect(Math.max(...(lengths[id] ?? [0])), `${id} has data`).toBeGreaterThan(0);
      expect(await inkRatio(page, id), `${id} is drawn`).toBeGreaterThan(0.02);
    }
    // Every chart is titled, captioned and reachable by keyboard.
    for (const id of CHART_IDS) {
      const el = page.locator(`#chart-${id}`);
      await expect(el.getAttribute('aria-labelledby')).resolves.toBe(`h-${id}`);
      await expect(el.getAttribute('tabindex')).resolves.toBe('0');
      await expect(page.textContent(`#c-${id}`)).resolves.toMatch(/\w+/);
    }
    await page.screenshot({ path: `${SHOTS}dashboard-full.png`, fullPage: true });
    await page.close();
  });

  it('changes the figures when the period changes', async () => {
    const page = await openDashboard(ANALYST);
    const before = await seriesLengths(page);
    const totalAlerts = () =>
      page.evaluate(() => {
        const chart = (
          window as unknown as {
            __fmCharts: Record<
              string,
              { getOption(): { series: Array<{ data: Array<{ value: number }> }> } }
            >;
          }
        ).__fmCharts['alerts-risk'];
        return (chart?.getOption().series ?? []).flatMap((s) => s.data).reduce((n, d) => n + d.value, 0);
      });
    const alertsBefore = await totalAlerts();
    await page.fill('#from', '2025-10-01');
    await page.fill('#to', '2025-10-31');
    await page.selectOption('#granularity', 'day');
    await page.click('#apply');
    await page.waitForFunction(() =>
      /Showing 2025-10-01/.test(document.getElementById('status')?.textContent ?? ''),
    );
    const after = await seriesLengths(page);
    expect(after.transactions?.[0]).toBe(31);
    expect(after.transactions?.[0]).not.toBe(before.transactions?.[0]);
    const alertsAfter = await totalAlerts();
    expect(alertsAfter).toBeGreaterThan(0);
    expect(alertsAfter).toBeLessThan(alertsBefore);
    await page.screenshot({ path: `${SHOTS}dashboard-october.png`, fullPage: true });
    await page.close();
  });

  it('fits a phone: no sideways scroll, and a transaction with several alerts is one row with all its reasons', async () => {
    const page = await openDashboard(ANALYST, PHONE);
    await expectNoSidewaysScroll(page);
    const listed = await page.$$eval('tr[data-transaction]', (rows) =>
      rows.map((r) => Number(r.getAttribute('data-transaction'))),
    );
    expect(listed.length).toBeGreaterThan(0);
    expect(new Set(listed).size).toBe(listed.length);
    const [several] = await query<{ transaction_id: number; alerts: number; reasons: string }>(
      `SELECT transaction_id, COUNT(*) AS alerts, GROUP_CONCAT(DISTINCT reason SEPARATOR '|') AS reasons
         FROM alerts WHERE status IN ('open', 'investigating') AND transaction_id IN (?)
        GROUP BY transaction_id HAVING COUNT(*) > 1 ORDER BY COUNT(*) DESC, transaction_id LIMIT 1`,
      [listed],
    );
    expect(several, 'a listed transaction carries several open alerts').toBeDefined();
    const row = page.locator(`tr[data-transaction="${several?.transaction_id}"]`);
    await expect(row.count()).resolves.toBe(1);
    const reasons = await row.locator('.reasons li').allTextContents();
    expect(reasons).toHaveLength(several?.reasons.split('|').length ?? 0);
    for (const reason of several?.reasons.split('|') ?? [])
      expect(reasons.some((r) => r.startsWith(reason))).toBe(true);
    await page.screenshot({ path: `${SHOTS}dashboard-phone.png`, fullPage: true });
    await (await page.$('#h-suspicious'))?.scrollIntoViewIfNeeded();
    await page.screenshot({ path: `${SHOTS}dashboard-phone-suspicious.png` });

    await row.locator('button').click();
    await page.waitForSelector('#h-drilldown');
    await expect(page.$$eval('#drilldown article[data-alert]', (els) => els.length)).resolves.toBe(
      Number(several?.alerts),
    );
    await expectNoSidewaysScroll(page);
    await (await page.$('#drilldown'))?.screenshot({ path: `${SHOTS}dashboard-phone-drilldown.png` });
    await page.close();
  });

  it('opens a transaction’s drill-down with every alert on it and resolves one from the page', async () => {
    const page = await openDashboard(ANALYST);
    const first = page.locator('button[data-open-transaction]').first();
    const transactionId = Number(await first.getAttribute('data-open-transaction'));
    await first.focus();
    await page.keyboard.press('Enter');
    await page.waitForSelector('#h-drilldown');
    await expect(page.textContent('#h-drilldown')).resolves.toContain(`Transaction #${transactionId}`);
    const alerts = await query<{ id: number; status: string }>(
      'SELECT id, status FROM alerts WHERE transaction_id = ? ORDER BY id',
      [transactionId],
    );
    const shown = await page.$$eval('#drilldown article[data-alert]', (els) =>
      els.map((e) => Number(e.getAttribute('data-alert'))),
    );
    expect([...shown].sort((a, b) => a - b)).toEqual(alerts.map((a) => Number(a.id)));
    const open = alerts.filter((a) => a.status !== 'closed').length;
    const forms = page.locator('#drilldown form[data-resolve]');
    await expect(forms.count()).resolves.toBe(open);
    // The oldest, lowest-risk alert: the transaction keeps its place in the list (ordered by its newest alert).
    const alertId = Number(await forms.last().getAttribute('data-resolve'));
    await expect(page.textContent(`#evidence-${alertId}`)).resolves.toMatch(/\{/);
    await (await page.$('#drilldown'))?.screenshot({ path: `${SHOTS}dashboard-drilldown.png` });

    await page.selectOption(`#disposition-${alertId}`, 'false_positive');
    await page.fill(`#note-${alertId}`, 'Known customer; checked with the branch');
    await page.click(`#resolve-${alertId}`);
    await page.waitForFunction(() => /resolved/.test(document.getElementById('status')?.textContent ?? ''));
    const [after] = await query<{ status: string; disposition: string }>(
      'SELECT status, disposition FROM alerts WHERE id = ?',
      [alertId],
    );
    expect(after).toEqual({ status: 'closed', disposition: 'false_positive' });
    await page.waitForFunction(
      (id) => document.getElementById(`status-${id}`)?.textContent === 'closed',
      alertId,
    );
    // The transaction's other alerts are still there to resolve.
    await expect(forms.count()).resolves.toBe(open - 1);
    // The list reloads: the transaction leaves the High list with its last open High alert, else has one fewer.
    const [left] = await query<{ high: number | null; open: number }>(
      "SELECT SUM(risk_level = 'High') AS high, COUNT(*) AS open FROM alerts WHERE transaction_id = ? AND status <> 'closed'",
      [transactionId],
    );
    await page.waitForFunction(
      ([id, high, remaining]) => {
        const button = document.querySelector(`button[data-open-transaction="${id}"]`);
        if (high === 0) return button === null;
        return (button?.getAttribute('aria-label') ?? '').includes(`: ${remaining} open alert`);
      },
      [transactionId, Number(left?.high ?? 0), Number(left?.open)] as const,
    );
    await page.screenshot({ path: `${SHOTS}dashboard-resolved.png`, fullPage: true });
    await page.close();
  });
});
