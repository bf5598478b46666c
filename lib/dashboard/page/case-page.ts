/// <reference lib="dom" />
/**
 * The case page (#case/<id>): GET cases/{id} shown as an analyst works it — the case's figures and client, the
 * actions the key may take, a timeline of the client's transactions with the alerted ones marked, each alert's
 * evidence in words (./evidence.ts), related clients and network cases, notes and history.
 *
 * Actions are offered by the same rules the API judges them with (lib/cases/workflow.ts), for the key's person and
 * role (GET dashboard/data/me): a viewer has none; an analyst takes, gives back, moves, closes and notes a case
 * assigned to them or to nobody; a lead also assigns to anyone and reopens. Every PATCH sends the case's ETag in
 * If-Match; a 412 (someone changed the case) asks to reload, a 403 / 409 / 422 shows the API's reason.
 */
import type { CaseDetail, CaseStatus } from '../../cases/schemas.js';
import { CASE_TRANSITIONS, type CaseRequest, judgeCaseChange } from '../../cases/workflow.js';
import { escapeHtml } from '../../html/escape.js';
import { $, ApiError, apiWithEtag, fmt, type Me, say, whoAmI } from './api.js';
import { evidenceInWords, relatedIds } from './evidence.js';
import { caseAmount, clientLabel, dueCell, riskBadge, when } from './queue.js';

type Alert = CaseDetail['alerts'][number];

let current: { detail: CaseDetail; etag: string; me: Me } | undefined;

const DISPOSITIONS: Array<[string, string]> = [
  ['confirmed', 'Confirmed (suspicious, reported)'],
  ['false_positive', 'False positive (the rule was wrong)'],
  ['not_suspicious', 'Not suspicious (a legitimate explanation)'],
];

const MOVE_LABELS: Record<CaseStatus, (from: CaseStatus) => string> = {
  open: () => 'Reopen case',
  investigating: (from) => (from === 'escalated' ? 'Send back to investigating' : 'Start investigating'),
  escalated: () => 'Escalate to a lead',
  closed: () => 'Close case',
};

const dl = (pairs: Array<[string, string]>) =>
  `<dl>${pairs.map(([k, v]) => `<dt>${escapeHtml(k)}</dt><dd>${v}</dd>`).join('')}</dl>`;
const text = (v: unknown) => escapeHtml(v ?? '–');
const plural = (count: number, one: string) => `${count} ${one}${count === 1 ? '' : 's'}`;

function summaryHtml(c: CaseDetail): string {
  const client = c.client;
  return `<div class="detail-grid">
    <div><h3>Case</h3>${dl([
      ['status', `${text(c.status)}${c.disposition ? ` (${text(c.disposition.replace('_', ' '))})` : ''}`],
      ['risk', riskBadge(c.risk_level)],
      ['priority', fmt.format(c.priority)],
      [
        'amount involved',
        `${caseAmount(c.amount)} <span class="caption">(as booked, currencies added as they are)</span>`,
      ],
      ['signals', `${plural(c.rule_count, 'independent rule')}, ${plural(c.alert_count, 'alert')}`],
      ['assignee', c.assignee ? text(c.assignee) : 'nobody'],
      ['due', dueCell(c)],
      ['opened', text(when(c.opened_at))],
      ...(c.closed_at ? ([['closed', text(when(c.closed_at))]] as Array<[string, string]>) : []),
    ])}</div>
    ${
      client
        ? `<div><h3>Client #${client.id}</h3>${dl([
            ['name', text(`${client.first_name} ${client.last_name}`)],
            ['identifier', text(client.identifier)],
            ['e-mail', text(client.email)],
            ['phone', text(client.phone)],
            ['country', text(client.country)],
          ])}</div>`
        : '<div><h3>Network case</h3><p class="caption">It names the clients listed under related clients.</p></div>'
    }
  </div>`;
}

/** What `me` may do to the case, judged as the API will judge it. */
function allowed(c: CaseDetail, me: Me, req: CaseRequest): boolean {
  return judgeCaseChange(c, req, me) === null;
}

function assignHtml(c: CaseDetail, me: Me): string {
  if (c.status === 'closed') return ''; // a closed case is decided: reopen it to work it again
  const buttons: string[] = [];
  if (c.assignee !== me.name && allowed(c, me, { assignee: me.name }))
    buttons.push('<button type="button" data-action="take">Take this case</button>');
  if (c.assignee !== null && allowed(c, me, { assignee: null }))
    buttons.push(
      `<button type="button" class="secondary" data-action="unassign">${c.assignee === me.name ? 'Give it back (unassign)' : 'Unassign'}</button>`,
    );
  const lead =
    me.role === 'lead' && me.people.length > 0
      ? `<label>Assign to <select id="assign-to">${me.people
          .map((p) => `<option${p === c.assignee ? ' selected' : ''}>${escapeHtml(p)}</option>`)
          .join(
            '',
          )}</select></label><button type="button" class="secondary" data-action="assign">Assign</button>`
      : '';
  return `${buttons.join('')}${lead}`;
}

function moveHtml(c: CaseDetail, me: Me): string {
  const moves = CASE_TRANSITIONS[c.status].filter((s) => s !== 'closed' && allowed(c, me, { status: s }));
  return moves
    .map(
      (s) =>
        `<button type="button"${s === 'open' ? '' : ' class="secondary"'} data-action="move" data-to="${s}">${MOVE_LABELS[s](c.status)}</button>`,
    )
    .join('');
}

/** Taking, giving back, assigning and moving the case, in one row (empty when none is allowed). */
function actionsRow(c: CaseDetail, me: Me): string {
  const buttons = `${assignHtml(c, me)}${moveHtml(c, me)}`;
  return buttons ? `<div class="actions-row">${buttons}</div>` : '';
}

function closeHtml(c: CaseDetail, me: Me): string {
  if (c.status === 'closed' || !allowed(c, me, { status: 'closed' })) return '';
  return `<form class="resolve" id="close-form" aria-labelledby="h-close" novalidate>
    <h4 id="h-close" class="sr-only">Close the case</h4>
    <label>Disposition <select id="close-disposition" name="disposition" required>
      <option value="">Choose…</option>${DISPOSITIONS.map(([v, l]) => `<option value="${v}">${l}</option>`).join('')}
    </select></label>
    <label class="grow">Why (kept as the case's note) <textarea id="close-note" name="note" required maxlength="2000"></textarea></label>
    <button type="submit" id="close-submit">Close case</button>
  </form>`;
}

/** The actions panel: what the key may do, or why it may do nothing. */
function actionsHtml(c: CaseDetail, me: Me): string {
  let body: string;
  if (me.role === 'viewer') {
    body = `<p class="caption" id="no-actions">Your key (${escapeHtml(me.name)}) may read cases only: a viewer takes no actions.</p>`;
  } else {
    const refusal = judgeCaseChange(c, {}, me);
    body = refusal
      ? `<p class="caption" id="no-actions">You (${escapeHtml(me.name)}) cannot work this case: ${escapeHtml(refusal.message)}.</p>`
      : `${actionsRow(c, me)}${closeHtml(c, me)}` ||
        '<p class="caption" id="no-actions">Nothing to do here for your role.</p>';
  }
  return `<section class="card" aria-labelledby="h-case-actions">
    <h3 id="h-case-actions" tabindex="-1">Actions</h3>
    <div id="case-message" role="alert"></div>
    ${body}
  </section>`;
}

function timelineHtml(c: CaseDetail): string {
  const byId = new Map(c.alerts.map((a) => [a.id, a]));
  const rows = c.transactions.map((t) => {
    const alerts = t.alert_ids.map((id) => byId.get(id)).filter((a): a is Alert => a !== undefined);
    const top =
      alerts.find((a) => a.risk_level === 'High') ??
      alerts.find((a) => a.risk_level === 'Medium') ??
      alerts[0];
    return `<tr data-transaction="${t.id}"${top ? ` class="alerted ${escapeHtml(top.risk_level)}"` : ''}>
      <td class="nowrap">${top ? `<span class="flag" aria-hidden="true">⚑</span><span class="sr-only">alerted: </span>` : ''}${text(when(t.date))}</td>
      <td class="num">${t.id}</td><td>${text(t.type)}</td>
      <td class="num nowrap">${text(t.amount)} ${text(t.currency)}</td>
      <td>${text(t.recipient_account)}</td><td>${text(t.title)}</td>
      <td>${alerts
        .map(
          (a) =>
            `<button type="button" class="link" data-show-alert="${a.id}">#${a.id} ${escapeHtml(a.reason)}</button> ${riskBadge(a.risk_level)}`,
        )
        .join('<br>')}</td></tr>`;
  });
  const alerted = c.transactions.filter((t) => t.alert_ids.length > 0).length;
  return `<section class="card" aria-labelledby="h-timeline">
    <h3 id="h-timeline">Timeline</h3>
    <p class="caption">The client's latest ${c.transactions.length} transactions, newest first; the ${alerted} marked ⚑ carry this case's alerts (choose one to see its evidence).</p>
    ${
      c.transactions.length === 0
        ? '<p class="caption">No transactions to show (a network case has no single client).</p>'
        : `<div class="table-scroll" role="region" aria-label="Timeline of the client's transactions" tabindex="0">
      <table><thead><tr><th scope="col">Booked</th><th scope="col" class="num">#</th><th scope="col">Type</th><th scope="col" class="num">Amount</th>
      <th scope="col">Recipient</th><th scope="col">Title</th><th scope="col">Alerts</th></tr></thead><tbody>${rows.join('')}</tbody></table></div>`
    }
  </section>`;
}

function alertHtml(a: Alert): string {
  const related = relatedIds(a.evidence).filter((id) => id !== a.transaction_id);
  return `<article class="alert-card" id="alert-${a.id}" data-alert="${a.id}" aria-labelledby="h-alert-${a.id}" tabindex="-1">
    <h4 id="h-alert-${a.id}">Alert #${a.id}: ${escapeHtml(a.reason)} ${riskBadge(a.risk_level)}</h4>
    <p class="caption">Status <strong>${text(a.status)}</strong>${a.disposition ? ` (${text(a.disposition.replace('_', ' '))})` : ''} ·
      rule ${text(a.rule_id ?? 'analyst flag')} · score ${text(a.score)} · transaction #${a.transaction_id} booked ${text(when(a.transaction_date))},
      ${text(a.amount)} ${text(a.currency)} · raised ${text(when(a.alert_date))} by ${text(a.flagged_by)}</p>
    <ul class="evidence" id="evidence-${a.id}" aria-label="Evidence of alert ${a.id}">${evidenceInWords(
      a.rule_id,
      a.evidence,
    )
      .map((s) => `<li>${escapeHtml(s)}</li>`)
      .join('')}</ul>
    ${related.length > 0 ? `<p class="caption">Related transactions: ${related.map((id) => `#${id}`).join(', ')}</p>` : ''}
    <details><summary>Evidence as recorded (JSON)</summary><pre>${escapeHtml(JSON.stringify(a.evidence, null, 2))}</pre></details>
    ${
      a.history.length > 0
        ? `<details><summary>Alert history (${a.history.length})</summary><ul>${a.history
            .map(
              (h) =>
                `<li>${text(when(h.changed_at))} ${text(h.changed_by)}: ${text(h.from_status ?? 'new')} → ${text(h.to_status)}${h.disposition ? ` (${text(h.disposition)})` : ''}${h.note ? ` — ${text(h.note)}` : ''}</li>`,
            )
            .join('')}</ul></details>`
        : ''
    }
  </article>`;
}

function relatedHtml(c: CaseDetail): string {
  if (c.related_clients.length === 0 && c.network_cases.length === 0) return '';
  return `<section class="card" aria-labelledby="h-related">
    <h3 id="h-related">Related clients</h3>
    ${
      c.network_cases.length > 0
        ? `<p>Network cases naming this client: ${c.network_cases
            .map(
              (n) => `<a href="#case/${n.id}">case #${n.id}</a> ${riskBadge(n.risk_level)} ${text(n.status)}`,
            )
            .join(', ')}</p>`
        : ''
    }
    <ul class="related">${c.related_clients
      .map(
        (r) =>
          `<li>${text(`${r.first_name} ${r.last_name}`)} (#${r.id}, ${text(r.country)}) — via ${text(r.via.join('; '))}</li>`,
      )
      .join('')}</ul>
  </section>`;
}

function notesHtml(c: CaseDetail, me: Me): string {
  const canNote = me.role !== 'viewer' && judgeCaseChange(c, {}, me) === null;
  return `<section class="card" aria-labelledby="h-notes">
    <h3 id="h-notes">Notes (${c.notes.length})</h3>
    ${
      c.notes.length === 0
        ? '<p class="caption">No notes yet.</p>'
        : `<ol class="notes">${c.notes
            .map(
              (n) =>
                `<li><p class="caption">${text(when(n.created_at))} · ${text(n.author)}</p><p class="note">${text(n.note)}</p></li>`,
            )
            .join('')}</ol>`
    }
    ${
      canNote
        ? `<form class="resolve" id="note-form" aria-label="Add a note" novalidate>
      <label class="grow">New note <textarea id="note-text" name="note" required maxlength="2000"></textarea></label>
      <button type="submit" id="note-submit">Add note</button></form>`
        : ''
    }
  </section>`;
}

function historyHtml(c: CaseDetail): string {
  return `<section class="card" aria-labelledby="h-history">
    <h3 id="h-history">History</h3>
    <div class="table-scroll" role="region" aria-label="Case history" tabindex="0">
    <table><thead><tr><th scope="col">When</th><th scope="col">Who</th><th scope="col">What</th><th scope="col">From</th><th scope="col">To</th></tr></thead>
    <tbody>${c.history
      .map(
        (h) =>
          `<tr><td class="nowrap">${text(when(h.changed_at))}</td><td>${text(h.changed_by)}</td><td>${text(h.field)}</td><td>${text(h.old_value)}</td><td>${text(h.new_value)}</td></tr>`,
      )
      .join('')}</tbody></table></div>
  </section>`;
}

function render(detail: CaseDetail, etag: string, me: Me): void {
  current = { detail, etag, me };
  const c = detail;
  $('case-page').innerHTML = `
    <p><a href="#cases" id="case-back">← Back to the case queue</a></p>
    <h2 id="h-case" tabindex="-1">Case #${c.id}: ${escapeHtml(clientLabel(c))} ${riskBadge(c.risk_level)}</h2>
    <p class="caption">${text(c.status)} · priority ${fmt.format(c.priority)} · due ${dueCell(c)} ·
      ${c.assignee ? `assigned to ${text(c.assignee)}` : 'unassigned'}</p>
    <section class="card">${summaryHtml(c)}</section>
    ${actionsHtml(c, me)}
    ${timelineHtml(c)}
    <section class="card" aria-labelledby="h-alerts">
      <h3 id="h-alerts">Alerts (${c.alerts.length})</h3>
      <p class="caption">Each rule's finding, oldest transaction first, with its evidence in words.</p>
      ${c.alerts.map(alertHtml).join('')}
    </section>
    ${relatedHtml(c)}
    ${notesHtml(c, me)}
    ${historyHtml(c)}`;
  document.body.dataset.case = String(c.id);
}

/** Loads and shows case `id`, then moves focus to its heading. */
export async function openCase(id: number): Promise<void> {
  const page = $('case-page');
  document.body.dataset.case = 'loading';
  page.innerHTML = `<p><a href="#cases">← Back to the case queue</a></p><p>Loading case #${id}…</p>`;
  try {
    const [{ body, etag }, me] = await Promise.all([apiWithEtag<CaseDetail>(`cases/${id}`), whoAmI()]);
    render(body, etag ?? `"${body.version}"`, me);
    say('');
  } catch (error) {
    const e = error as ApiError;
    page.innerHTML = `<p><a href="#cases" id="case-back">← Back to the case queue</a></p>
      <h2 id="h-case" tabindex="-1">Case #${id}</h2><p class="caption" role="alert">Could not load case #${id}: ${escapeHtml(e.message)}</p>`;
    document.body.dataset.case = 'error';
  }
  $('h-case').focus();
}

/** The message a refused change shows, by status. */
function refusalMessage(e: ApiError, id: number): string {
  if (e.status === 412)
    return `Someone changed case #${id} since you opened it, so nothing was saved. Reload it to see what changed, then decide again.`;
  if (e.status === 403) return `Not allowed: ${e.message}.`;
  if (e.status === 409) return `Not possible now: ${e.message}.`;
  return `Could not save: ${e.message}.`;
}

function showMessage(html: string, error: boolean): void {
  const box = $('case-message');
  box.className = error ? 'message error' : 'message';
  box.innerHTML = html;
}

/** Sends a change (PATCH with If-Match, or a note), shows the case as it is now, and tells `onChanged`. */
async function send(
  request: { path: string; method: 'PATCH' | 'POST'; body: unknown; done: string },
  onChanged: () => void,
): Promise<void> {
  if (!current) return;
  const { detail, etag } = current;
  const buttons = Array.from(
    $('case-page').querySelectorAll<HTMLButtonElement>('button[data-action], form button'),
  );
  for (const b of buttons) b.disabled = true;
  try {
    const { body, etag: next } = await apiWithEtag<CaseDetail>(request.path, {
      method: request.method,
      headers: {
        'content-type': 'application/json',
        ...(request.method === 'PATCH' ? { 'if-match': etag } : {}),
      },
      body: JSON.stringify(request.body),
    });
    render(body, next ?? `"${body.version}"`, await whoAmI());
    showMessage(escapeHtml(request.done), false);
    $('h-case-actions').focus();
    onChanged();
  } catch (error) {
    const e = error instanceof ApiError ? error : new ApiError(0, (error as Error).message);
    for (const b of buttons) b.disabled = false;
    showMessage(
      `${escapeHtml(refusalMessage(e, detail.id))}${e.status === 412 ? ' <button type="button" class="secondary" data-action="reload">Reload case</button>' : ''}`,
      true,
    );
    $('case-message').querySelector<HTMLButtonElement>('button')?.focus();
  }
}

/** The PATCH body and the message of a button's action (undefined: not a change). */
function actionRequest(
  button: HTMLButtonElement,
  c: CaseDetail,
  me: Me,
): { body: Record<string, unknown>; done: string } | undefined {
  switch (button.dataset.action) {
    case 'take':
      return { body: { assignee: me.name }, done: `You took case #${c.id}.` };
    case 'unassign':
      return { body: { assignee: null }, done: `Case #${c.id} is unassigned.` };
    case 'assign': {
      const to = $<HTMLSelectElement>('assign-to').value;
      return { body: { assignee: to }, done: `Case #${c.id} is assigned to ${to}.` };
    }
    case 'move': {
      const to = button.dataset.to as CaseStatus;
      return { body: { status: to }, done: `Case #${c.id} is ${to === 'open' ? 'reopened' : `now ${to}`}.` };
    }
    default:
      return undefined;
  }
}

function onAction(button: HTMLButtonElement, onChanged: () => void): void {
  if (!current) return;
  const c = current.detail;
  if (button.dataset.action === 'reload') {
    void openCase(c.id);
    return;
  }
  const request = actionRequest(button, c, current.me);
  if (request) void send({ path: `cases/${c.id}`, method: 'PATCH', ...request }, onChanged);
}

function onSubmit(form: HTMLFormElement, onChanged: () => void): void {
  if (!current) return;
  const id = current.detail.id;
  if (form.id === 'close-form') {
    const disposition = $<HTMLSelectElement>('close-disposition');
    const note = $<HTMLTextAreaElement>('close-note');
    if (!disposition.value || !note.value.trim()) {
      showMessage('Choose a disposition and write why before closing the case.', true);
      (disposition.value ? note : disposition).focus();
      return;
    }
    void send(
      {
        path: `cases/${id}`,
        method: 'PATCH',
        body: { status: 'closed', disposition: disposition.value, note: note.value.trim() },
        done: `Case #${id} closed as ${disposition.value.replace('_', ' ')}.`,
      },
      onChanged,
    );
  } else if (form.id === 'note-form') {
    const note = $<HTMLTextAreaElement>('note-text');
    if (!note.value.trim()) {
      showMessage('Write the note first.', true);
      note.focus();
      return;
    }
    void send(
      { path: `cases/${id}/notes`, method: 'POST', body: { note: note.value.trim() }, done: 'Note added.' },
      onChanged,
    );
  }
}

/** Wires the case page's buttons and forms; `onChanged` runs after a change was saved (the queue is stale). */
export function wireCasePage(onChanged: () => void): void {
  const page = $('case-page');
  page.addEventListener('click', (event) => {
    const target = event.target as HTMLElement;
    const show = target.closest<HTMLButtonElement>('button[data-show-alert]');
    if (show) {
      const card = $(`alert-${show.dataset.showAlert}`);
      card.scrollIntoView({ block: 'start' });
      card.focus();
      return;
    }
    const button = target.closest<HTMLButtonElement>('button[data-action]');
    if (button) onAction(button, onChanged);
  });
  page.addEventListener('submit', (event) => {
    event.preventDefault();
    onSubmit(event.target as HTMLFormElement, onChanged);
  });
}
