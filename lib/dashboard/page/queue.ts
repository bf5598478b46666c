/// <reference lib="dom" />
/**
 * The case queue card: GET cases with the card's filters (by default not closed, Medium risk or above), in the API's
 * order — soonest due first, so overdue cases lead, then the highest priority — one keyset page at a time ("More
 * cases" follows next_cursor). Each row links to its case page (#case/<id>, ./case-page.ts). Loaded lazily: when
 * the card first scrolls into view, or when the page is opened at #cases.
 */
import { escapeHtml } from '../../html/escape.js';
import { $, api, fmt, KEY, whoAmI } from './api.js';

export interface CaseSummary {
  id: number;
  kind: 'client' | 'network';
  client_id: number | null;
  client_name: string | null;
  status: string;
  disposition: string | null;
  risk_level: string;
  priority: number;
  amount: string;
  rule_count: number;
  alert_count: number;
  assignee: string | null;
  due_at: string;
  overdue: boolean;
  opened_at: string;
  closed_at: string | null;
  version: number;
}

const PAGE_SIZE = 25;

const fmtAmount = new Intl.NumberFormat('en-GB', { minimumFractionDigits: 2, maximumFractionDigits: 2 });

/** A case's amount involved: the sum of |amount| of its alerted transactions, as booked (currencies not converted). */
export const caseAmount = (amount: string) => fmtAmount.format(Number(amount));

export const riskBadge = (risk: string) =>
  `<span class="risk ${escapeHtml(risk)}">${escapeHtml(risk)}</span>`;

/** `2026-12-05T10:00:00Z` → `2026-12-05 10:00` (the bank's wall clock, as booked). */
export const when = (iso: string | null) => (iso ? iso.slice(0, 16).replace('T', ' ') : '–');

export const dueCell = (c: Pick<CaseSummary, 'due_at' | 'overdue' | 'status'>) =>
  c.overdue
    ? `<span class="overdue">${escapeHtml(when(c.due_at))} <strong>overdue</strong></span>`
    : c.status === 'closed'
      ? `<span class="caption">${escapeHtml(when(c.due_at))}</span>`
      : escapeHtml(when(c.due_at));

export const clientLabel = (c: Pick<CaseSummary, 'kind' | 'client_id' | 'client_name'>) =>
  c.kind === 'network' ? 'Network case' : `${c.client_name ?? 'Client'} (#${c.client_id})`;

const state = { cursor: null as string | null, generation: 0, loaded: false, visible: false };

/** The query string of the card's filters; `mine` becomes the key's own name. */
async function filterQuery(): Promise<URLSearchParams> {
  const q = new URLSearchParams({ limit: String(PAGE_SIZE) });
  const status = $<HTMLSelectElement>('q-status').value;
  const risk = $<HTMLSelectElement>('q-risk').value;
  const assignee = $<HTMLSelectElement>('q-assignee').value;
  if (status) q.set('status', status);
  if (risk) q.set('min_risk', risk);
  if (assignee === 'mine') q.set('assignee', (await whoAmI()).name);
  else if (assignee) q.set('assignee', assignee);
  if ($<HTMLInputElement>('q-overdue').checked) q.set('overdue', 'true');
  return q;
}

function row(c: CaseSummary): string {
  const label = `Open case ${c.id}: ${clientLabel(c)}, ${c.risk_level} risk, ${c.status}${c.overdue ? ', overdue' : ''}`;
  return `<tr data-case="${c.id}"${c.overdue ? ' class="is-overdue"' : ''}>
    <td><a href="#case/${c.id}" aria-label="${escapeHtml(label)}">#${c.id}</a></td>
    <td>${riskBadge(c.risk_level)}</td>
    <td class="nowrap">${dueCell(c)}</td>
    <td class="client">${escapeHtml(clientLabel(c))}</td>
    <td class="num" data-label="priority">${fmt.format(c.priority)}</td>
    <td class="num nowrap" data-label="amount">${caseAmount(c.amount)}</td>
    <td class="nowrap">${c.rule_count} rule${c.rule_count === 1 ? '' : 's'} · ${c.alert_count} alert${c.alert_count === 1 ? '' : 's'}</td>
    <td>${escapeHtml(c.status)}${c.disposition ? ` (${escapeHtml(c.disposition.replace('_', ' '))})` : ''}</td>
    <td>${c.assignee ? escapeHtml(c.assignee) : '<span class="caption">unassigned</span>'}</td>
  </tr>`;
}

/** Due right after the risk: the queue is ordered by it. On a phone each row becomes a small card (html.ts CSS). */
const TABLE_HEAD = `<thead><tr><th scope="col">Case</th><th scope="col">Risk</th><th scope="col">Due</th>
  <th scope="col">Client</th><th scope="col" class="num">Priority</th><th scope="col" class="num">Amount</th>
  <th scope="col">Signals</th><th scope="col">Status</th><th scope="col">Assignee</th></tr></thead>`;

/**
 * Loads the queue's first page with the current filters (replacing the table), or with `more` the next page
 * (appending to it, and moving focus to its first new case). A reply to an outdated request is dropped.
 */
export async function loadQueue(more = false): Promise<void> {
  const generation = more ? state.generation : ++state.generation;
  const q = await filterQuery();
  if (more && state.cursor) q.set('cursor', state.cursor);
  const page = await api<{ data: CaseSummary[]; next_cursor: string | null }>(`cases?${q}`);
  if (generation !== state.generation) return;
  state.loaded = true;
  state.cursor = page.next_cursor;
  const box = $('queue');
  const body = box.querySelector('tbody');
  if (more && body) {
    body.insertAdjacentHTML('beforeend', page.data.map(row).join(''));
    box.querySelector<HTMLAnchorElement>(`tr[data-case="${page.data[0]?.id}"] a`)?.focus();
  } else {
    box.innerHTML =
      page.data.length === 0
        ? '<p class="caption">No cases match these filters.</p>'
        : `<div class="table-scroll" role="region" aria-labelledby="h-queue" tabindex="0">
      <table><caption class="sr-only">Cases, overdue first, then soonest due, then highest priority</caption>${TABLE_HEAD}
      <tbody>${page.data.map(row).join('')}</tbody></table></div>`;
  }
  const shown = box.querySelectorAll('tr[data-case]').length;
  $('queue-count').textContent =
    `${fmt.format(shown)} case${shown === 1 ? '' : 's'} shown${page.next_cursor ? '; more below' : ''}.`;
  $<HTMLButtonElement>('queue-more').hidden = page.next_cursor === null;
  document.body.dataset.queue = 'loaded';
}

/**
 * Forgets the loaded queue (another key, a changed case) and loads it again if the card is in view; otherwise it
 * loads when it next comes into view.
 */
export function refreshQueue(onError: (error: Error) => void): void {
  state.loaded = false;
  if (state.visible && sessionStorage.getItem(KEY)) void loadQueue().catch(onError);
}

/**
 * Wires the filters and "More cases"; `onError` shows a failure. The queue loads when the card first comes into
 * view, not with the rest of the page.
 */
export function wireQueue(onError: (error: Error) => void): void {
  $('queue-filters').addEventListener('change', () => void loadQueue().catch(onError));
  $('queue-filters').addEventListener('submit', (event) => {
    event.preventDefault();
    void loadQueue().catch(onError);
  });
  $('queue-more').addEventListener('click', () => void loadQueue(true).catch(onError));
  new IntersectionObserver((entries) => {
    state.visible = entries.some((e) => e.isIntersecting);
    if (state.visible && !state.loaded && sessionStorage.getItem(KEY)) void loadQueue().catch(onError);
  }).observe($('queue-card'));
}
