/**
 * The dashboard's case queue and case page in a real headless Chromium through serverless offline, over a seeded and
 * scanned bank whose alerts are attached to cases by the function the scan calls (attachAlertsToCases: idempotent,
 * so this stays right once the scan attaches them itself). Each role resolves a case from the page: an analyst takes
 * and closes one with a disposition, a viewer sees no actions, a lead reopens and assigns; a stale page gets a clear
 * 412 message. At desktop and phone widths; screenshots in test-results/.
 */
import { mkdir } from 'node:fs/promises';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { maskIdentifier } from '../../lib/alerts/masking.js';
import { attachAlertsToCases } from '../../lib/cases/attach.js';
import { execute, query, withTransaction } from '../../lib/db/pool.js';
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

const SHOTS = new URL('../../test-results/', import.meta.url).pathname;
const PEOPLE = {
  viewer: { name: 'e2e-viewer', role: 'viewer', key: 'e2e-cases-viewer-51c2' },
  analyst: { name: 'e2e-analyst', role: 'analyst', key: 'e2e-cases-analyst-9a0e' },
  analyst2: { name: 'e2e-analyst-2', role: 'analyst', key: 'e2e-cases-analyst2-77f1' },
  lead: { name: 'e2e-lead', role: 'lead', key: 'e2e-cases-lead-3b84' },
} as const;

let offline: Offline;
let browser: Browser;
/** A case made overdue, with the lowest priority of the queue: it must still lead it. */
let overdueCase: number;

/** The default queue straight from the table: not closed, Medium or above, soonest due, highest priority, id. */
async function defaultQueue(): Promise<number[]> {
  const rows = await query<{ id: number }>(
    `SELECT id FROM cases WHERE status <> 'closed' AND risk_level IN ('Medium', 'High')
      ORDER BY due_at, priority DESC, id`,
  );
  return rows.map((r) => Number(r.id));
}

beforeAll(async () => {
  await mkdir(SHOTS, { recursive: true });
  await seedDashboardBank();
  const alerts = await query<{ id: number }>("SELECT id FROM alerts WHERE status <> 'closed' ORDER BY id");
  await withTransaction((conn) =>
    attachAlertsToCases(
      conn,
      alerts.map((a) => Number(a.id)),
      'scan',
    ),
  );
  // Due times run from the attaching (now); one case is made overdue to show that overdue leads the queue.
  const [lowest] = await query<{ id: number }>(
    `SELECT id FROM cases WHERE status <> 'closed' AND risk_level = 'Medium' ORDER BY priority, id LIMIT 1`,
  );
  overdueCase = Number(lowest?.id);
  await execute('UPDATE cases SET due_at = NOW() - INTERVAL 2 HOUR WHERE id = ?', [overdueCase]);
  offline = await startOffline({
    API_KEYS: JSON.stringify(
      Object.values(PEOPLE).map(({ name, role, key }) => ({ name, role, sha256: sha256Hex(key) })),
    ),
  });
  browser = await launchChromium();
});

afterAll(async () => {
  await browser?.close();
  await offline?.stop();
});

/** The dashboard scrolled to its queue, loaded with `key`. */
async function openQueue(key: string, viewport = DESKTOP): Promise<{ page: Page; errors: string[] }> {
  const tab = await newDashboardTab(browser, offline.url, { viewport, hash: '#cases' });
  await enterKey(tab.page, key);
  await tab.page.waitForSelector('body[data-queue="loaded"]', { timeout: 60_000 });
  return tab;
}

/** The case page of `id`, opened by its address (a deep link), loaded with `key`. */
async function openCasePage(id: number, key: string, viewport = DESKTOP) {
  const tab = await newDashboardTab(browser, offline.url, { viewport, hash: `#case/${id}` });
  await enterKey(tab.page, key);
  await tab.page.waitForSelector(`body[data-case="${id}"]`, { timeout: 60_000 });
  return tab;
}

const listed = (page: Page) =>
  page.$$eval('#queue tr[data-case]', (rows) => rows.map((r) => Number(r.getAttribute('data-case'))));

/** The case's row as the database has it now. */
async function caseRow(id: number) {
  const [row] = await query<{ status: string; disposition: string | null; assignee: string | null }>(
    'SELECT status, disposition, assignee FROM cases WHERE id = ?',
    [id],
  );
  return row;
}

/** A change made by someone else, through the API (a lead's note bumps the case's version). */
async function noteByLead(id: number, note: string): Promise<void> {
  const reply = await fetch(`${offline.url}/cases/${id}/notes`, {
    method: 'POST',
    headers: { 'x-api-key': PEOPLE.lead.key, 'content-type': 'application/json' },
    body: JSON.stringify({ note }),
  });
  expect(reply.status).toBe(201);
}

describe('case queue and case page in headless Chromium', () => {
  it('lists the cases not closed, Medium or above, overdue first then by due time and priority, a page at a time', async () => {
    const expected = await defaultQueue();
    expect(expected.length, 'the fixture has more than one page of cases').toBeGreaterThan(25);
    const { page, errors } = await openQueue(PEOPLE.analyst.key);
    expect(await listed(page)).toEqual(expected.slice(0, 25));
    expect(expected[0]).toBe(overdueCase);
    await expect(page.getAttribute(`tr[data-case="${overdueCase}"]`, 'class')).resolves.toContain(
      'is-overdue',
    );
    await expect(page.textContent(`tr[data-case="${overdueCase}"]`)).resolves.toContain('overdue');
    await page.screenshot({ path: `${SHOTS}cases-queue.png` });
    await page.locator('#queue-card').screenshot({ path: `${SHOTS}cases-queue-card.png` });

    await page.click('#queue-more');
    await page.waitForFunction((n) => document.querySelectorAll('#queue tr[data-case]').length > n, 25);
    expect(await listed(page)).toEqual(expected.slice(0, 50));
    // "More" moves focus to the first case of the new page.
    await expect(page.evaluate(() => document.activeElement?.closest('tr')?.dataset.case)).resolves.toBe(
      String(expected[25]),
    );

    await page.selectOption('#q-risk', 'High');
    await page.waitForFunction(() =>
      Array.from(document.querySelectorAll('#queue tr[data-case] .risk')).every(
        (b) => b.textContent === 'High',
      ),
    );
    const high = await query<{ id: number }>(
      `SELECT id FROM cases WHERE status <> 'closed' AND risk_level = 'High' ORDER BY due_at, priority DESC, id LIMIT 25`,
    );
    expect(await listed(page)).toEqual(high.map((r) => Number(r.id)));
    await page.check('#q-overdue');
    await page.selectOption('#q-risk', '');
    await page.waitForFunction(() => document.querySelectorAll('#queue tr[data-case]').length === 1);
    expect(await listed(page)).toEqual([overdueCase]);
    expect(errors).toEqual([]);
    await page.close();
  });

  it('loads the queue only when it is scrolled to, not with the charts', async () => {
    const { page, errors } = await newDashboardTab(browser, offline.url);
    const asked: string[] = [];
    page.on('request', (r) => asked.push(new URL(r.url()).pathname));
    await enterKey(page, PEOPLE.analyst.key);
    await page.waitForSelector('body[data-loaded="true"]', { timeout: 60_000 });
    expect(asked.filter((p) => p.startsWith('/cases') || p === '/dashboard/data/me')).toEqual([]);
    await page.locator('#queue-card').scrollIntoViewIfNeeded();
    await page.waitForSelector('body[data-queue="loaded"]');
    expect(asked).toContain('/cases');
    expect(errors).toEqual([]);
    await page.close();
  });

  it('shows a viewer the case page with masked PII, the timeline, evidence in words, and no actions', async () => {
    // The case whose alerts come from the most rules: every rule's evidence is put into words.
    const [richest] = await query<{ id: number }>(
      `SELECT ca.case_id AS id FROM case_alerts ca JOIN alerts a ON a.id = ca.alert_id
        GROUP BY ca.case_id ORDER BY COUNT(DISTINCT a.rule_id) DESC, ca.case_id LIMIT 1`,
    );
    const id = Number(richest?.id);
    const { page, errors } = await openCasePage(id, PEOPLE.viewer.key);
    await expect(page.textContent('#h-case')).resolves.toContain(`Case #${id}`);
    await expect(page.textContent('#no-actions')).resolves.toMatch(/read cases only/);
    expect(await page.$$('#case-page button[data-action], #case-page form')).toHaveLength(0);
    const [client] = await query<{ identifier: string }>(
      'SELECT cl.identifier FROM cases c JOIN clients cl ON cl.id = c.client_id WHERE c.id = ?',
      [id],
    );
    const shown = await page.textContent('#case-page .detail-grid');
    expect(shown).not.toContain(client?.identifier);
    expect(shown).toContain(maskIdentifier(client?.identifier ?? ''));
    // The timeline marks the transactions that carry the case's alerts (among the client's latest 50).
    const alerted = await query<{ transaction_id: number }>(
      `SELECT DISTINCT a.transaction_id FROM case_alerts ca JOIN alerts a ON a.id = ca.alert_id
        WHERE ca.case_id = ? AND a.transaction_id IN (
          SELECT id FROM (SELECT t.id FROM transactions t JOIN accounts ac ON ac.id = t.account_id
            WHERE ac.client_id = (SELECT client_id FROM cases WHERE id = ?) ORDER BY t.date DESC, t.id DESC LIMIT 50) latest)`,
      [id, id],
    );
    const marked = await page.$$eval('#case-page tr.alerted', (rows) =>
      rows.map((r) => Number(r.getAttribute('data-transaction'))),
    );
    expect(marked.sort((a, b) => a - b)).toEqual(
      alerted.map((r) => Number(r.transaction_id)).sort((a, b) => a - b),
    );
    // Every alert's evidence reads as sentences, not JSON.
    const alertCount = await query<{ n: number }>('SELECT COUNT(*) AS n FROM case_alerts WHERE case_id = ?', [
      id,
    ]);
    const evidence = await page.$$eval('#case-page ul.evidence', (lists) =>
      lists.map((l) => Array.from(l.querySelectorAll('li')).map((li) => li.textContent ?? '')),
    );
    expect(evidence).toHaveLength(Number(alertCount[0]?.n));
    for (const sentences of evidence) {
      expect(sentences.length).toBeGreaterThan(0);
      // A lone "?" is a fact the sentence expected and the evidence lacked.
      for (const s of sentences) expect(s).not.toMatch(/[{}]|undefined|NaN|\[object|(^|[\s(])\?([\s,.)]|$)/);
    }
    await page.screenshot({ path: `${SHOTS}cases-page-viewer.png`, fullPage: true });
    expect(errors).toEqual([]);
    await page.close();
  });

  it('lets an analyst open a case from the queue by keyboard, take it and close it with a disposition', async () => {
    const { page, errors } = await openQueue(PEOPLE.analyst.key);
    const [first] = await listed(page);
    const id = Number(first);
    await page.focus(`tr[data-case="${id}"] a`);
    await page.keyboard.press('Enter');
    await page.waitForSelector(`body[data-case="${id}"]`);
    expect(page.url()).toMatch(new RegExp(`#case/${id}$`));
    await expect(page.evaluate(() => document.activeElement?.id)).resolves.toBe('h-case');

    await page.click('button[data-action="take"]');
    await page.waitForFunction(() =>
      /You took case/.test(document.getElementById('case-message')?.textContent ?? ''),
    );
    expect((await caseRow(id))?.assignee).toBe(PEOPLE.analyst.name);
    // Closing needs a disposition and a note; the page says so instead of sending a request.
    await page.click('#close-submit');
    await expect(page.textContent('#case-message')).resolves.toMatch(/Choose a disposition/);
    await page.selectOption('#close-disposition', 'false_positive');
    await page.fill('#close-note', 'Known employer paying bonuses; confirmed with the branch');
    await page.screenshot({ path: `${SHOTS}cases-page-analyst.png`, fullPage: true });
    await page.click('#close-submit');
    await page.waitForFunction(() =>
      /closed as false positive/.test(document.getElementById('case-message')?.textContent ?? ''),
    );
    expect(await caseRow(id)).toEqual({
      status: 'closed',
      disposition: 'false_positive',
      assignee: PEOPLE.analyst.name,
    });
    const alerts = await query<{ status: string }>(
      'SELECT DISTINCT a.status FROM case_alerts ca JOIN alerts a ON a.id = ca.alert_id WHERE ca.case_id = ?',
      [id],
    );
    expect(alerts).toEqual([{ status: 'closed' }]);
    await expect(page.textContent('#case-page')).resolves.toContain('Known employer paying bonuses');
    // A closed case is decided: an analyst cannot reopen it, and the page offers no move or assignment.
    expect(await page.$$('#case-page button[data-action]')).toHaveLength(0);

    // Back to the queue: the closed case has left the default queue.
    await page.click('#case-back');
    await page.waitForFunction(
      (closed) =>
        !document.querySelector(`#queue tr[data-case="${closed}"]`) &&
        document.body.dataset.queue === 'loaded',
      id,
    );
    expect(await listed(page)).toEqual((await defaultQueue()).slice(0, 25));
    expect(errors).toEqual([]);
    await page.close();
  });

  it('tells an analyst whose page is stale that someone changed the case (412), and reloads it', async () => {
    const queue = await defaultQueue();
    const id = Number(queue[1]);
    const { page, errors } = await openCasePage(id, PEOPLE.analyst.key);
    await noteByLead(id, 'Lead: look at the counterparties first');
    await page.click('button[data-action="move"][data-to="investigating"]');
    await page.waitForSelector('#case-message.error');
    await expect(page.textContent('#case-message')).resolves.toMatch(
      /Someone changed case #\d+ since you opened it/,
    );
    expect((await caseRow(id))?.status).toBe('open');
    await page.screenshot({ path: `${SHOTS}cases-page-412.png` });
    await page.click('#case-message button[data-action="reload"]');
    await page.waitForFunction(() =>
      /look at the counterparties/.test(document.getElementById('case-page')?.textContent ?? ''),
    );
    await page.click('button[data-action="move"][data-to="investigating"]');
    await page.waitForFunction(() =>
      /now investigating/.test(document.getElementById('case-message')?.textContent ?? ''),
    );
    // Moving an unassigned case on claims it.
    expect(await caseRow(id)).toMatchObject({ status: 'investigating', assignee: PEOPLE.analyst.name });

    // Another analyst sees why they cannot work it.
    const other = await openCasePage(id, PEOPLE.analyst2.key);
    await expect(other.page.textContent('#no-actions')).resolves.toMatch(/assigned to e2e-analyst/);
    expect(await other.page.$$('#case-page button[data-action]')).toHaveLength(0);
    expect([...errors, ...other.errors]).toEqual([]);
    await other.page.close();
    await page.close();
  });

  it('tells an analyst why a case assigned meanwhile to someone else cannot be taken (403)', async () => {
    const [free] = await query<{ id: number }>(
      "SELECT id FROM cases WHERE status = 'open' AND assignee IS NULL AND risk_level IN ('Medium', 'High') ORDER BY id LIMIT 1",
    );
    const id = Number(free?.id);
    const { page, errors } = await openCasePage(id, PEOPLE.analyst.key);
    // Meanwhile a lead gives it to another analyst.
    const read = await fetch(`${offline.url}/cases/${id}`, { headers: { 'x-api-key': PEOPLE.lead.key } });
    const assign = await fetch(`${offline.url}/cases/${id}`, {
      method: 'PATCH',
      headers: {
        'x-api-key': PEOPLE.lead.key,
        'content-type': 'application/json',
        'if-match': read.headers.get('etag') ?? '',
      },
      body: JSON.stringify({ assignee: PEOPLE.analyst2.name }),
    });
    expect(assign.status).toBe(200);
    await page.click('button[data-action="take"]');
    await page.waitForSelector('#case-message.error');
    await expect(page.textContent('#case-message')).resolves.toMatch(
      new RegExp(`Not allowed: case ${id} is assigned to e2e-analyst-2`),
    );
    expect((await caseRow(id))?.assignee).toBe(PEOPLE.analyst2.name);
    expect(errors).toEqual([]);
    await page.close();
  });

  it('lets a lead reopen a closed case and assign it to a person', async () => {
    const [closed] = await query<{ id: number }>(
      "SELECT id FROM cases WHERE status = 'closed' ORDER BY closed_at DESC, id DESC LIMIT 1",
    );
    const id = Number(closed?.id);
    expect(id, 'the analyst closed a case').toBeGreaterThan(0);
    const { page, errors } = await openCasePage(id, PEOPLE.lead.key);
    await page.click('button[data-action="move"][data-to="open"]');
    await page.waitForFunction(() =>
      /reopened/.test(document.getElementById('case-message')?.textContent ?? ''),
    );
    expect((await caseRow(id))?.status).toBe('open');
    const alerts = await query<{ status: string }>(
      'SELECT DISTINCT a.status FROM case_alerts ca JOIN alerts a ON a.id = ca.alert_id WHERE ca.case_id = ?',
      [id],
    );
    expect(alerts).toEqual([{ status: 'open' }]);
    await page.selectOption('#assign-to', PEOPLE.analyst2.name);
    await page.click('button[data-action="assign"]');
    await page.waitForFunction(() =>
      /assigned to e2e-analyst-2/.test(document.getElementById('case-message')?.textContent ?? ''),
    );
    expect((await caseRow(id))?.assignee).toBe(PEOPLE.analyst2.name);
    await expect(page.textContent('#case-page table')).resolves.toBeDefined();
    const history = await page.$$eval('#h-history ~ .table-scroll tbody tr', (rows) =>
      rows.map((r) => r.textContent ?? ''),
    );
    expect(history.some((h) => h.includes('e2e-lead') && h.includes('assignee'))).toBe(true);
    await page.screenshot({ path: `${SHOTS}cases-page-lead.png`, fullPage: true });
    expect(errors).toEqual([]);
    await page.close();
  });

  it('fits a phone: the queue and a case page never scroll sideways', async () => {
    const { page, errors } = await openQueue(PEOPLE.analyst.key, PHONE);
    await expectNoSidewaysScroll(page);
    await page.locator('#queue-card').screenshot({ path: `${SHOTS}cases-phone-queue.png` });
    const [first] = await listed(page);
    await page.click(`tr[data-case="${first}"] a`);
    await page.waitForSelector(`body[data-case="${first}"]`);
    await expectNoSidewaysScroll(page);
    await page.screenshot({ path: `${SHOTS}cases-phone-case.png`, fullPage: true });
    // Back to the queue by the browser's back button: focus returns to the case's row.
    await page.goBack();
    await page.waitForFunction(
      (id) => document.activeElement?.closest('tr')?.dataset.case === String(id),
      first,
    );
    expect(errors).toEqual([]);
    await page.close();
  });
});
