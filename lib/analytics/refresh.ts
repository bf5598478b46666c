/**
 * Keeps the dashboard's summary tables (sql/migrations/0050_analytics_summaries.sql) current.
 *
 * Incremental: transactions above the watermark are aggregated in id-range chunks and added to the summaries
 * (`INSERT … SELECT … ON DUPLICATE KEY UPDATE n = n + VALUES(n)`); each chunk and the watermark move in one DB
 * transaction, so a crash never counts a row twice. A seed that replaced the bank (`seed_runs.mode` fresh/reset, or
 * fewer transactions than the watermark) makes the next refresh rebuild from scratch. A server-wide named lock keeps
 * two refreshes (the seeder's, the scan's, a dashboard request's) from overlapping.
 *
 * Where it is called: the seeder and the scan after they commit (`await refreshAnalytics()`), `npm run
 * analytics:refresh`, and the dashboard's data path when `analyticsStaleness()` says the summaries are behind.
 */
import type { PoolConnection, RowDataPacket } from 'mysql2/promise';
import { query, withNamedLock, withTransaction } from '../db/pool.js';
import { TRANSACTION_TYPES } from '../domain/bank.js';
import { logger } from '../log.js';

/** Buckets per power of ten in analytics_amount_histogram. */
export const BUCKETS_PER_DECADE = 50;
const STATE = 'transactions';
/** Name of the named lock refreshes hold (scoped to the database by withNamedLock). */
export const REFRESH_LOCK = 'analytics-refresh';
/** Transaction ids aggregated per committed chunk. */
export const DEFAULT_CHUNK = 200_000;
const SUMMARY_TABLES = [
  'analytics_daily_transactions',
  'analytics_client_totals',
  'analytics_amount_histogram',
  'analytics_alert_counts',
  'analytics_alert_amounts',
] as const;

export interface RefreshOptions {
  /** Rebuild every summary from the raw tables. */
  full?: boolean;
  /** Ids per chunk (default 200 000). */
  chunkSize?: number;
  /** Seconds to wait for another refresh's lock; 0 returns `{ status: 'busy' }` at once. Default 60. */
  waitSeconds?: number;
}

export interface RefreshSummary {
  status: 'refreshed' | 'rebuilt' | 'current' | 'busy';
  fromTransactionId: number;
  toTransactionId: number;
  transactionsAdded: number;
  locationsRebuilt: boolean;
  alertsAdded: number;
  elapsedMs: number;
}

export interface Staleness {
  /** Highest transaction id in the summaries. */
  summarised: number;
  /** Highest transaction id in the database. */
  latest: number;
  /** True when the summaries miss transactions or a seed replaced the bank since. */
  stale: boolean;
}

const one = async <T extends Record<string, unknown>>(
  sql: string,
  params: unknown[] = [],
  conn?: PoolConnection,
): Promise<T> => {
  const rows = conn
    ? ((await conn.query<RowDataPacket[]>(sql, params))[0] as unknown as T[])
    : await query<T>(sql, params);
  return rows[0] as T;
};

const STALENESS_SQL = `SELECT
  (SELECT COALESCE(MAX(id), 0) FROM transactions) AS latest,
  (SELECT COALESCE(MAX(id), 0) FROM clients) AS latest_client,
  (SELECT COALESCE(MAX(id), 0) FROM seed_runs) AS latest_seed,
  (SELECT COALESCE(MAX(id), 0) FROM alerts) AS latest_alert,
  (SELECT COALESCE(MAX(id), 0) FROM alert_history) AS latest_history,
  (SELECT COUNT(*) FROM seed_runs s, analytics_refresh_state st
    WHERE st.name = ? AND s.id > st.last_seed_run_id AND s.mode <> 'append') AS replaced,
  st.last_transaction_id, st.last_client_id, st.last_seed_run_id, st.last_alert_id, st.last_history_id
  FROM (SELECT 1 AS x) dummy LEFT JOIN analytics_refresh_state st ON st.name = ?`;

type Num = number | string;
interface StateRow extends Record<string, unknown> {
  latest: Num;
  latest_client: Num;
  latest_seed: Num;
  latest_alert: Num;
  latest_history: Num;
  replaced: Num;
  last_transaction_id: Num | null;
  last_client_id: Num | null;
  last_seed_run_id: Num | null;
  last_alert_id: Num | null;
  last_history_id: Num | null;
}

interface Plan {
  rebuild: boolean;
  transactions: [from: number, to: number];
  clients: boolean;
  alerts: [from: number, to: number];
  history: [from: number, to: number];
  latestClient: number;
  latestSeed: number;
}

function plan(s: StateRow, full: boolean): Plan {
  const known = Number(s.last_transaction_id ?? 0);
  const latest = Number(s.latest);
  const rebuild = full || s.last_transaction_id === null || Number(s.replaced) > 0 || latest < known;
  const alertFrom = rebuild ? 0 : Number(s.last_alert_id ?? 0);
  return {
    rebuild,
    transactions: [rebuild ? 0 : known, latest],
    clients: rebuild || Number(s.latest_client) !== Number(s.last_client_id ?? 0),
    alerts: [alertFrom, Math.max(alertFrom, Number(s.latest_alert))],
    // On a rebuild the alerts are counted with their current status: history so far is already reflected.
    history: [rebuild ? Number(s.latest_history) : Number(s.last_history_id ?? 0), Number(s.latest_history)],
    latestClient: Number(s.latest_client),
    latestSeed: Number(s.latest_seed),
  };
}

const isCurrent = (p: Plan) =>
  !p.rebuild &&
  !p.clients &&
  p.transactions[0] === p.transactions[1] &&
  p.alerts[0] === p.alerts[1] &&
  p.history[0] === p.history[1];

/** How far behind the summaries are: one query over MAX(primary key)s, cheap enough for every request. */
export async function analyticsStaleness(): Promise<Staleness> {
  const s = await one<StateRow>(STALENESS_SQL, [STATE, STATE]);
  return {
    summarised: Number(s.last_transaction_id ?? 0),
    latest: Number(s.latest),
    stale: !isCurrent(plan(s, false)),
  };
}

const TRANSFER_TYPES = TRANSACTION_TYPES.filter((t) => t.transfer).map((t) => t.type);
const BUCKET_SQL = `FLOOR(LOG10(ABS(t.amount) * COALESCE(fx.eur_rate, 1)) * ${BUCKETS_PER_DECADE})`;

async function addTransactions(conn: PoolConnection, fromId: number, toId: number): Promise<void> {
  await conn.query(
    `INSERT INTO analytics_daily_transactions
       (day, currency, transaction_type_id, status, n, amount_sum, abs_sum, abs_max)
     SELECT DATE(t.date), t.currency, t.transaction_type_id, t.status,
            COUNT(*), SUM(t.amount), SUM(ABS(t.amount)), MAX(ABS(t.amount))
       FROM transactions t WHERE t.id BETWEEN ? AND ?
      GROUP BY DATE(t.date), t.currency, t.transaction_type_id, t.status
     ON DUPLICATE KEY UPDATE n = n + VALUES(n), amount_sum = amount_sum + VALUES(amount_sum),
       abs_sum = abs_sum + VALUES(abs_sum), abs_max = GREATEST(abs_max, VALUES(abs_max))`,
    [fromId, toId],
  );
  await conn.query(
    `INSERT INTO analytics_client_totals
       (client_id, transactions, transfers, transfer_sum_eur, volume_eur, last_transaction_at)
     SELECT a.client_id, COUNT(*),
            SUM(tt.type IN (?)),
            ROUND(SUM(CASE WHEN tt.type IN (?) THEN ABS(t.amount) * COALESCE(fx.eur_rate, 1) ELSE 0 END), 2),
            ROUND(SUM(ABS(t.amount) * COALESCE(fx.eur_rate, 1)), 2),
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
    `INSERT INTO analytics_amount_histogram (month, bucket, n)
     SELECT DATE_FORMAT(t.date, '%Y-%m'), ${BUCKET_SQL}, COUNT(*)
       FROM transactions t LEFT JOIN analytics_fx_rates fx ON fx.currency = t.currency
      WHERE t.id BETWEEN ? AND ? AND t.status <> 'cancelled' AND t.amount <> 0
      GROUP BY 1, 2
     ON DUPLICATE KEY UPDATE n = n + VALUES(n)`,
    [fromId, toId],
  );
}

/** Counts new alerts (findings kept as suppressed were never raised: the dashboard leaves them out). */
async function addAlerts(conn: PoolConnection, fromId: number, toId: number): Promise<void> {
  await conn.query(
    `INSERT INTO analytics_alert_counts (day, risk_level, reason, status, alerts)
     SELECT DATE(t.date), al.risk_level, al.reason, al.status, COUNT(*)
       FROM alerts al JOIN transactions t ON t.id = al.transaction_id
      WHERE al.id BETWEEN ? AND ? AND al.status <> 'suppressed'
      GROUP BY DATE(t.date), al.risk_level, al.reason, al.status
     ON DUPLICATE KEY UPDATE alerts = alerts + VALUES(alerts)`,
    [fromId, toId],
  );
  // A transaction is marked once, with its first alert.
  await conn.query(
    `INSERT INTO analytics_alert_amounts (month, bucket, transactions)
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
async function applyHistory(
  conn: PoolConnection,
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
      `INSERT INTO analytics_alert_counts (day, risk_level, reason, status, alerts)
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
  await conn.query('DELETE FROM analytics_alert_counts WHERE alerts = 0');
}

async function rebuildLocations(conn: PoolConnection): Promise<void> {
  await conn.query('DELETE FROM analytics_client_locations');
  await conn.query(
    `INSERT INTO analytics_client_locations (country, city, clients)
     SELECT l.country, l.city, COUNT(DISTINCT l.client_id) FROM locations l GROUP BY l.country, l.city`,
  );
  await conn.query(
    `UPDATE analytics_refresh_state SET
       clients = (SELECT COUNT(*) FROM clients),
       active_clients = (SELECT COUNT(*) FROM clients WHERE is_active = 'Yes'),
       accounts = (SELECT COUNT(*) FROM accounts),
       active_accounts = (SELECT COUNT(*) FROM accounts WHERE is_active = 1)
     WHERE name = ?`,
    [STATE],
  );
}

async function saveState(conn: PoolConnection, values: Record<string, number>): Promise<void> {
  const columns = Object.keys(values);
  await conn.query(
    `INSERT INTO analytics_refresh_state (name, refreshed_at, ${columns.join(', ')})
     VALUES (?, NOW(3), ${columns.map(() => '?').join(', ')})
     ON DUPLICATE KEY UPDATE refreshed_at = VALUES(refreshed_at),
       ${columns.map((c) => `${c} = VALUES(${c})`).join(', ')}`,
    [STATE, ...Object.values(values)],
  );
}

/** Runs `work` over (from, to] in chunks of `size` ids, each chunk in its own DB transaction. */
async function inChunks(
  [from, to]: [number, number],
  size: number,
  work: (conn: PoolConnection, first: number, last: number) => Promise<void>,
): Promise<void> {
  for (let at = from; at < to; ) {
    const next = Math.min(to, at + size);
    await withTransaction((conn) => work(conn, at + 1, next));
    at = next;
  }
}

/**
 * Brings the summary tables up to date with the raw tables; safe to call any time, from anywhere, concurrently.
 *
 * @example await refreshAnalytics(); // after a seed or a scan commits
 * @example await refreshAnalytics({ full: true }); // after editing analytics_fx_rates
 */
export async function refreshAnalytics(options: RefreshOptions = {}): Promise<RefreshSummary> {
  const started = Date.now();
  const { full = false, chunkSize = DEFAULT_CHUNK, waitSeconds = 60 } = options;
  const locked = await withNamedLock(
    REFRESH_LOCK,
    async (): Promise<RefreshSummary> => {
      const p = plan(await one<StateRow>(STALENESS_SQL, [STATE, STATE]), full);
      const [, latest] = p.transactions;
      const summary: RefreshSummary = {
        status: p.rebuild ? 'rebuilt' : isCurrent(p) ? 'current' : 'refreshed',
        fromTransactionId: p.transactions[0] + 1,
        toTransactionId: latest,
        transactionsAdded: p.transactions[1] - p.transactions[0],
        locationsRebuilt: p.clients,
        alertsAdded: p.alerts[1] - p.alerts[0],
        elapsedMs: 0,
      };
      if (summary.status === 'current') return { ...summary, elapsedMs: Date.now() - started };
      if (p.rebuild) {
        await withTransaction(async (conn) => {
          for (const table of SUMMARY_TABLES) await conn.query(`DELETE FROM ${table}`);
          await saveState(conn, {
            last_transaction_id: 0,
            last_client_id: 0,
            last_alert_id: 0,
            last_history_id: p.history[0],
            last_seed_run_id: p.latestSeed,
          });
        });
      }
      await inChunks(p.transactions, chunkSize, async (conn, first, last) => {
        await addTransactions(conn, first, last);
        await saveState(conn, { last_transaction_id: last, last_seed_run_id: p.latestSeed });
      });
      if (p.clients) {
        await withTransaction(async (conn) => {
          await saveState(conn, { last_client_id: p.latestClient });
          await rebuildLocations(conn);
        });
      }
      // Workflow changes first, for the alerts counted before this run; then the new alerts as they are now.
      const counted = p.alerts[0];
      await inChunks(p.history, chunkSize, async (conn, first, last) => {
        await applyHistory(conn, first, last, counted);
        await saveState(conn, { last_history_id: last });
      });
      await inChunks(p.alerts, chunkSize, async (conn, first, last) => {
        await addAlerts(conn, first, last);
        await saveState(conn, { last_alert_id: last });
      });
      summary.elapsedMs = Date.now() - started;
      logger.info('analytics summaries refreshed', { ...summary });
      return summary;
    },
    { waitSeconds },
  );
  if (!locked.acquired || !locked.result) {
    return {
      status: 'busy',
      fromTransactionId: 0,
      toTransactionId: 0,
      transactionsAdded: 0,
      locationsRebuilt: false,
      alertsAdded: 0,
      elapsedMs: Date.now() - started,
    };
  }
  return locked.result;
}

let lastCheck = 0;
let inFlight: Promise<unknown> | undefined;

/**
 * The dashboard's freshness guard: at most one staleness check per container every `everyMs`, and a refresh
 * (never waiting for another one's lock) when the summaries are behind. Never throws for a refresh failure — a
 * slightly stale figure beats a failed dashboard — but logs it.
 */
export async function ensureAnalyticsFresh(everyMs = 5_000): Promise<void> {
  const now = Date.now();
  if (inFlight) return void (await inFlight);
  if (now - lastCheck < everyMs) return;
  lastCheck = now;
  inFlight = (async () => {
    const staleness = await analyticsStaleness();
    if (staleness.stale) await refreshAnalytics({ waitSeconds: 0 });
  })()
    .catch((error) => logger.warn('analytics refresh on read failed', { error: error as Error }))
    .finally(() => {
      inFlight = undefined;
    });
  await inFlight;
}

/** Forgets the last staleness check (tests). */
export function resetFreshnessCheck(): void {
  lastCheck = 0;
}
