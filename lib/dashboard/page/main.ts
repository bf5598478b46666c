/// <reference lib="dom" />
/**
 * The dashboard page script (bundled by esbuild into one IIFE with ECharts and the map geometry; see
 * ../esbuild-plugin.cjs). Asks for an API key (kept in sessionStorage), loads every figure from
 * GET dashboard/data/<figure>, draws the charts, and drives the alert drill-down through the alerts API
 * (GET alerts/{id}, PATCH alerts/{id}). Every chart instance is exposed as `window.__fmCharts[id]` for the e2e tests.
 */
import { BarChart, LineChart, MapChart, ScatterChart } from 'echarts/charts';
import {
  AriaComponent,
  GridComponent,
  LegendComponent,
  MarkLineComponent,
  TooltipComponent,
  VisualMapComponent,
} from 'echarts/components';
import * as echarts from 'echarts/core';
import { CanvasRenderer } from 'echarts/renderers';
import { feature } from 'topojson-client';
import type { GeometryCollection, Topology } from 'topojson-specification';
import world from 'world-atlas/countries-50m.json' with { type: 'json' };
import {
  type AlertsData,
  alertsByReasonOptions,
  alertsByRiskOptions,
  citiesOptions,
  type DistributionData,
  distributionOptions,
  type LocationsData,
  mapOptions,
  type Options,
  type TopClientsData,
  type TransactionsData,
  topClientsOptions,
  transactionsOptions,
} from './options.js';

echarts.use([
  BarChart,
  LineChart,
  MapChart,
  ScatterChart,
  AriaComponent,
  GridComponent,
  LegendComponent,
  MarkLineComponent,
  TooltipComponent,
  VisualMapComponent,
  CanvasRenderer,
]);

const KEY = 'fm-api-key';
const MAP = 'europe';
const charts: Record<string, echarts.ECharts> = {};
(window as unknown as { __fmCharts: typeof charts }).__fmCharts = charts;

const $ = <T extends HTMLElement>(id: string) => document.getElementById(id) as T;
const status = $<HTMLParagraphElement>('status');

class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

function say(message: string, error = false): void {
  status.textContent = message;
  status.className = error ? 'error' : '';
}

async function api<T>(path: string, init: RequestInit = {}): Promise<T> {
  const key = sessionStorage.getItem(KEY) ?? '';
  const response = await fetch(path, {
    ...init,
    headers: { accept: 'application/json', 'x-api-key': key, ...(init.headers ?? {}) },
  });
  const body = (await response.json().catch(() => ({}))) as { error?: { message?: string } };
  if (!response.ok) throw new ApiError(response.status, body.error?.message ?? `HTTP ${response.status}`);
  return body as T;
}

type Ring = Array<[number, number]>;
const inEuropeBox = (ring: Ring) => {
  const lon = ring.reduce((sum, [x]) => sum + x, 0) / Math.max(1, ring.length);
  const lat = ring.reduce((sum, [, y]) => sum + y, 0) / Math.max(1, ring.length);
  return lon > -25 && lon < 40 && lat > 34 && lat < 72;
};

/**
 * Registers the map of Europe: every country polygon whose outline lies in Europe on average (overseas territories,
 * and the Asian and American parts of countries that cross the antimeridian, are dropped).
 */
function registerEurope(): void {
  const topology = world as unknown as Topology<{ countries: GeometryCollection<{ name: string }> }>;
  const features = [];
  for (const f of feature(topology, topology.objects.countries).features) {
    const g = f.geometry;
    if (g?.type === 'Polygon') {
      if (inEuropeBox(g.coordinates[0] as Ring)) features.push(f);
    } else if (g?.type === 'MultiPolygon') {
      const kept = g.coordinates.filter((polygon) => inEuropeBox(polygon[0] as Ring));
      if (kept.length > 0) features.push({ ...f, geometry: { ...g, coordinates: kept } });
    }
  }
  echarts.registerMap(MAP, { type: 'FeatureCollection', features } as never);
}

function draw(id: string, options: Options): void {
  const el = $<HTMLDivElement>(`chart-${id}`);
  const chart = charts[id] ?? echarts.init(el, undefined, { renderer: 'canvas' });
  charts[id] = chart;
  chart.setOption(options, { notMerge: true });
}

const fmt = new Intl.NumberFormat('en-GB');
const fmtMoney = (v: number, currency: string) =>
  new Intl.NumberFormat('en-GB', { style: 'currency', currency, maximumFractionDigits: 0 }).format(v);
const esc = (s: unknown) =>
  String(s ?? '').replace(
    /[&<>"']/g,
    (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] ?? c,
  );

interface Backup {
  status: string;
  started_at: string;
  finished_at: string | null;
  verified: boolean;
  verify_status: string | null;
  verified_at: string | null;
}
interface Kpis {
  clients: number;
  active_clients: number;
  accounts: number;
  active_accounts: number;
  volume_by_currency: Array<{ currency: string; transactions: number; volume: number }>;
  open_alerts_by_risk: Record<string, number>;
  last_backup: Backup | null;
  last_successful_backup: Backup | null;
  data_range: { from: string; to: string } | null;
  summaries_refreshed_at: string | null;
}

function renderKpis(k: Kpis): void {
  const backup = k.last_backup;
  const good = k.last_successful_backup;
  const backupHtml = !backup
    ? '<div class="value">no backup yet</div><div class="sub">backups run daily; none recorded</div>'
    : `<div class="value">${esc(backup.started_at.slice(0, 16))}</div>
       <div class="sub">${backup.status === 'succeeded' ? 'succeeded' : `<span class="warn">${esc(backup.status)}</span>`} ·
       ${
         backup.verified
           ? `<span class="ok">verified</span> ${esc(backup.verified_at?.slice(0, 10) ?? '')}`
           : backup.verify_status === 'failed'
             ? '<span class="warn">restore test failed</span>'
             : 'not verified yet'
       }</div>
       ${good && good !== backup && backup.status !== 'succeeded' ? `<div class="sub">last good: ${esc(good.started_at.slice(0, 16))}</div>` : ''}`;
  const risk = k.open_alerts_by_risk;
  $('kpis').innerHTML = `
    <div class="kpi" id="kpi-clients"><h2>Clients</h2><div class="value">${fmt.format(k.clients)}</div>
      <div class="sub">${fmt.format(k.active_clients)} active</div></div>
    <div class="kpi" id="kpi-accounts"><h2>Accounts</h2><div class="value">${fmt.format(k.accounts)}</div>
      <div class="sub">${fmt.format(k.active_accounts)} active</div></div>
    <div class="kpi" id="kpi-volume"><h2>Transaction volume</h2>
      ${k.volume_by_currency
        .map(
          (v) =>
            `<div class="sub"><strong>${esc(fmtMoney(v.volume, v.currency))}</strong> · ${fmt.format(v.transactions)} tx</div>`,
        )
        .join('')}</div>
    <div class="kpi" id="kpi-alerts"><h2>Open alerts</h2><div class="value">${fmt.format(
      (risk.High ?? 0) + (risk.Medium ?? 0) + (risk.Low ?? 0),
    )}</div>
      <div class="sub"><span class="risk High">High ${fmt.format(risk.High ?? 0)}</span>
      <span class="risk Medium">Medium ${fmt.format(risk.Medium ?? 0)}</span>
      <span class="risk Low">Low ${fmt.format(risk.Low ?? 0)}</span></div></div>
    <div class="kpi" id="kpi-backup"><h2>Last backup</h2>${backupHtml}</div>`;
}

function periodQuery(): string {
  const params = new URLSearchParams();
  const from = $<HTMLInputElement>('from').value;
  const to = $<HTMLInputElement>('to').value;
  if (from) params.set('from', from);
  if (to) params.set('to', to);
  params.set('granularity', $<HTMLSelectElement>('granularity').value);
  return params.toString();
}

interface SuspiciousRow {
  alert_id: number;
  transaction_id: number;
  reason: string;
  risk_level: string;
  status: string;
  transaction_date: string;
  amount: string;
  currency: string;
  client: string;
  country: string;
}

async function loadSuspicious(): Promise<void> {
  const risk = $<HTMLSelectElement>('risk').value;
  const data = await api<{ rows: SuspiciousRow[]; open_alerts_in_period: number }>(
    `dashboard/data/suspicious?${periodQuery()}&limit=15${risk ? `&risk=${risk}` : ''}`,
  );
  $('suspicious').innerHTML =
    data.rows.length === 0
      ? '<p class="caption">No open alerts in this period.</p>'
      : `<p class="caption">${fmt.format(data.open_alerts_in_period)} open alerts in the period; the newest ${data.rows.length}:</p>
    <table><thead><tr><th>Alert</th><th>Risk</th><th>Reason</th><th>Booked</th><th class="num">Amount</th><th>Client</th><th>Status</th></tr></thead>
    <tbody>${data.rows
      .map(
        (r) => `<tr class="alert-row" data-alert-id="${r.alert_id}">
        <td><button type="button" data-alert="${r.alert_id}" aria-label="Open alert ${r.alert_id}: ${esc(r.reason)}, ${esc(r.risk_level)} risk">#${r.alert_id}</button></td>
        <td><span class="risk ${esc(r.risk_level)}">${esc(r.risk_level)}</span></td><td>${esc(r.reason)}</td>
        <td>${esc(r.transaction_date.slice(0, 16))}</td><td class="num">${esc(r.amount)} ${esc(r.currency)}</td>
        <td>${esc(r.client)} (${esc(r.country)})</td><td>${esc(r.status)}</td></tr>`,
      )
      .join('')}</tbody></table>`;
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

const dl = (pairs: Array<[string, unknown]>) =>
  `<dl>${pairs.map(([k, v]) => `<dt>${esc(k)}</dt><dd>${esc(v)}</dd>`).join('')}</dl>`;

async function openAlert(id: number): Promise<void> {
  const panel = $<HTMLElement>('drilldown');
  panel.hidden = false;
  panel.innerHTML = `<p>Loading alert #${id}…</p>`;
  let a: AlertDetail;
  try {
    a = await api<AlertDetail>(`alerts/${id}`);
  } catch (error) {
    panel.innerHTML = `<p class="caption">Could not load alert #${id}: ${esc((error as Error).message)}</p>`;
    return;
  }
  const t = a.transaction;
  panel.innerHTML = `
    <h2 id="h-drilldown">Alert #${a.id}: ${esc(a.reason)} <span class="risk ${esc(a.risk_level)}">${esc(a.risk_level)}</span>
      <button type="button" class="secondary" id="drill-close" aria-label="Close the alert details">Close</button></h2>
    <p class="caption">Status <strong id="drill-status">${esc(a.status)}</strong>${a.disposition ? ` (${esc(a.disposition)})` : ''} ·
      rule ${esc(a.rule_id ?? 'analyst')} · score ${esc(a.score ?? '–')} · raised ${esc(a.alert_date)} by ${esc(a.flagged_by)}</p>
    <div class="detail-grid">
      <div><h3>Transaction #${t.id}</h3>${dl([
        ['type', t.type],
        ['booked', t.date],
        ['amount', `${t.amount} ${t.currency}`],
        ['status', t.status],
        ['recipient', t.recipient_account ?? '–'],
        ['title', t.title ?? '–'],
      ])}</div>
      <div><h3>Account #${a.account.id}</h3>${dl([
        ['number', a.account.account_number],
        ['type', a.account.account_type],
        ['balance', `${a.account.balance} ${a.account.currency}`],
      ])}</div>
      <div><h3>Client #${a.client.id}</h3>${dl([
        ['name', `${a.client.first_name} ${a.client.last_name}`],
        ['identifier', a.client.identifier],
        ['country', a.client.country],
        ['e-mail', a.client.email ?? '–'],
      ])}</div>
    </div>
    <h3>Evidence</h3><pre id="drill-evidence">${esc(JSON.stringify(a.evidence, null, 2))}</pre>
    <h3>Related transactions</h3>
    ${a.related_transactions.length === 0 ? '<p class="caption">None recorded for this alert.</p>' : ''}
    <table id="drill-related"><thead><tr><th>#</th><th>Booked</th><th>Type</th><th class="num">Amount</th><th>Recipient</th></tr></thead><tbody>
    ${a.related_transactions
      .map(
        (r) =>
          `<tr${r.id === t.id ? ' aria-current="true" style="font-weight:600"' : ''}><td>${r.id}</td><td>${esc(r.date.slice(0, 16))}</td><td>${esc(r.type)}</td><td class="num">${esc(r.amount)} ${esc(r.currency)}</td><td>${esc(r.recipient_account ?? '–')}</td></tr>`,
      )
      .join('')}</tbody></table>
    ${
      a.status === 'closed'
        ? '<p class="caption">This alert is closed.</p>'
        : `<form class="resolve" id="resolve-form" aria-label="Resolve alert ${a.id}">
      <label>Disposition <select id="disposition" required>
        <option value="confirmed">Confirmed (suspicious)</option><option value="false_positive">False positive</option></select></label>
      <label>Note <textarea id="note" required maxlength="2000" placeholder="Why"></textarea></label>
      <button type="submit" id="resolve">Resolve alert</button>
    </form>`
    }`;
  panel.focus();
  $('drill-close').addEventListener('click', () => {
    panel.hidden = true;
    document.querySelector<HTMLButtonElement>(`button[data-alert="${a.id}"]`)?.focus();
  });
  $<HTMLFormElement>('resolve-form')?.addEventListener('submit', (event) => {
    event.preventDefault();
    void resolveAlert(a);
  });
}

async function resolveAlert(a: AlertDetail): Promise<void> {
  const note = $<HTMLTextAreaElement>('note').value.trim();
  const disposition = $<HTMLSelectElement>('disposition').value;
  if (!note) {
    say('Write a note saying why before resolving the alert.', true);
    $<HTMLTextAreaElement>('note').focus();
    return;
  }
  const button = $<HTMLButtonElement>('resolve');
  button.disabled = true;
  const patch = (body: unknown) =>
    api(`alerts/${a.id}`, {
      method: 'PATCH',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
  try {
    // The workflow is open → investigating → closed.
    if (a.status === 'open') await patch({ status: 'investigating' });
    await patch({ status: 'closed', disposition, note });
    say(`Alert #${a.id} resolved as ${disposition.replace('_', ' ')}.`);
    await openAlert(a.id);
    await Promise.all([loadSuspicious(), loadPeriodFigures(), loadKpis()]);
  } catch (error) {
    const e = error as ApiError;
    say(
      e.status === 403
        ? 'Resolving needs an analyst key; this key may only read.'
        : `Could not resolve alert #${a.id}: ${e.message}`,
      true,
    );
    button.disabled = false;
  }
}

async function loadKpis(): Promise<Kpis> {
  const k = await api<Kpis>('dashboard/data/kpis');
  renderKpis(k);
  return k;
}

async function loadPeriodFigures(): Promise<void> {
  const q = periodQuery();
  const [tx, alerts, dist] = await Promise.all([
    api<TransactionsData>(`dashboard/data/transactions?${q}`),
    api<AlertsData>(`dashboard/data/alerts?${q}`),
    api<DistributionData>(`dashboard/data/distribution?${q}`),
  ]);
  draw('transactions', transactionsOptions(tx));
  draw('alerts-risk', alertsByRiskOptions(alerts));
  draw('alerts-reason', alertsByReasonOptions(alerts));
  draw('distribution', distributionOptions(dist));
}

async function loadAll(): Promise<void> {
  say('Loading…');
  try {
    const k = await loadKpis();
    if (k.data_range && !$<HTMLInputElement>('from').value) {
      $<HTMLInputElement>('from').value = k.data_range.from;
      $<HTMLInputElement>('to').value = k.data_range.to;
    }
    const [top, places] = await Promise.all([
      api<TopClientsData>('dashboard/data/top-clients?limit=10'),
      api<LocationsData>('dashboard/data/locations?limit=10'),
      loadPeriodFigures(),
      loadSuspicious(),
    ]);
    draw('top-transfers', topClientsOptions(top.by_transfer_sum, 'transfer_sum_eur'));
    draw('top-count', topClientsOptions(top.by_transactions, 'transactions'));
    draw('map', mapOptions(places, MAP));
    draw('cities', citiesOptions(places));
    say(
      `Data as of ${k.summaries_refreshed_at?.slice(0, 19) ?? 'now'}${k.data_range ? ` · bookings ${k.data_range.from} to ${k.data_range.to}` : ''}.`,
    );
    document.body.dataset.loaded = 'true';
  } catch (error) {
    const e = error as ApiError;
    if (e.status === 401) {
      sessionStorage.removeItem(KEY);
      say('The API refused the key (401 Unauthorized): no data is shown. Enter a valid API key.', true);
      $<HTMLInputElement>('api-key').focus();
    } else {
      say(`Could not load the dashboard: ${e.message}`, true);
    }
    document.body.dataset.loaded = 'error';
  }
}

function start(): void {
  registerEurope();
  $<HTMLFormElement>('key-form').addEventListener('submit', (event) => {
    event.preventDefault();
    const input = $<HTMLInputElement>('api-key');
    sessionStorage.setItem(KEY, input.value.trim());
    input.value = '';
    void loadAll();
  });
  $('key-forget').addEventListener('click', () => {
    sessionStorage.removeItem(KEY);
    say('Key forgotten. Enter an API key to load the data.');
  });
  $<HTMLFormElement>('filters').addEventListener('submit', (event) => {
    event.preventDefault();
    say('Loading the period…');
    Promise.all([loadPeriodFigures(), loadSuspicious()])
      .then(() => say(`Showing ${$<HTMLInputElement>('from').value} to ${$<HTMLInputElement>('to').value}.`))
      .catch((error: Error) => say(`Could not load the period: ${error.message}`, true));
  });
  $('risk').addEventListener('change', () => void loadSuspicious().catch((e: Error) => say(e.message, true)));
  $('suspicious').addEventListener('click', (event) => {
    const button = (event.target as HTMLElement).closest<HTMLButtonElement>('button[data-alert]');
    if (button) void openAlert(Number(button.dataset.alert));
  });
  window.addEventListener('resize', () => {
    for (const chart of Object.values(charts)) chart.resize();
  });
  if (sessionStorage.getItem(KEY)) void loadAll();
  else say('Enter an API key to load the data (it stays in this browser tab).');
}

start();
