/**
 * Attaching alerts to cases, in the caller's DB transaction (the scan's chunk, or POST /alerts'), so an alert and its
 * place in a case are committed together or not at all. Set-based: a scan chunk's thousand alerts cost about a
 * dozen statements, not a few per case.
 *
 * Safe to run again and to run concurrently: the clients concerned — the alerts' and those their network findings
 * name — are locked first (`SELECT … FOR UPDATE` on their rows, in id order, so two attachers never wait on each
 * other in a cycle), then their cases and links are read
 * with locking reads (which see what a concurrent attacher committed, where the transaction's snapshot would not);
 * an alert already in a case is left where it is (and case_alerts' key would refuse it twice); cases are opened
 * with INSERT IGNORE against the unique "one open case per client" key (network cases: the finding's key) and then
 * read back, so even a writer that skipped the lock could not open a second one. Each touched case's risk, amount,
 * signals, priority and due time are then recomputed from all of its alerts (./refresh.ts).
 */
import type { PoolConnection } from 'mysql2/promise';
import type { RiskLevel } from '../alerts/schemas.js';
import { execute, query } from '../db/pool.js';
import { enqueueHighCaseNotifications } from '../notify/outbox.js';
import { type ClientCases, type NewAlert, planAttachment, type SkipReason } from './attach-plan.js';
import { type CaseChange, dbNow, fromDbTime, recordCaseChanges } from './history.js';
import { attachToNetworkCases, readNetworkFindings } from './network-cases.js';
import { refreshCases } from './refresh.js';
import { CASE_SETTINGS, type CaseSettings } from './settings.js';

export interface AttachResult {
  /** Cases opened by these alerts (client and network cases). */
  opened: number[];
  /** Cases (opened or existing) that gained alerts or whose figures changed. */
  touched: number[];
  /** Cases whose risk became High: opened High, or raised to High by these alerts. */
  becameHigh: number[];
  /**
   * Cases among `opened` whose alerts are all on transactions booked more than `CASE_SETTINGS.historyHours` ago
   * (an import, a rescan of history): news to nobody, so a notifier need not page for them.
   */
  openedOnHistory: number[];
  attached: number;
  skipped: Record<SkipReason, number>;
}

/** Which alerts to look at: these ids, or every alert of these clients (a case being opened gathers them). */
type AlertFilter = { alertIds: readonly number[] } | { clientIds: readonly number[] };

const BY_ALERT =
  'alerts a JOIN transactions t ON t.id = a.transaction_id JOIN accounts ac ON ac.id = t.account_id';
/** A client's accounts, then their transactions, then their alerts: left to itself the server read every alert. */
const BY_CLIENT =
  'accounts ac STRAIGHT_JOIN transactions t ON t.account_id = ac.id STRAIGHT_JOIN alerts a ON a.transaction_id = t.id';

/**
 * The alerts (by id, or of clients) neither closed nor suppressed and not yet in a case of `kind`, with their client
 * and booking time — the one place that says which alerts may join a case. Links are read with a locking read: it sees what a
 * concurrent attacher committed after this transaction's snapshot.
 */
async function unattachedAlerts(
  conn: PoolConnection,
  kind: 'client' | 'network',
  filter: AlertFilter,
): Promise<NewAlert[]> {
  const [from, where, values] =
    'alertIds' in filter
      ? [BY_ALERT, 'a.id IN (?)', filter.alertIds]
      : [BY_CLIENT, 'ac.client_id IN (?)', filter.clientIds];
  const rows = await query<{ id: number; client_id: number; risk_level: RiskLevel; booked: string }>(
    `SELECT a.id, ac.client_id, a.risk_level, t.date AS booked
     FROM ${from}
     WHERE ${where} AND a.status NOT IN ('closed', 'suppressed')`,
    [values],
    conn,
  );
  if (rows.length === 0) return [];
  const linked = await query<{ alert_id: number }>(
    'SELECT alert_id FROM case_alerts WHERE alert_id IN (?) AND case_kind = ? LOCK IN SHARE MODE',
    [rows.map((r) => r.id), kind],
    conn,
  );
  const done = new Set(linked.map((r) => Number(r.alert_id)));
  return rows
    .filter((r) => !done.has(Number(r.id)))
    .map((r) => ({
      alertId: Number(r.id),
      clientId: Number(r.client_id),
      risk: r.risk_level,
      bookedAt: fromDbTime(r.booked),
    }));
}

/** The clients whose transactions `alertIds` are on. */
async function clientsOf(conn: PoolConnection, alertIds: readonly number[]): Promise<number[]> {
  const rows = await query<{ client_id: number }>(
    `SELECT DISTINCT ac.client_id FROM alerts a
     JOIN transactions t ON t.id = a.transaction_id JOIN accounts ac ON ac.id = t.account_id
     WHERE a.id IN (?)`,
    [alertIds],
    conn,
  );
  return rows.map((r) => Number(r.client_id));
}

/**
 * Locks the clients' rows, in id order, before anything else: two attachers never wait on each other in a cycle,
 * and nothing later (a case opened for a client, a network case naming one) waits on a client row.
 */
async function lockClients(conn: PoolConnection, clientIds: readonly number[]): Promise<void> {
  const ids = [...new Set(clientIds)].sort((a, b) => a - b);
  if (ids.length) await query('SELECT id FROM clients WHERE id IN (?) ORDER BY id FOR UPDATE', [ids], conn);
}

/**
 * Locks the (locked) clients' cases and returns each client's open case and latest closing — read under the locks,
 * so as committed, not as this transaction's snapshot saw them.
 */
async function lockClientCases(conn: PoolConnection, clientIds: number[]): Promise<Map<number, ClientCases>> {
  const rows = await query<{ id: number; client_id: number; status: string; closed_at: string | null }>(
    `SELECT id, client_id, status, closed_at FROM cases WHERE kind = 'client' AND client_id IN (?) FOR UPDATE`,
    [clientIds],
    conn,
  );
  const cases = new Map<number, ClientCases>();
  for (const r of rows) {
    const entry = cases.get(Number(r.client_id)) ?? {};
    if (r.status !== 'closed') entry.openCaseId = Number(r.id);
    const closed = r.closed_at === null ? undefined : fromDbTime(r.closed_at);
    if (closed && (!entry.lastClosedAt || closed > entry.lastClosedAt)) entry.lastClosedAt = closed;
    cases.set(Number(r.client_id), entry);
  }
  return cases;
}

/**
 * Opens a case for each of `clientIds` (or finds the one a writer that skipped the lock opened) and returns them by
 * client, with those this call opened (a case is opened with its alerts, so one without any is this call's).
 */
async function openClientCases(
  conn: PoolConnection,
  clientIds: readonly number[],
  now: string,
): Promise<{ byClient: Map<number, number>; opened: number[] }> {
  await execute(
    `INSERT IGNORE INTO cases (kind, client_id, status, risk_level, priority, due_at, opened_at, updated_at)
     VALUES ${clientIds.map(() => "('client', ?, 'open', 'Low', 0, ?, ?, ?)").join(', ')}`,
    clientIds.flatMap((id) => [id, now, now, now]),
    conn,
  );
  const rows = await query<{ id: number; client_id: number; alert_count: number }>(
    'SELECT id, client_id, alert_count FROM cases WHERE open_client_key IN (?) FOR UPDATE',
    [clientIds],
    conn,
  );
  const byClient = new Map(rows.map((r) => [Number(r.client_id), Number(r.id)]));
  const opened = rows.filter((r) => Number(r.alert_count) === 0).map((r) => Number(r.id));
  if (byClient.size !== clientIds.length) throw new Error('a client case could not be opened nor found');
  return { byClient, opened };
}

/**
 * Links alerts to cases (an alert already linked is left alone); returns the new links' history rows, one per
 * alert that joined.
 */
async function linkAlerts(
  conn: PoolConnection,
  kind: 'client' | 'network',
  links: ReadonlyArray<readonly [caseId: number, alertId: number]>,
  now: string,
): Promise<CaseChange[]> {
  if (links.length === 0) return [];
  for (let i = 0; i < links.length; i += 2_000) {
    const slice = links.slice(i, i + 2_000);
    await execute(
      `INSERT IGNORE INTO case_alerts (case_id, alert_id, case_kind, attached_at) VALUES ${slice
        .map(() => '(?, ?, ?, ?)')
        .join(', ')}`,
      slice.flatMap(([caseId, alertId]) => [caseId, alertId, kind, now]),
      conn,
    );
  }
  const linked = await query<{ case_id: number; alert_id: number }>(
    'SELECT case_id, alert_id FROM case_alerts WHERE alert_id IN (?) AND case_kind = ? AND attached_at = ?',
    [links.map(([, alertId]) => alertId), kind, now],
    conn,
  );
  return linked.map((r): CaseChange => [Number(r.case_id), 'alert', null, String(r.alert_id)]);
}

/**
 * Attaches alerts to their clients' cases: opens a case for each client whose plan says so, gathering the client's
 * other alerts not yet in a case (since its last closing) — so a case holds the same alerts whether they arrived in
 * one scan or over many — and links the rest to the open cases.
 */
async function attachToClientCases(
  conn: PoolConnection,
  alertIds: readonly number[],
  now: string,
  result: AttachResult,
  isOld: (bookedAt: Date | undefined) => boolean,
): Promise<CaseChange[]> {
  const alerts = await unattachedAlerts(conn, 'client', { alertIds });
  const clientIds = [...new Set(alerts.map((a) => a.clientId))].sort((a, b) => a - b);
  if (clientIds.length === 0) return [];
  const cases = await lockClientCases(conn, clientIds);
  const plan = planAttachment(alerts, cases);
  for (const { reason } of plan.skip) result.skipped[reason]++;
  const links: Array<[number, number]> = [];
  for (const { caseId, alertIds: ids } of plan.join) for (const id of ids) links.push([caseId, id]);
  const history: CaseChange[] = [];
  if (plan.open.length) {
    const { byClient, opened } = await openClientCases(
      conn,
      plan.open.map((o) => o.clientId),
      now,
    );
    const gathered = await unattachedAlerts(conn, 'client', { clientIds: [...byClient.keys()] });
    const booked = new Map([...alerts, ...gathered].map((a) => [a.alertId, a.bookedAt]));
    for (const { clientId, alertIds: ids } of plan.open) {
      const caseId = byClient.get(clientId) as number;
      const closedAt = cases.get(clientId)?.lastClosedAt;
      const more = gathered.filter((a) => a.clientId === clientId && !(closedAt && a.bookedAt < closedAt));
      const all = [...new Set([...ids, ...more.map((a) => a.alertId)])];
      for (const id of all) links.push([caseId, id]);
      if (!opened.includes(caseId)) continue;
      result.opened.push(caseId);
      history.push([caseId, 'status', null, 'open']);
      if (all.every((id) => isOld(booked.get(id)))) result.openedOnHistory.push(caseId);
    }
  }
  history.push(...(await linkAlerts(conn, 'client', links, now)));
  return history;
}

/** True when a booking is older than `historyHours` before `now` (a DB time). */
function isHistory(bookedAt: Date | undefined, now: string, s: CaseSettings): boolean {
  return (
    bookedAt !== undefined && fromDbTime(now).getTime() - bookedAt.getTime() > s.historyHours * 3_600_000
  );
}

/** The cases already holding any of `alertIds` (their figures may have moved: a later finding raised an alert). */
async function casesHolding(conn: PoolConnection, alertIds: readonly number[]): Promise<number[]> {
  const rows = await query<{ case_id: number }>(
    'SELECT DISTINCT case_id FROM case_alerts WHERE alert_id IN (?)',
    [alertIds],
    conn,
  );
  return rows.map((r) => Number(r.case_id));
}

/**
 * Attaches the alerts `alertIds` to cases in the caller's DB transaction: each to its client's case (see
 * ./attach-plan.ts for which alert goes where; a case opened gathers the client's other uncased alerts), and the
 * alerts of a network finding spanning clients to the finding's network case (./network-cases.ts). Alerts already in
 * a case have that case's figures recomputed (a later finding may have raised their risk). Idempotent; safe under
 * concurrent calls. `by` is recorded as the actor of the changes (the person who flagged, or the job).
 *
 * @example await withTransaction((conn) => attachAlertsToCases(conn, [101, 102], 'scan'))
 */
export async function attachAlertsToCases(
  conn: PoolConnection,
  alertIds: readonly number[],
  by: string,
  s: CaseSettings = CASE_SETTINGS,
): Promise<AttachResult> {
  const result: AttachResult = {
    opened: [],
    touched: [],
    becameHigh: [],
    openedOnHistory: [],
    attached: 0,
    skipped: { 'booked-before-closed-case': 0, 'low-without-open-case': 0 },
  };
  if (alertIds.length === 0) return result;
  const now = await dbNow(conn);
  const held = await casesHolding(conn, alertIds);
  const isOld = (bookedAt: Date | undefined) => isHistory(bookedAt, now, s);
  const findings = await readNetworkFindings(conn, alertIds);
  await lockClients(conn, [...(await clientsOf(conn, alertIds)), ...findings.flatMap((f) => f.clients)]);
  const history = await attachToClientCases(conn, alertIds, now, result, isOld);
  const networkAlerts = findings.flatMap((f) => f.alerts.map((a) => a.alertId));
  const network = await attachToNetworkCases(
    conn,
    findings,
    networkAlerts.length ? await unattachedAlerts(conn, 'network', { alertIds: networkAlerts }) : [],
    now,
    isOld,
  );
  result.opened.push(...network.opened);
  result.openedOnHistory.push(...network.openedOnHistory);
  history.push(...network.history, ...(await linkAlerts(conn, 'network', network.links, now)));
  const joined = history.filter(([, field]) => field === 'alert');
  result.attached = joined.length;
  await recordCaseChanges(conn, by, now, history);
  const refreshed = await refreshCases(
    conn,
    [...new Set([...held, ...joined.map(([caseId]) => caseId), ...result.opened])],
    new Set(joined.map(([, , , alertId]) => Number(alertId))),
    by,
    now,
    s,
  );
  result.touched = [...new Set([...joined.map(([caseId]) => caseId), ...refreshed.changed])].sort(
    (a, b) => a - b,
  );
  result.becameHigh = refreshed.becameHigh;
  // Notifications: the touched cases that are High now get their one 'case_high' outbox row, in this transaction
  // (lib/notify/outbox.ts decides from the database, cases of old bookings excepted).
  await enqueueHighCaseNotifications(conn, [
    ...new Set([...result.touched, ...result.opened, ...result.becameHigh]),
  ]);
  return result;
}
