/**
 * The statements that fill the dashboard's summary tables (sql/migrations/0050_analytics_summaries.sql), for either
 * set of them: the live tables the dashboard reads, or their build copies a rebuild fills before it swaps them in
 * (0086_analytics_build_tables.sql). Each adds one id range of transactions, alerts or alert_history rows with
 * `INSERT … SELECT … ON DUPLICATE KEY UPDATE`, so a chunk and its watermark commit together (lib/analytics/refresh.ts).
 */
import type { PoolConnection } from 'mysql2/promise';
import { TRANSACTION_TYPES } from '../domain/bank.js';

/** Buckets per power of ten in analytics_amount_histogram. */
export const BUCKETS_PER_DECADE = 50;
/** The row of the refresh state tables that holds the watermarks. */
export const STATE = 'transactions';

/** The names of one set of summary tables. */
export interface SummarySet {
  kind: 'live' | 'build';
  daily: string;
  clientTotals: string;
  histogram: string;
  locations: string;
  alertCounts: string;
  alertAmounts: string;
  /** The set's watermarks (row STATE) and the KPIs counted with the locations. */
  state: string;
}

const summarySet = (kind: SummarySet['kind'], suffix: string): SummarySet => ({
  kind,
  daily: `analytics_daily_transactions${suffix}`,
  clientTotals: `analytics_client_totals${suffix}`,
  histogram: `analytics_amount_histogram${suffix}`,
  locations: `analytics_client_locations${suffix}`,
  alertCounts: `analytics_alert_counts${suffix}`,
  alertAmounts: `analytics_alert_amounts${suffix}`,
  state: `analytics_refresh_state${suffix}`,
});

/** What the dashboard, the views and BI tools read. */
export const LIVE = summarySet('live', '');
/** What a rebuild fills, then swaps with LIVE. */
export const BUILD = summarySet('build', '_build');

/** Every table of a set, its state table last. */
export const tablesOf = (set: SummarySet): string[] => [
  set.daily,
  set.clientTotals,
  set.histogram,
  set.locations,
  set.alertCounts,
  set.alertAmounts,
  set.state,
];

const TRANSFER_TYPES = TRANSACTION_TYPES.filter((t) => t.transfer).map((t) => t.type);
const BUCKET_SQL = `FLOOR(LOG10(ABS(t.amount) * COALESCE(fx.eur_rate, 1)) * ${BUCKETS_PER_DECADE})`;

export async function addTransactions(
  conn: PoolConnection,
  set: SummarySet,
  fromId: number,
  toId: number,
): Promise<void> {
  await conn.query(
    `INSERT INTO ${set.daily}
       (day, currency, transaction_type_id, status, n, amount_sum, abs_sum, abs_max)
     SELECT DATE(t.date), t.currency, t.transaction_type_id, t.status,
            COUNT(*), SUM(t.amount), SUM(ABS(t.amount)), MAX(ABS(t.amount))
       FROM transactions t WHERE t.id BETWEEN ? AND ?
      GROUP BY DATE(t.date), t.currency, t.transaction_type_id, t.status
     ON DUPLICATE KEY UPDATE n = n + VALUES(n), amount_sum = amount_sum + VALUES(amount_sum),
       abs_sum = abs_sum + VALUES(abs_sum), abs_max = GREATEST(abs_max, VALUES(abs_max))`,
    [fromId, toId],
  );
  // Each row's EUR value is rounded to the cent before it is summed, so the totals do not depend on the chunks.
  await conn.query(
    `INSERT INTO ${set.clientTotals}
       (client_id, transactions, transfers, transfer_sum_eur, volume_eur, last_transaction_at)
     SELECT a.client_id, COUNT(*),
            SUM(tt.type IN (?)),
            SUM(CASE WHEN tt.type IN (?) THEN ROUND(ABS(t.amount) * COALESCE(fx.eur_rate, 1), 2) ELSE 0 END),
            SUM(ROUND(ABS(t.amount) * COALESCE(fx.eur_rate, 1), 2)),
            MAX(t.date)
       FROM transactions t
       JOIN accounts a ON a.id = t.account_id
       JOIN transaction_types tt ON tt.id = t.transaction_type_id
       LEFT JOIN analytics_fx_rates fx ON fx.currency = t.currency
      WHERE t.id BETWEEN ? AND ? AND t.status <> 'cancelled'
      GROUP BY a.client_id
     ON DUPLICATE KEY UPDATE transactions = transactions + VALUES(transactions),
       transfers = transfers + VALUES(transfers), transfer_sum_eur = transfer_sum_eur + VALUES(transfer_sum_eur),
       volume_eur = volume_eur + VALUES(volume_eur),
       last_transaction_at = GREATEST(COALESCE(last_transaction_at, VALUES(last_transaction_at)), VALUES(last_transaction_at))`,
    [TRANSFER_TYPES, TRANSFER_TYPES, fromId, toId],
  );
  await conn.query(
    `INSERT INTO ${set.histogram} (month, bucket, n)
     SELECT DATE_FORMAT(t.date, '%Y-%m'), ${BUCKET_SQL}, COUNT(*)
       FROM transactions t LEFT JOIN analytics_fx_rates fx ON fx.currency = t.currency
      WHERE t.id BETWEEN ? AND ? AND t.status <> 'cancelled' AND t.amount <> 0
      GROUP BY 1, 2
     ON DUPLICATE KEY UPDATE n = n + VALUES(n)`,
    [fromId, toId],
  );
}

/** Counts new alerts (findings kept as suppressed were never raised: the dashboard leaves them out). */
export async function addAlerts(
  conn: PoolConnection,
  set: SummarySet,
  fromId: number,
  toId: number,
): Promise<void> {
  await conn.query(
    `INSERT INTO ${set.alertCounts} (day, risk_level, reason, status, alerts)
     SELECT DATE(t.date), al.risk_level, al.reason, al.status, COUNT(*)
       FROM alerts al JOIN transactions t ON t.id = al.transaction_id
      WHERE al.id BETWEEN ? AND ? AND al.status <> 'suppressed'
      GROUP BY DATE(t.date), al.risk_level, al.reason, al.status
     ON DUPLICATE KEY UPDATE alerts = alerts + VALUES(alerts)`,
    [fromId, toId],
  );
  // A transaction is marked once, with its first alert.
  await conn.query(
    `INSERT INTO ${set.alertAmounts} (month, bucket, transactions)
     SELECT DATE_FORMAT(t.date, '%Y-%m'), ${BUCKET_SQL}, COUNT(*)
       FROM alerts al
       JOIN transactions t ON t.id = al.transaction_id
       LEFT JOIN analytics_fx_rates fx ON fx.currency = t.currency
      WHERE al.id BETWEEN ? AND ? AND t.amount <> 0 AND al.status <> 'suppressed'
        AND NOT EXISTS (SELECT 1 FROM alerts a2 WHERE a2.transaction_id = al.transaction_id AND a2.id < al.id
                          AND a2.status <> 'suppressed')
      GROUP BY 1, 2
     ON DUPLICATE KEY UPDATE transactions = transactions + VALUES(transactions)`,
    [fromId, toId],
  );
}

/** Moves counts between statuses for workflow changes of alerts already counted (id <= alertsCounted). */
export async function applyHistory(
  conn: PoolConnection,
  set: SummarySet,
  fromId: number,
  toId: number,
  alertsCounted: number,
): Promise<void> {
  // Arrivals first: every departure's row then exists (a new row would take the count, not subtract it).
  for (const [column, sign] of [
    ['to_status', 1],
    ['from_status', -1],
  ] as const) {
    await conn.query(
      `INSERT INTO ${set.alertCounts} (day, risk_level, reason, status, alerts)
       SELECT DATE(t.date), al.risk_level, al.reason, h.${column}, COUNT(*)
         FROM alert_history h
         JOIN alerts al ON al.id = h.alert_id
         JOIN transactions t ON t.id = al.transaction_id
        WHERE h.id BETWEEN ? AND ? AND h.alert_id <= ? AND h.from_status IS NOT NULL
          AND h.from_status <> h.to_status
        GROUP BY DATE(t.date), al.risk_level, al.reason, h.${column}
       ON DUPLICATE KEY UPDATE alerts = CAST(alerts AS SIGNED) + ${sign} * CAST(VALUES(alerts) AS SIGNED)`,
      [fromId, toId, alertsCounted],
    );
  }
  await conn.query(`DELETE FROM ${set.alertCounts} WHERE alerts = 0`);
}

/** The map (clients per city) and the client and account KPIs, counted afresh. */
export async function rebuildLocations(conn: PoolConnection, set: SummarySet): Promise<void> {
  await conn.query(`DELETE FROM ${set.locations}`);
  await conn.query(
    `INSERT INTO ${set.locations} (country, city, clients)
     SELECT l.country, l.city, COUNT(DISTINCT l.client_id) FROM locations l GROUP BY l.country, l.city`,
  );
  await conn.query(
    `UPDATE ${set.state} SET
       clients = (SELECT COUNT(*) FROM clients),
       active_clients = (SELECT COUNT(*) FROM clients WHERE is_active = 'Yes'),
       accounts = (SELECT COUNT(*) FROM accounts),
       active_accounts = (SELECT COUNT(*) FROM accounts WHERE is_active = 1)
     WHERE name = ?`,
    [STATE],
  );
}

/** Saves some of the set's watermarks (and the time of this refresh). */
export async function saveState(
  conn: PoolConnection,
  set: SummarySet,
  values: Record<string, number>,
): Promise<void> {
  const columns = Object.keys(values);
  await conn.query(
    `INSERT INTO ${set.state} (name, refreshed_at, ${columns.join(', ')})
     VALUES (?, NOW(3), ${columns.map(() => '?').join(', ')})
     ON DUPLICATE KEY UPDATE refreshed_at = VALUES(refreshed_at),
       ${columns.map((c) => `${c} = VALUES(${c})`).join(', ')}`,
    [STATE, ...Object.values(values)],
  );
}
