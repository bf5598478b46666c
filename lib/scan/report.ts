/**
 * Statistics about detected anomalies — by rule, risk level, currency, client country and month — for
 * `npm run scan -- --report`, and for the alerts API to serve the same figures. Read-only SQL over alerts joined to
 * their transactions; analyst alerts are included and told apart by `flagged_by`. Findings kept as suppressed (a
 * suppression covered them: lib/suppressions) are counted apart, never among the alerts.
 */
import { query } from '../db/pool.js';

export interface ReportRow {
  key: string;
  alerts: number;
  transactions: number;
  high: number;
  medium: number;
  low: number;
}

export interface AnomalyReport {
  /** `suppressed`: findings kept as suppressed (lib/suppressions), never raised; the other figures leave them out. */
  totals: { alerts: number; transactions: number; system: number; analyst: number; suppressed: number };
  byRule: ReportRow[];
  byRisk: ReportRow[];
  byCurrency: ReportRow[];
  byCountry: ReportRow[];
  byMonth: ReportRow[];
  lastRun: {
    id: number;
    mode: string;
    status: string;
    startedAt: string;
    finishedAt: string | null;
    transactionsScanned: number;
    alertsCreated: number;
    findingsSuppressed: number;
  } | null;
}

export interface ReportFilter {
  /** Only alerts raised by this party. */
  flaggedBy?: 'system' | 'analyst';
}

/** Raised alerts: not the findings a suppression kept back. */
const RAISED = "al.status <> 'suppressed'";

const COUNTS = `COUNT(*) AS alerts, COUNT(DISTINCT al.transaction_id) AS transactions,
  SUM(al.risk_level = 'High') AS high, SUM(al.risk_level = 'Medium') AS medium, SUM(al.risk_level = 'Low') AS low`;

async function grouped(
  keySql: string,
  joins: string,
  filter: ReportFilter,
  order = 'alerts DESC, k',
): Promise<ReportRow[]> {
  const where = `WHERE ${RAISED}${filter.flaggedBy ? ' AND al.flagged_by = ?' : ''}`;
  const rows = await query<Record<string, unknown>>(
    `SELECT ${keySql} AS k, ${COUNTS} FROM alerts al ${joins} ${where} GROUP BY k ORDER BY ${order}`,
    filter.flaggedBy ? [filter.flaggedBy] : [],
  );
  return rows.map((r) => ({
    key: String(r.k ?? '(none)'),
    alerts: Number(r.alerts),
    transactions: Number(r.transactions),
    high: Number(r.high ?? 0),
    medium: Number(r.medium ?? 0),
    low: Number(r.low ?? 0),
  }));
}

/** The whole report. */
export async function anomalyReport(filter: ReportFilter = {}): Promise<AnomalyReport> {
  const tx = 'JOIN transactions t ON t.id = al.transaction_id';
  const [totals] = await query<Record<string, unknown>>(
    `SELECT SUM(${RAISED}) AS alerts, COUNT(DISTINCT CASE WHEN ${RAISED} THEN transaction_id END) AS transactions,
       SUM(${RAISED} AND flagged_by = 'system') AS system, SUM(${RAISED} AND flagged_by = 'analyst') AS analyst,
       SUM(status = 'suppressed') AS suppressed FROM alerts al
       ${filter.flaggedBy ? 'WHERE al.flagged_by = ?' : ''}`,
    filter.flaggedBy ? [filter.flaggedBy] : [],
  );
  const [run] = await query<Record<string, unknown>>(
    `SELECT id, mode, status, started_at, finished_at, transactions_scanned, alerts_created, findings_suppressed
       FROM scan_runs WHERE status <> 'skipped' ORDER BY id DESC LIMIT 1`,
  );
  return {
    totals: {
      alerts: Number(totals?.alerts ?? 0),
      transactions: Number(totals?.transactions ?? 0),
      system: Number(totals?.system ?? 0),
      analyst: Number(totals?.analyst ?? 0),
      suppressed: Number(totals?.suppressed ?? 0),
    },
    byRule: await grouped("COALESCE(al.rule_id, CONCAT('analyst: ', al.reason))", '', filter),
    byRisk: await grouped('al.risk_level', '', filter, "FIELD(k, 'High', 'Medium', 'Low')"),
    byCurrency: await grouped('t.currency', tx, filter),
    byCountry: await grouped(
      'c.country',
      `${tx} JOIN accounts a ON a.id = t.account_id JOIN clients c ON c.id = a.client_id`,
      filter,
    ),
    byMonth: await grouped("DATE_FORMAT(t.date, '%Y-%m')", tx, filter, 'k'),
    lastRun: run
      ? {
          id: Number(run.id),
          mode: String(run.mode),
          status: String(run.status),
          startedAt: String(run.started_at),
          finishedAt: run.finished_at === null ? null : String(run.finished_at),
          transactionsScanned: Number(run.transactions_scanned),
          alertsCreated: Number(run.alerts_created),
          findingsSuppressed: Number(run.findings_suppressed),
        }
      : null,
  };
}

/** The report as text tables (the CLI prints this). */
export function formatReport(report: AnomalyReport): string {
  const lines: string[] = [];
  const t = report.totals;
  lines.push(
    `Alerts: ${t.alerts} on ${t.transactions} transactions (system ${t.system}, analyst ${t.analyst}); ` +
      `findings suppressed: ${t.suppressed}`,
  );
  if (report.lastRun) {
    const r = report.lastRun;
    lines.push(
      `Last scan: #${r.id} ${r.mode} ${r.status}, ${r.startedAt} → ${r.finishedAt ?? '…'}, ${r.transactionsScanned} transactions, ${r.alertsCreated} new alerts, ${r.findingsSuppressed} findings suppressed`,
    );
  }
  const table = (title: string, rows: ReportRow[]) => {
    lines.push('', title);
    lines.push(
      `  ${'key'.padEnd(34)} ${'alerts'.padStart(8)} ${'txns'.padStart(8)} ${'High'.padStart(7)} ${'Medium'.padStart(7)} ${'Low'.padStart(7)}`,
    );
    for (const r of rows) {
      lines.push(
        `  ${r.key.slice(0, 34).padEnd(34)} ${String(r.alerts).padStart(8)} ${String(r.transactions).padStart(8)} ${String(r.high).padStart(7)} ${String(r.medium).padStart(7)} ${String(r.low).padStart(7)}`,
      );
    }
    if (rows.length === 0) lines.push('  (none)');
  };
  table('By rule', report.byRule);
  table('By risk level', report.byRisk);
  table('By currency', report.byCurrency);
  table('By client country', report.byCountry);
  table('By month (of the transaction)', report.byMonth);
  return lines.join('\n');
}
