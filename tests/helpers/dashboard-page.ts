/**
 * What the dashboard's browser tests share: opening the page in a Chromium tab that may reach nothing but the
 * serverless offline under test, and checking that a page fits its viewport.
 */
import type { Browser, Page } from 'playwright-core';
import { expect } from 'vitest';
import { runScan } from '../../lib/scan/scan.js';
import { parseSeedOptions } from '../../lib/seed/options.js';
import { runSeed } from '../../lib/seed/run.js';

/** The bank the dashboard's browser tests look at (300 clients, 15 000 transactions of 2025), seeded and scanned. */
export async function seedDashboardBank(): Promise<void> {
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
}

export const DESKTOP = { width: 1400, height: 1000 };
export const PHONE = { width: 390, height: 844 };

/** A new tab on `${baseUrl}/dashboard${hash}`; page errors are collected in `errors`. */
export async function newDashboardTab(
  browser: Browser,
  baseUrl: string,
  { viewport = DESKTOP, hash = '' }: { viewport?: { width: number; height: number }; hash?: string } = {},
): Promise<{ page: Page; errors: string[] }> {
  const page = await browser.newPage({ viewport });
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(e.message));
  // Offline means offline: any request that leaves this server fails the test.
  await page.route('**/*', (route) =>
    route.request().url().startsWith(baseUrl) ? route.continue() : route.abort(),
  );
  await page.goto(`${baseUrl}/dashboard${hash}`);
  return { page, errors };
}

/** Types the API key into the header's form and submits it. */
export async function enterKey(page: Page, key: string): Promise<void> {
  await page.fill('#api-key', key);
  await page.press('#api-key', 'Enter');
}

/** The page is no wider than the viewport; on failure, names what sticks out (outside scrolling tables). */
export async function expectNoSidewaysScroll(page: Page): Promise<void> {
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
