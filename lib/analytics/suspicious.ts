/**
 * The dashboard's suspicious-transactions list: transactions booked in the period that have alerts not yet closed,
 * one row per transaction with every open alert on it (reason, rule, risk, score, status) and its highest risk.
 *
 * A transaction flagged by four rules is four alert rows; the list walks the open alerts newest first in batches
 * (an index walk that stops early, as a GROUP BY over the period's alerts would not) and folds them by transaction
 * until it has `limit` transactions.
 */
import { query } from '../db/pool.js';
import type { Period } from './figures.js';

const RISK_ORDER = ['High', 'Medium', 'Low'] as const;
const rank = (risk: string) => {
  const i = RISK_ORDER.indexOf(risk as (typeof RISK_ORDER)[number]);
  return i === -1 ? RISK_ORDER.length : i;
};

/** Below this share of the open alerts in the period, the walk starts from the period's transactions instead. */
const ALERT_FIRST_SHARE = 0.03;
/** Alert rows read per batch, per transaction wanted (a transaction carries one to a few open alerts). */
const ROWS_PER_TRANSACTION = 4;

export interface SuspiciousAlert {
  alert_id: number;
  reason: string;
  rule_id: string | null;
  risk_level: string;
  score: number | null;
  status: string;
  alert_date: string;
}

export interface SuspiciousTransaction {
  transaction_id: number;
  transaction_date: string;
  amount: string;
  currency: string;
  client_id: number;
  client: string;
  country: string;
  /** The highest risk level among its open alerts. */
  risk_level: string;
  /** Its open alerts' reasons, each once, highest risk first. */
  reasons: string[];
  /** The newest of its open alerts at the requested risk level (any level without one): the list's order. */
  newest_alert_id: number;
  /** Its open alerts, highest risk first, then newest first. */
  alerts: SuspiciousAlert[];
}

const num = (v: unknown) => Number(v ?? 0);

/** One batch of the walk: open alerts in the period (at `risk`), newest first, older than `beforeId`. */
function alertBatch(
  period: Period,
  risk: string | undefined,
  alertsFirst: boolean,
  beforeId: number,
  size: number,
) {
  // alertsFirst walks the alerts' primary key backwards and stops at `size`; otherwise the period is short and
  // its transactions (by date) are the smaller side.
  const from = alertsFirst
    ? 'alerts al FORCE INDEX (PRIMARY) JOIN transactions t ON t.id = al.transaction_id'
    : 'transactions t FORCE INDEX (idx_transactions_date) JOIN alerts al ON al.transaction_id = t.id';
  return query<{ id: number; transaction_id: number }>(
    `SELECT STRAIGHT_JOIN al.id, al.transaction_id FROM ${from}
      WHERE al.status IN ('open', 'investigating') AND t.date >= ? AND t.date < ? + INTERVAL 1 DAY
        AND al.id < ? ${risk ? 'AND al.risk_level = ?' : ''}
      ORDER BY al.id DESC LIMIT ?`,
    [period.from, period.to, beforeId, ...(risk ? [risk] : []), size],
  );
}

/** Every open alert of the given transactions, by transaction. */
async function openAlertsOf(transactionIds: number[]): Promise<Map<number, SuspiciousAlert[]>> {
  const rows = await query(
    `SELECT id, transaction_id, reason, rule_id, risk_level, score, status, alert_date FROM alerts
      WHERE transaction_id IN (?) AND status IN ('open', 'investigating')`,
    [transactionIds],
  );
  const byTransaction = new Map<number, SuspiciousAlert[]>();
  for (const r of rows) {
    const alerts = byTransaction.get(num(r.transaction_id)) ?? [];
    alerts.push({
      alert_id: num(r.id),
      reason: String(r.reason),
      rule_id: (r.rule_id as string | null) ?? null,
      risk_level: String(r.risk_level),
      score: r.score === null ? null : num(r.score),
      status: String(r.status),
      alert_date: String(r.alert_date),
    });
    byTransaction.set(num(r.transaction_id), alerts);
  }
  for (const alerts of byTransaction.values())
    alerts.sort((a, b) => rank(a.risk_level) - rank(b.risk_level) || b.alert_id - a.alert_id);
  return byTransaction;
}

/** The booking, amount and client of each transaction. */
async function transactionsOf(ids: number[]) {
  const rows = await query(
    `SELECT t.id, t.date, t.amount, t.currency, a.client_id, c.first_name, c.last_name, c.country
       FROM transactions t JOIN accounts a ON a.id = t.account_id JOIN clients c ON c.id = a.client_id
      WHERE t.id IN (?)`,
    [ids],
  );
  return new Map(rows.map((r) => [num(r.id), r]));
}

/**
 * Up to `limit` transactions booked in the period with open alerts, newest alert first, with all their open
 * alerts. With `risk`, only transactions whose highest open alert is at that level. `open_alerts_in_period` counts
 * the open alerts (at `risk`) on the period's transactions, from the summary table.
 *
 * @example suspiciousTransactions({ from: '2025-01-01', to: '2025-12-31' }, 15, 'High')
 */
export async function suspiciousTransactions(period: Period, limit: number, risk?: string) {
  const [share] = await query(
    `SELECT SUM(CASE WHEN day BETWEEN ? AND ? THEN alerts ELSE 0 END) AS matching, SUM(alerts) AS total
       FROM analytics_alert_counts WHERE status IN ('open', 'investigating') ${risk ? 'AND risk_level = ?' : ''}`,
    [period.from, period.to, ...(risk ? [risk] : [])],
  );
  const matching = num(share?.matching);
  const alertsFirst = matching >= ALERT_FIRST_SHARE * num(share?.total);
  const batchSize = limit * ROWS_PER_TRANSACTION;
  const picked: Array<{ transactionId: number; newest: number; alerts: SuspiciousAlert[] }> = [];
  const seen = new Set<number>();
  let beforeId = Number.MAX_SAFE_INTEGER;
  while (matching > 0 && picked.length < limit) {
    const batch = await alertBatch(period, risk, alertsFirst, beforeId, batchSize);
    const fresh: Array<{ transactionId: number; newest: number }> = [];
    for (const row of batch) {
      const transactionId = num(row.transaction_id);
      if (seen.has(transactionId)) continue;
      seen.add(transactionId);
      fresh.push({ transactionId, newest: num(row.id) });
    }
    const alerts = fresh.length > 0 ? await openAlertsOf(fresh.map((f) => f.transactionId)) : null;
    for (const f of fresh) {
      const open = alerts?.get(f.transactionId) ?? [];
      // A transaction listed under Medium must have no open High alert (it is listed under High).
      if (open.length > 0 && (!risk || open[0]?.risk_level === risk) && picked.length < limit)
        picked.push({ ...f, alerts: open });
    }
    if (batch.length < batchSize) break;
    beforeId = num(batch[batch.length - 1]?.id);
  }
  const details = picked.length > 0 ? await transactionsOf(picked.map((p) => p.transactionId)) : null;
  return {
    period,
    risk: risk ?? null,
    open_alerts_in_period: matching,
    rows: picked.map(({ transactionId, newest, alerts }): SuspiciousTransaction => {
      const t = details?.get(transactionId) ?? {};
      return {
        transaction_id: transactionId,
        transaction_date: String(t.date),
        amount: String(t.amount),
        currency: String(t.currency),
        client_id: num(t.client_id),
        client: `${String(t.first_name)} ${String(t.last_name)}`,
        country: String(t.country),
        risk_level: alerts[0]?.risk_level ?? 'Low',
        reasons: [...new Set(alerts.map((a) => a.reason))],
        newest_alert_id: newest,
        alerts,
      };
    }),
  };
}
