/**
 * Attaching alerts to cases, in the caller's DB transaction (the scan's, or POST /alerts'), so an alert and its
 * place in a case are committed together or not at all.
 *
 * Safe to run again and to run concurrently: the clients concerned are locked first (`SELECT … FOR UPDATE` on their
 * rows, in id order, so two attachers never wait on each other in a cycle), then their cases and links are read
 * with locking reads (which see what a concurrent attacher committed, where the transaction's snapshot would not);
 * an alert already in a case is left where it is (and case_alerts' key would refuse it twice); a case is
 * opened with INSERT IGNORE against the unique "one open case per client" key and then read back, so even a writer
 * that skipped the lock could not open a second one. Each touched case's risk, amount, signals, priority and due time are then recomputed from all of its
 * alerts — the same answer however many times, and in whatever grouping, its alerts arrived.
 */
import type { PoolConnection } from 'mysql2/promise';
import type { RiskLevel } from '../alerts/schemas.js';
import { execute, query } from '../db/pool.js';
import { enqueueHighCaseNotifications } from '../notify/outbox.js';
import { type ClientCases, type NewAlert, planAttachment, type SkipReason } from './attach-plan.js';
import { type Change, dbNow, fromDbTime, recordChanges, toDbTime } from './history.js';
import { casePriority, dueTime, maxRisk, signalOf } from './priority.js';
import { CASE_SETTINGS, type CaseSettings } from './settings.js';

export interface AttachResult {
  /** Cases opened by these alerts. */
  opened: number[];
  /** Cases (opened or existing) that gained alerts. */
  touched: number[];
  attached: number;
  skipped: Record<SkipReason, number>;
}

/** The clients whose transactions `alertIds` are on, ascending (the order their rows are locked in). */
async function clientsOf(conn: PoolConnection, alertIds: readonly number[]): Promise<number[]> {
  const rows = await query<{ client_id: number }>(
    `SELECT DISTINCT ac.client_id FROM alerts a
     JOIN transactions t ON t.id = a.transaction_id JOIN accounts ac ON ac.id = t.account_id
     WHERE a.id IN (?) ORDER BY ac.client_id`,
    [alertIds],
    conn,
  );
  return rows.map((r) => Number(r.client_id));
}

/**
 * The alerts among `alertIds` not closed and not yet in a client case, with their client and booking time. Links
 * are read with a locking read: it sees what a concurrent attacher committed after this transaction's snapshot.
 */
async function unattachedAlerts(conn: PoolConnection, alertIds: readonly number[]): Promise<NewAlert[]> {
  const linked = await query<{ alert_id: number }>(
    `SELECT alert_id FROM case_alerts WHERE alert_id IN (?) AND case_kind = 'client' LOCK IN SHARE MODE`,
    [alertIds],
    conn,
  );
  const done = new Set(linked.map((r) => Number(r.alert_id)));
  const rows = await query<{ id: number; client_id: number; risk_level: RiskLevel; booked: string }>(
    `SELECT a.id, ac.client_id, a.risk_level, t.date AS booked
     FROM alerts a
     JOIN transactions t ON t.id = a.transaction_id
     JOIN accounts ac ON ac.id = t.account_id
     WHERE a.id IN (?) AND a.status NOT IN ('closed', 'suppressed')`,
    [alertIds],
    conn,
  );
  return rows
    .filter((r) => !done.has(Number(r.id)))
    .map((r) => ({
      alertId: Number(r.id),
      clientId: Number(r.client_id),
      risk: r.risk_level,
      bookedAt: fromDbTime(r.booked),
    }));
}

/**
 * Locks the clients' rows (in id order: two attachers never wait on each other in a cycle) and then their cases,
 * and returns each client's open case and latest closing — read under the locks, so as committed, not as this
 * transaction's snapshot saw them.
 */
async function lockClientCases(conn: PoolConnection, clientIds: number[]): Promise<Map<number, ClientCases>> {
  await query('SELECT id FROM clients WHERE id IN (?) ORDER BY id FOR UPDATE', [clientIds], conn);
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

/** Opens the client's case (or finds the one a concurrent writer opened) and returns its id. */
async function openClientCase(
  conn: PoolConnection,
  clientId: number,
  by: string,
  now: string,
): Promise<{ caseId: number; opened: boolean }> {
  const inserted = await execute(
    `INSERT IGNORE INTO cases (kind, client_id, status, risk_level, priority, due_at, opened_at, updated_at)
     VALUES ('client', ?, 'open', 'Low', 0, ?, ?, ?)`,
    [clientId, now, now, now],
    conn,
  );
  if (inserted.affectedRows === 1) {
    await recordChanges(conn, inserted.insertId, by, now, [['status', null, 'open']]);
    return { caseId: inserted.insertId, opened: true };
  }
  const [row] = await query<{ id: number }>(
    'SELECT id FROM cases WHERE open_client_key = ? FOR UPDATE',
    [clientId],
    conn,
  );
  if (!row) throw new Error(`client ${clientId}: a case could not be opened nor found`);
  return { caseId: Number(row.id), opened: false };
}

/** Links alerts to a case (an alert already linked is left alone); records each new link. */
async function linkAlerts(conn: PoolConnection, caseId: number, alertIds: number[], by: string, now: string) {
  const result = await execute(
    `INSERT IGNORE INTO case_alerts (case_id, alert_id, case_kind, attached_at) VALUES ${alertIds
      .map(() => "(?, ?, 'client', ?)")
      .join(', ')}`,
    alertIds.flatMap((id) => [caseId, id, now]),
    conn,
  );
  const linked = await query<{ alert_id: number }>(
    'SELECT alert_id FROM case_alerts WHERE case_id = ? AND alert_id IN (?) AND attached_at = ?',
    [caseId, alertIds, now],
    conn,
  );
  await recordChanges(
    conn,
    caseId,
    by,
    now,
    linked.map((r): Change => ['alert', null, String(r.alert_id)]),
  );
  return result.affectedRows;
}

/**
 * Recomputes a case's figures from all of its alerts (risk, amount over distinct transactions, independent
 * signals, count), its priority and due time, bumps its version and records what changed.
 */
async function refreshCase(
  conn: PoolConnection,
  caseId: number,
  by: string,
  now: string,
  s: CaseSettings = CASE_SETTINGS,
): Promise<void> {
  const [current] = await query<{
    risk_level: RiskLevel;
    priority: number;
    due_at: string;
    alert_count: number;
  }>('SELECT risk_level, priority, due_at, alert_count FROM cases WHERE id = ? FOR UPDATE', [caseId], conn);
  if (!current) return;
  const alerts = await query<{ risk_level: RiskLevel; rule_id: string | null; tx: number; amount: string }>(
    `SELECT a.risk_level, a.rule_id, t.id AS tx, ABS(t.amount) AS amount
     FROM case_alerts ca JOIN alerts a ON a.id = ca.alert_id JOIN transactions t ON t.id = a.transaction_id
     WHERE ca.case_id = ? LOCK IN SHARE MODE`,
    [caseId],
    conn,
  );
  const risk = alerts.reduce<RiskLevel>((r, a) => maxRisk(r, a.risk_level), 'Low');
  const amounts = new Map(alerts.map((a) => [Number(a.tx), Number(a.amount)]));
  const amount = [...amounts.values()].reduce((sum, x) => sum + x, 0);
  const signals = new Set(alerts.map((a) => signalOf(a.rule_id))).size;
  const priority = casePriority({ risk, amount, signals }, s);
  const fresh = Number(current.alert_count) === 0;
  const raised = fresh || maxRisk(current.risk_level, risk) !== current.risk_level;
  const due = raised
    ? dueTime(risk, fromDbTime(now), fresh ? null : fromDbTime(current.due_at), s)
    : fromDbTime(current.due_at);
  const dueAt = toDbTime(due ?? fromDbTime(current.due_at));
  await execute(
    `UPDATE cases SET risk_level = ?, priority = ?, amount = ?, rule_count = ?, alert_count = ?, due_at = ?,
       version = version + 1, updated_at = ? WHERE id = ?`,
    [risk, priority, amount.toFixed(2), signals, alerts.length, dueAt, now, caseId],
    conn,
  );
  await recordChanges(conn, caseId, by, now, [
    ['risk_level', fresh ? null : current.risk_level, risk],
    ['priority', fresh ? null : String(current.priority), String(priority)],
    ['due_at', fresh ? null : current.due_at, dueAt],
  ]);
}

/**
 * Attaches the alerts `alertIds` to their clients' cases in the caller's DB transaction, opening cases as needed
 * (see ./attach-plan.ts for which alert goes where). Idempotent; safe under concurrent calls. `by` is recorded as
 * the actor of the changes (the person who flagged, or the job).
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
    attached: 0,
    skipped: { 'booked-before-closed-case': 0, 'low-without-open-case': 0 },
  };
  if (alertIds.length === 0) return result;
  const clientIds = await clientsOf(conn, alertIds);
  if (clientIds.length === 0) return result;
  const cases = await lockClientCases(conn, clientIds);
  const plan = planAttachment(await unattachedAlerts(conn, alertIds), cases);
  const now = await dbNow(conn);
  const targets = [...plan.join];
  for (const { clientId, alertIds: ids } of plan.open) {
    const { caseId, opened } = await openClientCase(conn, clientId, by, now);
    if (opened) result.opened.push(caseId);
    targets.push({ caseId, alertIds: ids });
  }
  for (const { caseId, alertIds: ids } of targets) {
    result.attached += await linkAlerts(conn, caseId, ids, by, now);
    await refreshCase(conn, caseId, by, now, s);
    result.touched.push(caseId);
  }
  for (const { reason } of plan.skip) result.skipped[reason]++;
  // Notifications hook: the touched cases that are High now get their one 'case_high' outbox row, in this transaction.
  await enqueueHighCaseNotifications(conn, result.touched);
  return result;
}
