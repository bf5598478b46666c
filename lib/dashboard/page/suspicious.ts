/// <reference lib="dom" />
/**
 * The suspicious-transactions card: one row per transaction with open alerts (GET dashboard/data/suspicious), and
 * its drill-down: the transaction, account and client, then each of its alerts (GET alerts?transaction_id=…,
 * GET alerts/{id}) with the evidence and a form to resolve it (PATCH alerts/{id}: open → investigating → closed).
 */
import { escapeHtml } from '../../html/escape.js';
import { $, ApiError, api, fmt, say } from './api.js';

interface SuspiciousAlert {
  alert_id: number;
  reason: string;
  risk_level: string;
  status: string;
}
interface SuspiciousRow {
  transaction_id: number;
  transaction_date: string;
  amount: string;
  currency: string;
  client: string;
  country: string;
  risk_level: string;
  reasons: string[];
  alerts: SuspiciousAlert[];
}

interface Transaction {
  id: number;
  type: string;
  date: string;
  amount: string;
  currency: string;
  status: string;
  recipient_account: string | null;
  title: string | null;
}
interface AlertDetail {
  id: number;
  transaction_id: number;
  reason: string;
  rule_id: string | null;
  risk_level: string;
  score: number | null;
  status: string;
  disposition: string | null;
  flagged_by: string;
  alert_date: string;
  evidence: unknown;
  transaction: Transaction;
  account: { id: number; account_number: string; account_type: string; currency: string; balance: string };
  client: {
    id: number;
    first_name: string;
    last_name: string;
    identifier: string;
    country: string;
    email: string | null;
  };
  related_transactions: Transaction[];
}

const RISKS = ['High', 'Medium', 'Low'];
const byRisk = (a: { risk_level: string }, b: { risk_level: string }) =>
  RISKS.indexOf(a.risk_level) - RISKS.indexOf(b.risk_level);
const riskBadge = (risk: string) => `<span class="risk ${escapeHtml(risk)}">${escapeHtml(risk)}</span>`;

function reasonList(r: SuspiciousRow): string {
  const items = r.reasons.map((reason) => {
    const of = r.alerts.filter((a) => a.reason === reason);
    const risk = of[0]?.risk_level ?? 'Low';
    const investigating = of.some((a) => a.status === 'investigating') ? ' · investigating' : '';
    return `<li><span class="dot ${escapeHtml(risk)}" aria-hidden="true"></span>${escapeHtml(reason)}<span class="sr-only"> (${escapeHtml(risk)})</span>${investigating}</li>`;
  });
  return `<ul class="reasons">${items.join('')}</ul>`;
}

/** Loads the list for the period (`periodQuery`, a query string) and the chosen risk level. */
export async function loadSuspicious(periodQuery: string): Promise<void> {
  const risk = $<HTMLSelectElement>('risk').value;
  const data = await api<{ rows: SuspiciousRow[]; open_alerts_in_period: number }>(
    `dashboard/data/suspicious?${periodQuery}&limit=15${risk ? `&risk=${risk}` : ''}`,
  );
  $('suspicious').innerHTML =
    data.rows.length === 0
      ? '<p class="caption">No transactions with open alerts in this period.</p>'
      : `<p class="caption">${fmt.format(data.open_alerts_in_period)} open ${risk ? `${escapeHtml(risk)}-risk ` : ''}alerts in the period; the ${data.rows.length} transactions with the newest:</p>
    <div class="table-scroll" role="region" aria-label="Suspicious transactions" tabindex="0">
    <table><thead><tr><th>Transaction</th><th>Risk</th><th>Reasons</th><th>Booked</th><th class="num">Amount</th><th>Client</th></tr></thead>
    <tbody>${data.rows
      .map(
        (r) => `<tr class="tx-row" data-transaction="${r.transaction_id}">
        <td><button type="button" data-open-transaction="${r.transaction_id}" aria-label="Open transaction ${r.transaction_id}: ${r.alerts.length} open alert${r.alerts.length === 1 ? '' : 's'}, ${escapeHtml(r.risk_level)} risk">#${r.transaction_id}</button></td>
        <td>${riskBadge(r.risk_level)}</td><td>${reasonList(r)}</td>
        <td class="nowrap">${escapeHtml(r.transaction_date.slice(0, 16))}</td><td class="num nowrap">${escapeHtml(r.amount)} ${escapeHtml(r.currency)}</td>
        <td class="nowrap">${escapeHtml(r.client)} (${escapeHtml(r.country)})</td></tr>`,
      )
      .join('')}</tbody></table></div>`;
}

const dl = (pairs: Array<[string, unknown]>) =>
  `<dl>${pairs.map(([k, v]) => `<dt>${escapeHtml(k)}</dt><dd>${escapeHtml(v)}</dd>`).join('')}</dl>`;

function relatedTable(a: AlertDetail): string {
  if (a.related_transactions.length === 0) return '<p class="caption">No related transactions recorded.</p>';
  return `<details><summary>Related transactions (${a.related_transactions.length})</summary>
    <div class="table-scroll" role="region" aria-label="Transactions related to alert ${a.id}" tabindex="0">
    <table><thead><tr><th>#</th><th>Booked</th><th>Type</th><th class="num">Amount</th><th>Recipient</th></tr></thead><tbody>
    ${a.related_transactions
      .map(
        (r) =>
          `<tr${r.id === a.transaction_id ? ' aria-current="true" class="current"' : ''}><td>${r.id}</td><td class="nowrap">${escapeHtml(r.date.slice(0, 16))}</td><td>${escapeHtml(r.type)}</td><td class="num nowrap">${escapeHtml(r.amount)} ${escapeHtml(r.currency)}</td><td>${escapeHtml(r.recipient_account ?? '–')}</td></tr>`,
      )
      .join('')}</tbody></table></div></details>`;
}

function alertSection(a: AlertDetail): string {
  const resolve =
    a.status === 'closed'
      ? ''
      : `<form class="resolve" data-resolve="${a.id}" data-status="${escapeHtml(a.status)}" aria-label="Resolve alert ${a.id}">
      <label>Disposition <select id="disposition-${a.id}" name="disposition" required>
        <option value="confirmed">Confirmed (suspicious)</option><option value="false_positive">False positive</option></select></label>
      <label class="grow">Note <textarea id="note-${a.id}" name="note" required maxlength="2000" placeholder="Why"></textarea></label>
      <button type="submit" id="resolve-${a.id}">Resolve alert</button>
    </form>`;
  return `<article class="alert-card" id="alert-${a.id}" data-alert="${a.id}" aria-labelledby="h-alert-${a.id}" tabindex="-1">
    <h4 id="h-alert-${a.id}">Alert #${a.id}: ${escapeHtml(a.reason)} ${riskBadge(a.risk_level)}</h4>
    <p class="caption">Status <strong id="status-${a.id}">${escapeHtml(a.status)}</strong>${a.disposition ? ` (${escapeHtml(a.disposition)})` : ''} ·
      rule ${escapeHtml(a.rule_id ?? 'analyst')} · score ${escapeHtml(a.score ?? '–')} · raised ${escapeHtml(a.alert_date)} by ${escapeHtml(a.flagged_by)}</p>
    <pre id="evidence-${a.id}" aria-label="Evidence of alert ${a.id}">${escapeHtml(JSON.stringify(a.evidence, null, 2))}</pre>
    ${relatedTable(a)}${resolve}
  </article>`;
}

function transactionHtml(alerts: AlertDetail[]): string {
  const [first] = alerts as [AlertDetail];
  const t = first.transaction;
  const open = alerts.filter((a) => a.status !== 'closed');
  const top = [...(open.length > 0 ? open : alerts)].sort(byRisk)[0]?.risk_level ?? 'Low';
  return `
    <h2 id="h-drilldown">Transaction #${t.id} ${riskBadge(top)}
      <button type="button" class="secondary" id="drill-close" aria-label="Close the transaction details">Close</button></h2>
    <p class="caption">${open.length} of ${alerts.length} alert${alerts.length === 1 ? '' : 's'} open${open.length > 0 ? ' — resolve each below' : ''}.</p>
    <div class="detail-grid">
      <div><h3>Booking</h3>${dl([
        ['type', t.type],
        ['booked', t.date],
        ['amount', `${t.amount} ${t.currency}`],
        ['status', t.status],
        ['recipient', t.recipient_account ?? '–'],
        ['title', t.title ?? '–'],
      ])}</div>
      <div><h3>Account #${first.account.id}</h3>${dl([
        ['number', first.account.account_number],
        ['type', first.account.account_type],
        ['balance', `${first.account.balance} ${first.account.currency}`],
      ])}</div>
      <div><h3>Client #${first.client.id}</h3>${dl([
        ['name', `${first.client.first_name} ${first.client.last_name}`],
        ['identifier', first.client.identifier],
        ['country', first.client.country],
        ['e-mail', first.client.email ?? '–'],
      ])}</div>
    </div>
    <h3>Alerts on this transaction</h3>
    ${alerts.map(alertSection).join('')}`;
}

/** Shows a transaction with all of its alerts (open ones first, highest risk first) in the drill-down panel. */
export async function openTransaction(id: number, focusAlert?: number): Promise<void> {
  const panel = $<HTMLElement>('drilldown');
  panel.hidden = false;
  panel.dataset.transaction = String(id);
  panel.innerHTML = `<p>Loading transaction #${id}…</p>`;
  try {
    const list = await api<{ data: Array<{ id: number }> }>(`alerts?transaction_id=${id}&limit=100`);
    const alerts = await Promise.all(list.data.map((a) => api<AlertDetail>(`alerts/${a.id}`)));
    if (alerts.length === 0) throw new Error('it has no alerts');
    alerts.sort(
      (a, b) => Number(a.status === 'closed') - Number(b.status === 'closed') || byRisk(a, b) || b.id - a.id,
    );
    panel.innerHTML = transactionHtml(alerts);
  } catch (error) {
    panel.innerHTML = `<p class="caption">Could not load transaction #${id}: ${escapeHtml((error as Error).message)}</p>`;
    return;
  }
  (focusAlert ? $(`alert-${focusAlert}`) : panel).focus();
}

async function resolveAlert(form: HTMLFormElement, onResolved: () => Promise<void>): Promise<void> {
  const id = Number(form.dataset.resolve);
  const note = $<HTMLTextAreaElement>(`note-${id}`);
  const disposition = $<HTMLSelectElement>(`disposition-${id}`).value;
  if (!note.value.trim()) {
    say('Write a note saying why before resolving the alert.', true);
    note.focus();
    return;
  }
  const button = $<HTMLButtonElement>(`resolve-${id}`);
  button.disabled = true;
  const patch = (body: unknown) =>
    api(`alerts/${id}`, {
      method: 'PATCH',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
  try {
    // The workflow is open → investigating → closed.
    if (form.dataset.status === 'open') await patch({ status: 'investigating' });
    await patch({ status: 'closed', disposition, note: note.value.trim() });
    say(`Alert #${id} resolved as ${disposition.replace('_', ' ')}.`);
    await openTransaction(Number($('drilldown').dataset.transaction), id);
    await onResolved();
  } catch (error) {
    const e = error as ApiError;
    say(
      e instanceof ApiError && e.status === 403
        ? 'Resolving needs an analyst key; this key may only read.'
        : `Could not resolve alert #${id}: ${e.message}`,
      true,
    );
    button.disabled = false;
  }
}

/** Wires the list's rows to the drill-down and the drill-down's forms; `onResolved` reloads what changed. */
export function wireSuspicious(onResolved: () => Promise<void>): void {
  const panel = $<HTMLElement>('drilldown');
  $('suspicious').addEventListener('click', (event) => {
    const button = (event.target as HTMLElement).closest<HTMLButtonElement>('button[data-open-transaction]');
    if (button) void openTransaction(Number(button.dataset.openTransaction));
  });
  panel.addEventListener('click', (event) => {
    if ((event.target as HTMLElement).id !== 'drill-close') return;
    panel.hidden = true;
    document
      .querySelector<HTMLButtonElement>(`button[data-open-transaction="${panel.dataset.transaction}"]`)
      ?.focus();
  });
  panel.addEventListener('submit', (event) => {
    const form = (event.target as HTMLElement).closest<HTMLFormElement>('form[data-resolve]');
    if (!form) return;
    event.preventDefault();
    void resolveAlert(form, onResolved);
  });
}
