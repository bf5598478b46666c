/**
 * Keeps the dashboard's summary tables (sql/migrations/0050_analytics_summaries.sql) current, in chunks that each
 * commit with their watermark, for as long as the caller's deadline allows; what is left waits for the next
 * refresh, which goes on from the watermarks without redoing a finished chunk.
 *
 * - **Incremental**: transactions, alert_history rows and alerts above their watermarks are aggregated in id-range
 *   chunks and added to the live tables (`INSERT … SELECT … ON DUPLICATE KEY UPDATE`, lib/analytics/summary-sql.ts);
 *   each chunk and its watermark commit together, so a crash never counts a row twice, and every figure the
 *   dashboard reads is exact for the rows up to its watermark.
 * - **Rebuild** (a seed that replaced the bank — `seed_runs.mode` fresh/reset, or fewer transactions than the
 *   watermark — or `full`): the same chunks fill the build copies of the tables (…_build, their own watermarks in
 *   analytics_refresh_state_build), across as many refreshes as it takes; once they have caught up one RENAME TABLE
 *   swaps every live table with its copy at once. Until then the dashboard reads the previous summaries whole,
 *   never a half-rebuilt figure.
 *
 * A server-wide named lock keeps two refreshes (the refresh-summaries Lambda, a CLI, the dashboard's read path)
 * from overlapping: one that finds it held waits `waitSeconds`, then answers `busy`.
 */
import type { PoolConnection } from 'mysql2/promise';
import { query, withNamedLock, withTransaction } from '../db/pool.js';
import { Deadline } from '../jobs/deadline.js';
import { logger } from '../log.js';
import {
  addAlerts,
  addTransactions,
  applyHistory,
  BUILD,
  LIVE,
  rebuildLocations,
  STATE,
  type SummarySet,
  saveState,
  tablesOf,
} from './summary-sql.js';

/** Name of the named lock refreshes hold (scoped to the database by withNamedLock). */
export const REFRESH_LOCK = 'analytics-refresh';
/** Ids aggregated per committed chunk. */
export const DEFAULT_CHUNK = 200_000;

export interface RefreshOptions {
  /** Rebuild every summary from the raw tables. */
  full?: boolean;
  /** Ids per chunk (default 200 000). */
  chunkSize?: number;
  /** Seconds to wait for another refresh's lock; 0 returns `{ status: 'busy' }` at once. Default 60. */
  waitSeconds?: number;
  /** Stop before a chunk that would not end in time (default: none); the next refresh goes on. */
  deadline?: Deadline;
}

export interface RefreshSummary {
  /** `partial`: stopped at the deadline, the next refresh goes on; `busy`: another refresh held the lock. */
  status: 'refreshed' | 'rebuilt' | 'current' | 'partial' | 'busy';
  fromTransactionId: number;
  /** The last transaction id this refresh added (its start, less one, when it added none). */
  toTransactionId: number;
  transactionsAdded: number;
  locationsRebuilt: boolean;
  alertsAdded: number;
  /** Chunks committed (transactions, locations, alert history and alerts together). */
  chunks: number;
  /** A rebuild is under way in the build tables (the dashboard reads the previous summaries meanwhile). */
  building: boolean;
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

const stalenessSql = (set: SummarySet) => `SELECT
  (SELECT COALESCE(MAX(id), 0) FROM transactions) AS latest,
  (SELECT COALESCE(MAX(id), 0) FROM clients) AS latest_client,
  (SELECT COALESCE(MAX(id), 0) FROM seed_runs) AS latest_seed,
  (SELECT COALESCE(MAX(id), 0) FROM alerts) AS latest_alert,
  (SELECT COALESCE(MAX(id), 0) FROM alert_history) AS latest_history,
  (SELECT COUNT(*) FROM seed_runs s, ${set.state} st
    WHERE st.name = ? AND s.id > st.last_seed_run_id AND s.mode <> 'append') AS replaced,
  st.last_transaction_id, st.last_client_id, st.last_seed_run_id, st.last_alert_id, st.last_history_id
  FROM (SELECT 1 AS x) dummy LEFT JOIN ${set.state} st ON st.name = ?`;

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

/** A set's watermarks beside the raw tables' newest ids: one query over MAX(primary key)s. */
async function readState(set: SummarySet): Promise<StateRow> {
  const [row] = await query<StateRow>(stalenessSql(set), [STATE, STATE]);
  return row as StateRow;
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

function plan(s: StateRow): Plan {
  const known = Number(s.last_transaction_id ?? 0);
  const latest = Number(s.latest);
  const rebuild = s.last_transaction_id === null || Number(s.replaced) > 0 || latest < known;
  const alertFrom = Number(s.last_alert_id ?? 0);
  return {
    rebuild,
    transactions: [known, Math.max(known, latest)],
    clients: Number(s.latest_client) !== Number(s.last_client_id ?? 0),
    alerts: [alertFrom, Math.max(alertFrom, Number(s.latest_alert))],
    history: [Number(s.last_history_id ?? 0), Number(s.latest_history)],
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

/** How far behind the live summaries are: one query over MAX(primary key)s, cheap enough for every request. */
export async function analyticsStaleness(): Promise<Staleness> {
  const s = await readState(LIVE);
  return {
    summarised: Number(s.last_transaction_id ?? 0),
    latest: Number(s.latest),
    stale: !isCurrent(plan(s)),
  };
}

/** One refresh's chunk size, deadline and running account. */
interface Work {
  chunkSize: number;
  deadline: Deadline;
  summary: RefreshSummary;
}

/**
 * Runs `step` over (from, to] in chunks of the work's size, each chunk in its own DB transaction, while the
 * deadline allows one more; resolves false when it stopped short.
 */
async function inChunks(
  [from, to]: [number, number],
  w: Work,
  step: (conn: PoolConnection, first: number, last: number) => Promise<void>,
): Promise<boolean> {
  for (let at = from; at < to; ) {
    if (!w.deadline.hasTimeForStep()) return false;
    const next = Math.min(to, at + w.chunkSize);
    await w.deadline.step(() => withTransaction((conn) => step(conn, at + 1, next)));
    w.summary.chunks++;
    at = next;
  }
  return true;
}

/** Brings one set of tables up to its plan, chunk by chunk; resolves false when the deadline stopped it first. */
async function catchUp(set: SummarySet, p: Plan, w: Work): Promise<boolean> {
  const { summary } = w;
  const transactions = await inChunks(p.transactions, w, async (conn, first, last) => {
    await addTransactions(conn, set, first, last);
    await saveState(conn, set, { last_transaction_id: last, last_seed_run_id: p.latestSeed });
    summary.transactionsAdded += last - first + 1;
    summary.toTransactionId = last;
  });
  if (!transactions) return false;
  if (p.clients) {
    if (!w.deadline.hasTimeForStep()) return false;
    await w.deadline.step(() =>
      withTransaction(async (conn) => {
        await saveState(conn, set, { last_client_id: p.latestClient });
        await rebuildLocations(conn, set);
      }),
    );
    summary.chunks++;
    summary.locationsRebuilt = true;
  }
  // Workflow changes first, for the alerts counted before; then the new alerts as they are now.
  const counted = p.alerts[0];
  const history = await inChunks(p.history, w, async (conn, first, last) => {
    await applyHistory(conn, set, first, last, counted);
    await saveState(conn, set, { last_history_id: last });
  });
  if (!history) return false;
  return inChunks(p.alerts, w, async (conn, first, last) => {
    await addAlerts(conn, set, first, last);
    await saveState(conn, set, { last_alert_id: last });
    summary.alertsAdded += last - first + 1;
  });
}

/** A rebuild is under way: the build tables have a state row. */
async function buildInProgress(): Promise<boolean> {
  const rows = await query(`SELECT 1 FROM ${BUILD.state} WHERE name = ?`, [STATE]);
  return rows.length > 0;
}

/**
 * Empties the build tables and gives them a starting state: nothing counted, alert history up to now already
 * reflected (alerts are counted with their current status), the newest seed seen.
 */
async function startBuild(): Promise<void> {
  const s = await readState(LIVE);
  await withTransaction(async (conn) => {
    for (const table of tablesOf(BUILD)) await conn.query(`DELETE FROM ${table}`);
    await saveState(conn, BUILD, {
      last_transaction_id: 0,
      last_client_id: 0,
      last_alert_id: 0,
      last_history_id: Number(s.latest_history),
      last_seed_run_id: Number(s.latest_seed),
    });
  });
}

/**
 * Swaps every live table with its build copy in one RENAME TABLE (atomic: a reader sees all old or all new), then
 * empties the build state so no rebuild is under way. Should the process stop between the two, the next refresh
 * takes the previous summaries for a build under way and brings them up to date before swapping again: they are
 * a whole set of summaries as of their own watermarks, so the result is the same.
 */
async function swapBuildIn(): Promise<void> {
  const build = tablesOf(BUILD);
  const pairs = tablesOf(LIVE).map(
    (live, i) => `${live} TO ${live}_swap, ${build[i]} TO ${live}, ${live}_swap TO ${build[i]}`,
  );
  await query(`RENAME TABLE ${pairs.join(', ')}`);
  await query(`DELETE FROM ${BUILD.state} WHERE name = ?`, [STATE]);
}

function startSummary(p: Pick<Plan, 'transactions'>, building: boolean): RefreshSummary {
  return {
    status: 'current',
    fromTransactionId: p.transactions[0] + 1,
    toTransactionId: p.transactions[0],
    transactionsAdded: 0,
    locationsRebuilt: false,
    alertsAdded: 0,
    chunks: 0,
    building,
    elapsedMs: 0,
  };
}

/** The refresh under the lock: the rebuild under way (or due) first and its swap, then the live tables. */
async function refreshLocked(full: boolean, chunkSize: number, deadline: Deadline): Promise<RefreshSummary> {
  const live = plan(await readState(LIVE));
  let building = await buildInProgress();
  if (full || (building ? plan(await readState(BUILD)).rebuild : live.rebuild)) {
    await startBuild();
    building = true;
  }
  if (building) {
    const p = plan(await readState(BUILD));
    const w: Work = { chunkSize, deadline, summary: startSummary(p, true) };
    if (!(await catchUp(BUILD, p, w))) return { ...w.summary, status: 'partial' };
    await swapBuildIn();
    // Rows that arrived while it was built follow when there is time; the next refresh adds them otherwise.
    const after = plan(await readState(LIVE));
    const caughtUp = !after.rebuild && (await catchUp(LIVE, after, w));
    return { ...w.summary, status: caughtUp ? 'rebuilt' : 'partial', building: false };
  }
  const w: Work = { chunkSize, deadline, summary: startSummary(live, false) };
  if (!(await catchUp(LIVE, live, w))) return { ...w.summary, status: 'partial' };
  return { ...w.summary, status: isCurrent(live) ? 'current' : 'refreshed' };
}

/**
 * Brings the summary tables up to date with the raw tables, or as far as the deadline allows (`partial`: the next
 * refresh goes on); safe to call any time, from anywhere, concurrently.
 *
 * @example await refreshAnalytics(); // `npm run analytics:refresh`, no deadline
 * @example await refreshAnalytics({ deadline: Deadline.fromLambda(context, 20) }); // the refresh-summaries Lambda
 * @example await refreshAnalytics({ full: true }); // after editing analytics_fx_rates
 */
export async function refreshAnalytics(options: RefreshOptions = {}): Promise<RefreshSummary> {
  const started = Date.now();
  const { full = false, chunkSize = DEFAULT_CHUNK, waitSeconds = 60, deadline = Deadline.none() } = options;
  const locked = await withNamedLock(REFRESH_LOCK, () => refreshLocked(full, chunkSize, deadline), {
    waitSeconds,
  });
  if (!locked.acquired || !locked.result) {
    const nothing = { transactions: [0, 0] } as Pick<Plan, 'transactions'>;
    return { ...startSummary(nothing, false), status: 'busy', elapsedMs: Date.now() - started };
  }
  const summary = { ...locked.result, elapsedMs: Date.now() - started };
  if (summary.status !== 'current') logger.info('analytics summaries refreshed', { ...summary });
  return summary;
}

let lastCheck = 0;
let inFlight: Promise<unknown> | undefined;

/** What the dashboard's read path may spend refreshing (seconds), and its chunks: each statement stays short. */
const ON_READ_SECONDS = 5;
const ON_READ_CHUNK = 20_000;

/**
 * The dashboard's freshness guard: at most one staleness check per container every `everyMs`, and a refresh
 * (never waiting for another one's lock, for at most ON_READ_SECONDS: the rest is the refresh-summaries
 * function's) when the summaries are behind. Never throws for a refresh failure — a slightly stale figure beats a
 * failed dashboard — but logs it.
 */
export async function ensureAnalyticsFresh(everyMs = 5_000): Promise<void> {
  const now = Date.now();
  if (inFlight) return void (await inFlight);
  if (now - lastCheck < everyMs) return;
  lastCheck = now;
  inFlight = (async () => {
    const staleness = await analyticsStaleness();
    if (!staleness.stale) return;
    const deadline = Deadline.afterSeconds(ON_READ_SECONDS, 0);
    await refreshAnalytics({ waitSeconds: 0, chunkSize: ON_READ_CHUNK, deadline });
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
