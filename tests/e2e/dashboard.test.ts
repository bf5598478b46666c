/**
 * The dashboard in a real headless Chromium (found by ../helpers/browser.ts, driven by playwright-core), served by
 * serverless offline from the same bundles Lambda runs, over a seeded and scanned bank. Screenshots go to
 * test-results/ (look at them: a chart can have data and still be unreadable).
 */
import { mkdir } from 'node:fs/promises';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sha256Hex } from '../../lib/http/auth.js';
import { launchChromium } from '../helpers/browser.js';
import {
  DESKTOP,
  enterKey,
  expectNoSidewaysScroll,
  newDashboardTab,
  PHONE,
  seedDashboardBank,
} from '../helpers/dashboard-page.js';
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

let offline: Offline;
let browser: Browser;

beforeAll(async () => {
  await mkdir(SHOTS, { recursive: true });
  await seedDashboardBank();
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
  const { page, errors } = await newDashboardTab(browser, offline.url, { viewport });
  if (key) {
    await enterKey(page, key);
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

  it('fits a phone: no sideways scroll, charts and the case queue included', async () => {
    const page = await openDashboard(ANALYST, PHONE);
    await expectNoSidewaysScroll(page);
    await page.locator('#queue-card').scrollIntoViewIfNeeded();
    await page.waitForSelector('body[data-queue="loaded"]');
    await expectNoSidewaysScroll(page);
    await page.screenshot({ path: `${SHOTS}dashboard-phone.png`, fullPage: true });
    await page.close();
  });
});
