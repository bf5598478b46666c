/**
 * GET /alerts/stats: alert counts over a period — by risk level, reason, status, flagged_by and day (of
 * alert_date; findings kept as suppressed appear only under by_status) — the latest scan runs, and the scan's own all-time anomaly report (lib/scan/report.ts: by rule,
 * risk, currency, client country and month), so the API and `npm run scan -- --report` show the same figures.
 */
import { type Queryable, query } from '../db/pool.js';
import { ValidationError } from '../errors.js';
import { type AnomalyReport, anomalyReport, type ReportRow } from '../scan/report.js';
import { parseJsonColumn } from './json-column.js';
import { isoTime } from './repository.js';
import { MAX_STATS_DAYS, RISK_LEVELS, STATUSES, type StatsQuery } from './schemas.js';

const DAY_MS = 86_400_000;

const sqlTime = (ms: number) => new Date(ms).toISOString().slice(0, 19).replace('T', ' ');
const msOf = (sql: string) => Date.parse(`${sql.replace(' ', 'T')}Z`);

/** The half-open period [from, to) a stats query asks for; defaults to the 30 days up to now. */
export function statsPeriod(q: StatsQuery, now = Date.now()): { from: string; to: string } {
  const toMs = q.to ? msOf(q.to.sql) + (q.to.dateOnly ? DAY_MS : 1000) : Math.floor(now / 1000) * 1000 + 1000;
  const fromMs = q.from ? msOf(q.from.sql) : toMs - 30 * DAY_MS;
  if (fromMs >= toMs) {
    throw new ValidationError('Invalid query: query.from must be before to', [
      { field: 'query.from', message: 'must be before to' },
    ]);
  }
  if (toMs - fromMs > MAX_STATS_DAYS * DAY_MS) {
    throw new ValidationError(`Invalid query: the period may span at most ${MAX_STATS_DAYS} days`, [
      { field: 'query.from', message: `the period may span at most ${MAX_STATS_DAYS} days` },
    ]);
  }
  return { from: sqlTime(fromMs), to: sqlTime(toMs) };
}

/** One row of the scan's all-time report (lib/scan/report.ts), served as is. */
export type AllTimeRow = ReportRow;

export interface AlertStatsResult {
  from: string;
  to: string;
  total: number;
  by_risk_level: Record<string, number>;
  by_reason: Record<string, number>;
  by_status: Record<string, number>;
  by_flagged_by: Record<string, number>;
  by_day: Array<{ day: string; count: number }>;
  latest_scan_runs: Array<{
    id: number;
    mode: string;
    status: string;
    started_at: string;
    finished_at: string | null;
    transactions_scanned: number;
    alerts_created: number;
    findings_suppressed: number;
    alerts_by_risk: unknown;
    alerts_by_reason: unknown;
  }>;
  all_time: {
    totals: AnomalyReport['totals'];
    by_rule: AllTimeRow[];
    by_risk_level: AllTimeRow[];
    by_currency: AllTimeRow[];
    by_country: AllTimeRow[];
    by_month: AllTimeRow[];
  };
}

/**
 * Counts over the period in one grouped, index-range query (aggregated here), plus the latest `runs` scan runs
 * and the scan's all-time report.
 *
 * @example await alertStats({ from: { sql: '2026-03-01 00:00:00', dateOnly: true } })
 */
export async function alertStats(q: StatsQuery, db?: Queryable): Promise<AlertStatsResult> {
  const { from, to } = statsPeriod(q);
  const [groups, runs, report] = await Promise.all([
    query<{ day: string; risk_level: string; status: string; flagged_by: string; reason: string; n: number }>(
      `SELECT DATE_FORMAT(alert_date, '%Y-%m-%d') AS day, risk_level, status, flagged_by, reason, COUNT(*) AS n
       FROM alerts WHERE alert_date >= ? AND alert_date < ?
       GROUP BY day, risk_level, status, flagged_by, reason`,
      [from, to],
      db,
    ),
    query(
      `SELECT id, mode, status, started_at, finished_at, transactions_scanned, alerts_created, findings_suppressed,
         alerts_by_risk, alerts_by_reason
       FROM scan_runs ORDER BY started_at DESC, id DESC LIMIT ?`,
      [q.runs ?? 5],
      db,
    ),
    anomalyReport(),
  ]);
  const bump = (record: Record<string, number>, key: string, n: number) => {
    record[key] = (record[key] ?? 0) + n;
  };
  const byRisk: Record<string, number> = Object.fromEntries(RISK_LEVELS.map((r) => [r, 0]));
  const byStatus: Record<string, number> = Object.fromEntries(STATUSES.map((s) => [s, 0]));
  const byFlagged: Record<string, number> = { system: 0, analyst: 0 };
  const byReason: Record<string, number> = {};
  const byDay = new Map<string, number>();
  let total = 0;
  for (const g of groups) {
    const n = Number(g.n);
    bump(byStatus, g.status, n);
    if (g.status === 'suppressed') continue; // never raised: counted under by_status only
    total += n;
    bump(byRisk, g.risk_level, n);
    bump(byFlagged, g.flagged_by, n);
    bump(byReason, g.reason, n);
    byDay.set(g.day, (byDay.get(g.day) ?? 0) + n);
  }
  return {
    from: isoTime(from),
    to: isoTime(to),
    total,
    by_risk_level: byRisk,
    by_reason: Object.fromEntries(Object.entries(byReason).sort(([, a], [, b]) => b - a)),
    by_status: byStatus,
    by_flagged_by: byFlagged,
    by_day: [...byDay.entries()]
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([day, count]) => ({ day, count })),
    latest_scan_runs: runs.map((r) => ({
      id: Number(r.id),
      mode: String(r.mode),
      status: String(r.status),
      started_at: isoTime(String(r.started_at)),
      finished_at: r.finished_at === null ? null : isoTime(String(r.finished_at)),
      transactions_scanned: Number(r.transactions_scanned),
      alerts_created: Number(r.alerts_created),
      findings_suppressed: Number(r.findings_suppressed),
      alerts_by_risk: parseJsonColumn(r.alerts_by_risk),
      alerts_by_reason: parseJsonColumn(r.alerts_by_reason),
    })),
    all_time: {
      totals: report.totals,
      by_rule: report.byRule,
      by_risk_level: report.byRisk,
      by_currency: report.byCurrency,
      by_country: report.byCountry,
      by_month: report.byMonth,
    },
  };
}
