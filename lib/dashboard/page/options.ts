/**
 * ECharts options for each dashboard chart, built from the JSON of GET /dashboard/data/<figure>. Pure (no DOM, no
 * ECharts import), so they are unit-tested in Node and bundled into the page by esbuild.
 */

export type Options = Record<string, unknown>;

const RISK_COLORS: Record<string, string> = { High: '#c0392b', Medium: '#e67e22', Low: '#7f8c8d' };
const CURRENCY_COLORS = ['#1f5fbf', '#2e9e6b', '#8e44ad', '#d4a017', '#16a085', '#c2185b'];
const RISKS = ['High', 'Medium', 'Low'] as const;

export interface TransactionsData {
  granularity: string;
  rows: Array<{ period: string; currency: string; transactions: number; volume_eur: number }>;
}
export interface ClientRow {
  client_id: number;
  name: string;
  country: string;
  transfer_sum_eur: number;
  transactions: number;
}
export interface TopClientsData {
  by_transfer_sum: ClientRow[];
  by_transactions: ClientRow[];
}
export interface AlertsData {
  by_risk: Array<{ risk_level: string; alerts: number; open: number }>;
  by_reason: Array<{ reason: string; alerts: number; High: number; Medium: number; Low: number }>;
}
export interface LocationsData {
  countries: Array<{ country: string; clients: number }>;
  top_cities: Array<{ country: string; city: string; clients: number }>;
}
export interface DistributionData {
  p95: number | null;
  p99: number | null;
  bins: Array<{ lower: number; upper: number; transactions: number; alerted: number }>;
}

/** ISO 3166-1 alpha-2 → the English name used by the map geometry (world-atlas / Natural Earth). */
export const COUNTRY_NAMES: Record<string, string> = {
  PL: 'Poland',
  GB: 'United Kingdom',
  DE: 'Germany',
  FR: 'France',
  ES: 'Spain',
  IT: 'Italy',
  NL: 'Netherlands',
  SE: 'Sweden',
  AT: 'Austria',
};

const eur = (v: number) =>
  `€${v >= 1e6 ? `${(v / 1e6).toFixed(1)}M` : v >= 1e3 ? `${(v / 1e3).toFixed(1)}k` : v.toFixed(0)}`;
/** Axis labels: 1200 → "1.2k", 2000 → "2k" (a tick must never be rounded onto its neighbour's label). */
const trimmed = (v: number) => v.toFixed(1).replace(/\.0$/, '');
export const shortNumber = (v: number) =>
  v >= 1e6 ? `${trimmed(v / 1e6)}M` : v >= 1e3 ? `${trimmed(v / 1e3)}k` : String(v);

const base = (description: string): Options => ({
  aria: { enabled: true, label: { description } },
  animation: false,
  tooltip: { trigger: 'axis', confine: true },
  grid: { left: 8, right: 16, top: 36, bottom: 8, containLabel: true },
});

export function transactionsOptions(d: TransactionsData): Options {
  const periods = [...new Set(d.rows.map((r) => r.period))].sort();
  const currencies = [...new Set(d.rows.map((r) => r.currency))].sort();
  const index = new Map(periods.map((p, i) => [p, i]));
  const counts = new Map(currencies.map((c) => [c, periods.map(() => 0)]));
  const volume = periods.map(() => 0);
  for (const r of d.rows) {
    const i = index.get(r.period) ?? 0;
    const series = counts.get(r.currency);
    if (series) series[i] = (series[i] ?? 0) + r.transactions;
    volume[i] = (volume[i] ?? 0) + r.volume_eur;
  }
  return {
    ...base(`Transactions per ${d.granularity} by currency, ${periods.length} periods`),
    color: CURRENCY_COLORS,
    // One line that pages on a narrow screen, instead of wrapping over the axis names.
    legend: { top: 0, type: 'scroll' },
    grid: { left: 8, right: 16, top: 52, bottom: 8, containLabel: true },
    xAxis: { type: 'category', data: periods },
    yAxis: [
      { type: 'value', name: 'transactions', axisLabel: { formatter: shortNumber, hideOverlap: true } },
      {
        type: 'value',
        name: 'volume EUR',
        axisLabel: { formatter: eur, hideOverlap: true },
        splitLine: { show: false },
      },
    ],
    series: [
      ...currencies.map((c) => ({ name: c, type: 'bar', stack: 'count', data: counts.get(c) ?? [] })),
      {
        name: 'volume (EUR)',
        type: 'line',
        yAxisIndex: 1,
        symbol: 'none',
        data: volume.map((v) => Math.round(v)),
        lineStyle: { width: 2, color: '#14213d' },
        itemStyle: { color: '#14213d' },
      },
    ],
  };
}

export function topClientsOptions(rows: ClientRow[], by: 'transfer_sum_eur' | 'transactions'): Options {
  const ordered = [...rows].reverse();
  return {
    ...base(
      by === 'transactions' ? 'Top clients by number of transactions' : 'Top clients by transfer sum in EUR',
    ),
    tooltip: { trigger: 'axis', axisPointer: { type: 'shadow' } },
    xAxis: {
      type: 'value',
      axisLabel: { formatter: by === 'transactions' ? shortNumber : eur, hideOverlap: true },
    },
    yAxis: {
      type: 'category',
      data: ordered.map((r) => `${r.name} (${r.country})`),
      axisLabel: { width: 150, overflow: 'truncate' },
    },
    series: [
      {
        name: by === 'transactions' ? 'transactions' : 'transfer sum (EUR)',
        type: 'bar',
        data: ordered.map((r) => r[by]),
        itemStyle: { color: by === 'transactions' ? '#2e9e6b' : '#1f5fbf' },
        label: {
          show: true,
          position: 'right',
          formatter: by === 'transactions' ? '{c}' : (p: { value: number }) => eur(p.value),
        },
      },
    ],
    grid: { left: 8, right: 60, top: 8, bottom: 8, containLabel: true },
  };
}

export function alertsByRiskOptions(d: AlertsData): Options {
  const rows = RISKS.map(
    (r) => d.by_risk.find((x) => x.risk_level === r) ?? { risk_level: r, alerts: 0, open: 0 },
  );
  return {
    ...base('Alerts by risk level: open and closed'),
    tooltip: { trigger: 'axis', axisPointer: { type: 'shadow' } },
    legend: { top: 0 },
    xAxis: { type: 'category', data: rows.map((r) => r.risk_level) },
    yAxis: { type: 'value', axisLabel: { formatter: shortNumber } },
    series: [
      {
        name: 'open',
        type: 'bar',
        stack: 'risk',
        itemStyle: { color: '#5b6474' },
        data: rows.map((r) => ({ value: r.open, itemStyle: { color: RISK_COLORS[r.risk_level] } })),
        label: { show: true, position: 'inside', color: '#fff' },
      },
      {
        name: 'closed',
        type: 'bar',
        stack: 'risk',
        itemStyle: { color: '#bfc5cf' },
        data: rows.map((r) => ({ value: r.alerts - r.open, itemStyle: { color: '#bfc5cf' } })),
      },
    ],
  };
}

export function alertsByReasonOptions(d: AlertsData): Options {
  const rows = [...d.by_reason].reverse();
  return {
    ...base('Alerts by reason, stacked by risk level'),
    tooltip: { trigger: 'axis', axisPointer: { type: 'shadow' } },
    legend: { top: 0 },
    xAxis: { type: 'value', axisLabel: { formatter: shortNumber, hideOverlap: true } },
    yAxis: {
      type: 'category',
      data: rows.map((r) => r.reason),
      axisLabel: { width: 160, overflow: 'truncate' },
    },
    series: RISKS.map((risk) => ({
      name: risk,
      type: 'bar',
      stack: 'reason',
      data: rows.map((r) => r[risk]),
      itemStyle: { color: RISK_COLORS[risk] },
    })),
  };
}

export function mapOptions(d: LocationsData, mapName: string): Options {
  const max = Math.max(1, ...d.countries.map((c) => c.clients));
  // The scale starts just under the smallest country so that differences between the brief's countries show.
  const min = Math.floor(Math.min(max, ...d.countries.map((c) => c.clients)) * 0.9);
  return {
    aria: { enabled: true, label: { description: 'Map of Europe shaded by number of clients per country' } },
    animation: false,
    tooltip: { trigger: 'item', formatter: '{b}: {c} clients' },
    visualMap: {
      min,
      max,
      left: 8,
      bottom: 8,
      text: ['more clients', 'fewer'],
      calculable: false,
      inRange: { color: ['#cfe0f7', '#1f5fbf', '#0b2a5c'] },
    },
    series: [
      {
        name: 'clients',
        type: 'map',
        map: mapName,
        roam: false,
        aspectScale: 0.65,
        left: 90,
        right: 8,
        top: 8,
        bottom: 8,
        emphasis: { label: { show: false }, itemStyle: { areaColor: '#ffbf47' } },
        itemStyle: { areaColor: '#eef0f4', borderColor: '#9aa3b2', borderWidth: 0.5 },
        data: d.countries.map((c) => ({ name: COUNTRY_NAMES[c.country] ?? c.country, value: c.clients })),
      },
    ],
  };
}

export function citiesOptions(d: LocationsData): Options {
  const rows = [...d.top_cities].reverse();
  return {
    ...base('Cities with the most clients'),
    tooltip: { trigger: 'axis', axisPointer: { type: 'shadow' } },
    xAxis: { type: 'value', axisLabel: { hideOverlap: true } },
    yAxis: { type: 'category', data: rows.map((r) => `${r.city} (${r.country})`) },
    series: [
      {
        name: 'clients',
        type: 'bar',
        data: rows.map((r) => r.clients),
        itemStyle: { color: '#16a085' },
        label: { show: true, position: 'right' },
      },
    ],
    grid: { left: 8, right: 48, top: 8, bottom: 8, containLabel: true },
  };
}

export function distributionOptions(d: DistributionData): Options {
  const mid = (b: { lower: number; upper: number }) => Math.sqrt(b.lower * b.upper);
  const bins = d.bins.filter((b) => b.transactions > 0);
  const lines = [
    ...(d.p95 === null ? [] : [{ name: 'p95', xAxis: d.p95, label: { formatter: `p95 ${eur(d.p95)}` } }]),
    ...(d.p99 === null ? [] : [{ name: 'p99', xAxis: d.p99, label: { formatter: `p99 ${eur(d.p99)}` } }]),
  ];
  return {
    ...base(
      'Distribution of transaction values in EUR on a log scale with p95 and p99 lines and alerted transactions',
    ),
    legend: { top: 0 },
    xAxis: {
      type: 'log',
      name: 'amount (EUR)',
      nameLocation: 'middle',
      nameGap: 28,
      axisLabel: { formatter: eur, hideOverlap: true },
    },
    yAxis: { type: 'log', name: 'transactions', min: 1, axisLabel: { formatter: shortNumber } },
    grid: { left: 8, right: 24, top: 52, bottom: 28, containLabel: true },
    series: [
      {
        name: 'transactions',
        type: 'line',
        step: 'middle',
        symbol: 'none',
        areaStyle: { opacity: 0.25 },
        itemStyle: { color: '#1f5fbf' },
        data: bins.map((b) => [mid(b), b.transactions]),
        markLine: {
          symbol: 'none',
          lineStyle: { type: 'dashed', color: '#14213d' },
          label: { position: 'insideEndTop' },
          data: lines,
        },
      },
      {
        name: 'alerted transactions',
        type: 'scatter',
        symbolSize: 7,
        itemStyle: { color: '#c0392b' },
        data: d.bins.filter((b) => b.alerted > 0).map((b) => [mid(b), b.alerted]),
      },
    ],
  };
}
