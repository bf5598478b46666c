/**
 * The dashboard page's HTML and CSS: static, no data in it (the data comes from GET /dashboard/data/… with an API
 * key), so it can be served without auth. Each chart is a <section> with a heading, a one-line caption saying what
 * it shows, and a chart element labelled for assistive technology.
 */
import { escapeHtml } from '../html/escape.js';

export interface ChartSlot {
  id: string;
  title: string;
  caption: string;
  wide?: boolean;
}

/** Every chart on the page, in reading order. The ids are what the page script and the e2e tests use. */
export const CHARTS: readonly ChartSlot[] = [
  {
    id: 'transactions',
    title: 'Transactions over time',
    caption:
      'Transactions per period by currency (bars) and their total volume in EUR (line), in the chosen period.',
    wide: true,
  },
  {
    id: 'top-transfers',
    title: 'Top clients by transfer sum',
    caption: 'The ten clients who sent the most money by transfer, all time, in EUR at indicative rates.',
  },
  {
    id: 'top-count',
    title: 'Top clients by number of transactions',
    caption: 'The ten clients with the most transactions, all time (cancelled excluded).',
  },
  {
    id: 'alerts-risk',
    title: 'Alerts by risk level',
    caption:
      'Alerts on transactions booked in the chosen period, by risk level; the darker part is still open.',
  },
  {
    id: 'alerts-reason',
    title: 'Alerts by reason',
    caption: 'Why transactions in the chosen period were flagged, split by risk level.',
  },
  {
    id: 'map',
    title: 'Where clients live',
    caption: 'Clients per country (darker = more clients); hover a country for its count.',
  },
  {
    id: 'cities',
    title: 'Largest client concentrations',
    caption: 'The ten cities with the most clients.',
  },
  {
    id: 'distribution',
    title: 'Distribution of transaction values',
    caption:
      'How many transactions fall in each amount band (EUR, log scale), with the 95th and 99th percentiles and alerted transactions in red.',
    wide: true,
  },
];

const CSS = `
:root { --fg:#1d2433; --muted:#5b6474; --bg:#f4f6fa; --card:#fff; --line:#d9dee7; --accent:#1f5fbf; --high:#c0392b;
  --medium:#e67e22; --low:#7f8c8d; --focus:#ffbf47; font-family: system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; }
* { box-sizing: border-box; }
body { margin:0; background:var(--bg); color:var(--fg); font-size:15px; line-height:1.4; }
header { background:#14213d; color:#fff; padding:12px 24px; display:flex; flex-wrap:wrap; gap:12px 24px; align-items:center; }
header h1 { font-size:20px; margin:0; flex:1 1 auto; }
header form { display:flex; flex-wrap:wrap; gap:8px; align-items:center; min-width:0; }
header form input { flex:1 1 10em; min-width:0; }
header label { font-size:13px; }
input, select, button, textarea { font:inherit; border:1px solid var(--line); border-radius:6px; padding:6px 10px; }
button { background:var(--accent); color:#fff; border-color:var(--accent); cursor:pointer; }
button.secondary { background:#fff; color:var(--accent); }
button:disabled { opacity:.6; cursor:default; }
:focus-visible { outline:3px solid var(--focus); outline-offset:2px; }
main { padding:16px 24px 40px; max-width:1500px; margin:0 auto; }
#status { margin:0 0 12px; padding:10px 14px; border-radius:6px; background:#e8eefb; }
#status.error { background:#fbe9e7; color:#8a1c10; }
#status:empty { display:none; }
.filters { display:flex; flex-wrap:wrap; gap:12px; align-items:flex-end; margin-bottom:16px; background:var(--card);
  padding:12px 16px; border-radius:8px; border:1px solid var(--line); }
.filters label { display:flex; flex-direction:column; font-size:13px; color:var(--muted); gap:4px; }
.kpis { display:grid; grid-template-columns:repeat(auto-fit, minmax(min(190px, 100%), 1fr)); gap:12px; margin-bottom:16px; }
.kpi { background:var(--card); border:1px solid var(--line); border-radius:8px; padding:12px 14px; }
.kpi h2 { font-size:13px; font-weight:600; color:var(--muted); margin:0 0 4px; }
.kpi .value { font-size:24px; font-weight:700; }
.kpi .sub { font-size:13px; color:var(--muted); }
.kpi .ok { color:#1e7b34; font-weight:600; } .kpi .warn { color:var(--high); font-weight:600; }
.grid { display:grid; grid-template-columns:repeat(2, minmax(0, 1fr)); gap:16px; }
.card { background:var(--card); border:1px solid var(--line); border-radius:8px; padding:12px 16px; min-width:0; }
.card.wide { grid-column:1 / -1; }
.card h2 { font-size:16px; margin:0; }
.caption { margin:2px 0 8px; color:var(--muted); font-size:13px; }
.chart { height:320px; width:100%; }
.card.wide .chart { height:360px; }
/* A wide table scrolls inside its card, never the page (positioned: its visually hidden labels stay inside too). */
.table-scroll { overflow-x:auto; max-width:100%; position:relative; }
table { border-collapse:collapse; width:100%; font-size:13px; }
th, td { text-align:left; padding:6px 8px; border-bottom:1px solid var(--line); vertical-align:top; }
th { color:var(--muted); font-weight:600; }
td.num, th.num { text-align:right; font-variant-numeric:tabular-nums; }
.nowrap { white-space:nowrap; }
.risk { display:inline-block; padding:1px 8px; border-radius:10px; color:#fff; font-size:12px; }
.risk.High { background:var(--high); } .risk.Medium { background:var(--medium); } .risk.Low { background:var(--low); }
a { color:var(--accent); }
button.link { background:none; color:var(--accent); border:none; padding:0; text-decoration:underline; text-align:left; }
.filters.inline { border:none; padding:0; margin:8px 0; }
.filters .check { flex-direction:row; align-items:center; gap:6px; align-self:center; }
#queue-more { margin-top:8px; }
tr.is-overdue td { background:#fdf0ee; }
.overdue strong { color:var(--high); }
tr.alerted td:first-child { border-left:4px solid var(--low); }
tr.alerted.High td:first-child { border-left-color:var(--high); } tr.alerted.Medium td:first-child { border-left-color:var(--medium); }
tr.alerted td { background:#fff8f0; }
.flag { color:var(--high); margin-right:4px; }
[hidden] { display:none !important; }
#case-page > .card { margin-bottom:16px; }
#case-page h2 { font-size:20px; margin:4px 0; overflow-wrap:anywhere; }
#case-page h3 { font-size:16px; margin:0 0 6px; }
.actions-row { display:flex; flex-wrap:wrap; gap:8px; align-items:flex-end; margin:8px 0; }
.actions-row label { display:flex; flex-direction:column; font-size:13px; color:var(--muted); gap:4px; }
.message { margin:8px 0; padding:8px 12px; border-radius:6px; background:#e7f5ea; }
.message.error { background:#fbe9e7; color:#8a1c10; }
.message:empty { display:none; }
.evidence { margin:6px 0; padding-left:20px; }
.evidence li { margin:2px 0; overflow-wrap:anywhere; }
.related li, .notes li { overflow-wrap:anywhere; margin:4px 0; }
.notes .note { white-space:pre-wrap; margin:0 0 8px; }
.detail-grid { display:grid; grid-template-columns:repeat(auto-fit, minmax(min(240px, 100%), 1fr)); gap:12px; }
.detail-grid dl { margin:0; display:grid; grid-template-columns:auto 1fr; gap:2px 10px; font-size:13px; }
.detail-grid dt { color:var(--muted); }
.detail-grid dd { margin:0; overflow-wrap:anywhere; }
pre { background:#f7f8fb; border:1px solid var(--line); border-radius:6px; padding:8px; font-size:12px; max-height:240px; overflow:auto; }
.resolve { display:flex; flex-wrap:wrap; gap:8px; align-items:flex-end; margin-top:8px; }
.resolve label { display:flex; flex-direction:column; font-size:13px; color:var(--muted); gap:4px; }
.resolve .grow { flex:1 1 16em; }
.resolve textarea { width:100%; min-height:38px; }
.alert-card { border:1px solid var(--line); border-radius:6px; padding:8px 12px; margin:12px 0; }
.alert-card h4 { margin:0; font-size:15px; }
summary { cursor:pointer; color:var(--accent); margin:4px 0; }
.sr-only { position:absolute; width:1px; height:1px; overflow:hidden; clip:rect(0 0 0 0); white-space:nowrap; }
@media (max-width: 900px) { .grid { grid-template-columns:1fr; } }
@media (max-width: 600px) { header { padding:10px 12px; } main { padding:12px 12px 32px; } .card { padding:12px; } }
/* On a phone a queue row is a small card: case, risk and due time first, then the client, then the rest. */
@media (max-width: 600px) {
  #queue table, #queue tbody, #queue td { display:block; }
  #queue thead { position:absolute; width:1px; height:1px; overflow:hidden; clip:rect(0 0 0 0); }
  #queue tr { display:flex; flex-wrap:wrap; gap:4px 12px; align-items:baseline; padding:8px 4px; border-bottom:1px solid var(--line); }
  #queue tr.is-overdue { background:#fdf0ee; }
  #queue td { border:none; padding:0; background:none; }
  #queue td.client { flex-basis:100%; font-weight:600; }
  #queue td.num { text-align:left; }
  #queue td[data-label]::before { content:attr(data-label) " "; color:var(--muted); }
}
`;

function chartSection(c: ChartSlot): string {
  return `<section class="card${c.wide ? ' wide' : ''}" aria-labelledby="h-${c.id}">
  <h2 id="h-${c.id}">${escapeHtml(c.title)}</h2>
  <p class="caption" id="c-${c.id}">${escapeHtml(c.caption)}</p>
  <div class="chart" id="chart-${c.id}" role="img" aria-labelledby="h-${c.id}" aria-describedby="c-${c.id}" tabindex="0"></div>
</section>`;
}

/** The whole page; `scriptUrl` is where the bundled page script is served (relative to /dashboard). */
export function dashboardHtml(scriptUrl = 'dashboard/app.js'): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Financial Monitor — dashboard</title>
<link rel="icon" href="data:,">
<style>${CSS}</style>
</head>
<body>
<header>
  <h1>Financial Monitor</h1>
  <form id="key-form" autocomplete="off">
    <label for="api-key">API key</label>
    <input id="api-key" name="api-key" type="password" autocomplete="off" required aria-describedby="key-help" placeholder="x-api-key">
    <span id="key-help" class="sr-only">Kept in this browser tab only (sessionStorage)</span>
    <button type="submit" id="key-submit">Load dashboard</button>
    <button type="button" class="secondary" id="key-forget">Forget key</button>
  </form>
</header>
<main>
  <p id="status" role="status" aria-live="polite"></p>
  <div id="overview">
  <form class="filters" id="filters" aria-label="Period">
    <label>From <input type="date" id="from" name="from"></label>
    <label>To <input type="date" id="to" name="to"></label>
    <label>Granularity
      <select id="granularity" name="granularity">
        <option value="day">Day</option><option value="week" selected>Week</option><option value="month">Month</option>
      </select>
    </label>
    <button type="submit" id="apply">Apply period</button>
  </form>
  <section aria-label="Key figures" class="kpis" id="kpis"></section>
  <div class="grid">
${CHARTS.map(chartSection).join('\n')}
    <section class="card wide" id="queue-card" aria-labelledby="h-queue">
      <h2 id="h-queue" tabindex="-1">Case queue</h2>
      <p class="caption" id="c-queue">The cases to work: overdue ones first, then the soonest due, then the highest priority. Open a case to see the client's transactions, every alert's evidence, notes and history, and to work it.</p>
      <form class="filters inline" id="queue-filters" aria-label="Case queue filters">
        <label>Status <select id="q-status" name="status">
          <option value="open,investigating,escalated" selected>Not closed</option><option value="open">Open</option>
          <option value="investigating">Investigating</option><option value="escalated">Escalated</option>
          <option value="closed">Closed</option><option value="">Any</option></select></label>
        <label>Risk <select id="q-risk" name="risk">
          <option value="Medium" selected>Medium or above</option><option value="High">High</option><option value="">Any</option></select></label>
        <label>Assignee <select id="q-assignee" name="assignee">
          <option value="">Anyone</option><option value="mine">Mine</option><option value="none">Unassigned</option></select></label>
        <label class="check"><input type="checkbox" id="q-overdue" name="overdue"> Overdue only</label>
      </form>
      <p class="caption" id="queue-count" aria-live="polite"></p>
      <div id="queue"><p class="caption">The queue loads when you reach it.</p></div>
      <button type="button" class="secondary" id="queue-more" hidden>More cases</button>
    </section>
  </div>
  </div>
  <div id="case-page" hidden></div>
</main>
<script src="${escapeHtml(scriptUrl)}"></script>
</body>
</html>`;
}
