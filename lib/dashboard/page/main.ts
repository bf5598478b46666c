/// <reference lib="dom" />
/**
 * The dashboard page script (bundled by esbuild into one IIFE with ECharts and the map geometry; see
 * ../esbuild-plugin.cjs). Asks for an API key (kept in sessionStorage), loads every figure from
 * GET dashboard/data/<figure> and draws the charts; below them the case queue (./queue.ts, loaded when it comes into
 * view). A case opens as its own page at #case/<id> (./case-page.ts: deep-linkable; the charts are not loaded for
 * it), and #cases goes back to the queue. Every chart instance is exposed as `window.__fmCharts[id]` for the e2e
 * tests.
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
import { escapeHtml } from '../../html/escape.js';
import { $, type ApiError, api, fmt, KEY, say } from './api.js';
import { openCase, wireCasePage } from './case-page.js';
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
import { refreshQueue, wireQueue } from './queue.js';

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

const MAP = 'europe';
const charts: Record<string, echarts.ECharts> = {};
(window as unknown as { __fmCharts: typeof charts }).__fmCharts = charts;

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

const fmtMoney = (v: number, currency: string) =>
  new Intl.NumberFormat('en-GB', { style: 'currency', currency, maximumFractionDigits: 0 }).format(v);
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
    : `<div class="value">${escapeHtml(backup.started_at.slice(0, 16))}</div>
       <div class="sub">${backup.status === 'succeeded' ? 'succeeded' : `<span class="warn">${escapeHtml(backup.status)}</span>`} ·
       ${
         backup.verified
           ? `<span class="ok">verified</span> ${escapeHtml(backup.verified_at?.slice(0, 10) ?? '')}`
           : backup.verify_status === 'failed'
             ? '<span class="warn">restore test failed</span>'
             : 'not verified yet'
       }</div>
       ${good && good !== backup && backup.status !== 'succeeded' ? `<div class="sub">last good: ${escapeHtml(good.started_at.slice(0, 16))}</div>` : ''}`;
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
            `<div class="sub"><strong>${escapeHtml(fmtMoney(v.volume, v.currency))}</strong> · ${fmt.format(v.transactions)} tx</div>`,
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

const showError = (error: Error) => say(error.message, true);

/** The figures a case change may have moved (open alerts, alerts by risk) are reloaded when the charts show again. */
let figuresStale = false;

/** Shows the view the address names: #case/<id> the case page, anything else the dashboard (#cases: at its queue). */
function route(): void {
  const match = /^#case\/(\d{1,9})$/.exec(location.hash);
  const overview = $('overview');
  const casePage = $('case-page');
  const hasKey = Boolean(sessionStorage.getItem(KEY));
  if (match) {
    overview.hidden = true;
    casePage.hidden = false;
    if (hasKey) void openCase(Number(match[1]));
    else say('Enter an API key to see the case (it stays in this browser tab).');
    return;
  }
  const from = casePage.hidden ? undefined : document.body.dataset.case;
  casePage.hidden = true;
  overview.hidden = false;
  if (hasKey && document.body.dataset.loaded !== 'true') void loadAll();
  else {
    for (const chart of Object.values(charts)) chart.resize();
    if (figuresStale && hasKey) {
      figuresStale = false;
      void Promise.all([loadKpis(), loadPeriodFigures()]).catch(showError);
    }
  }
  if (location.hash === '#cases') {
    $('queue-card').scrollIntoView({ block: 'start' });
    (document.querySelector<HTMLElement>(`tr[data-case="${from}"] a`) ?? $('h-queue')).focus();
  }
}

function start(): void {
  registerEurope();
  $<HTMLFormElement>('key-form').addEventListener('submit', (event) => {
    event.preventDefault();
    const input = $<HTMLInputElement>('api-key');
    sessionStorage.setItem(KEY, input.value.trim());
    input.value = '';
    document.body.dataset.loaded = '';
    route();
    refreshQueue(showError);
  });
  $('key-forget').addEventListener('click', () => {
    sessionStorage.removeItem(KEY);
    say('Key forgotten. Enter an API key to load the data.');
  });
  $<HTMLFormElement>('filters').addEventListener('submit', (event) => {
    event.preventDefault();
    say('Loading the period…');
    loadPeriodFigures()
      .then(() => say(`Showing ${$<HTMLInputElement>('from').value} to ${$<HTMLInputElement>('to').value}.`))
      .catch((error: Error) => say(`Could not load the period: ${error.message}`, true));
  });
  wireQueue(showError);
  wireCasePage(() => {
    figuresStale = true;
    refreshQueue(showError);
  });
  window.addEventListener('hashchange', route);
  window.addEventListener('resize', () => {
    for (const chart of Object.values(charts)) chart.resize();
  });
  if (sessionStorage.getItem(KEY)) route();
  else {
    say('Enter an API key to load the data (it stays in this browser tab).');
    if (location.hash.startsWith('#case/')) route();
  }
}

start();
