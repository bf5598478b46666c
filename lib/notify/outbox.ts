/**
 * The notifications outbox: each event that must reach people — a case becoming High, an escalation, a missed due
 * time — is one `notifications` row, written in the same DB transaction as the case change that caused it (or, for
 * a missed due time, by the check's own statement), so a notification exists exactly when its change was committed.
 * The publisher (./publisher.ts) delivers the rows.
 *
 * "Exactly one" is the unique key (case, kind, occurrence): every write here is an INSERT … SELECT that adds the row
 * only when the case qualifies *now*, read from the database, and does nothing when the row is already there — so
 * re-running a scan, retrying a request or two checks at once never make a second one.
 *
 * Cases made only of old transactions (all booked more than NOTIFY_OLD_TRANSACTION_HOURS before the case opened:
 * an import, a rescan of history) page nobody automatically; the daily digest lists them (./digest.ts).
 */
import type { PoolConnection } from 'mysql2/promise';
import { getConfig } from '../config.js';
import { execute, query, withTransaction } from '../db/pool.js';

export const NOTIFICATION_KINDS = ['case_high', 'case_escalated', 'case_overdue'] as const;
export type NotificationKind = (typeof NOTIFICATION_KINDS)[number];

/** The case as a notification carries it: figures and links, no personal data (webhooks and mail leave the bank). */
const CASE_SNAPSHOT = `JSON_OBJECT(
  'case_id', c.id, 'case_kind', c.kind, 'client_id', c.client_id, 'status', c.status, 'risk_level', c.risk_level,
  'priority', c.priority, 'amount', CAST(c.amount AS CHAR), 'alert_count', c.alert_count, 'assignee', c.assignee,
  'due_at', DATE_FORMAT(c.due_at, '%Y-%m-%dT%H:%i:%sZ'), 'opened_at', DATE_FORMAT(c.opened_at, '%Y-%m-%dT%H:%i:%sZ'))`;

/**
 * True (as SQL, `?` = the hours) for a case with at least one alert on a transaction booked less than the setting
 * before the case opened: a case of current activity, which may page. Its negation is "made of old transactions".
 * The case row keeps the booking time of its latest alerted transaction (lib/cases/refresh.ts).
 */
export const HAS_CURRENT_TRANSACTIONS = 'c.latest_booked_at >= c.opened_at - INTERVAL ? HOUR';

/** Adds a notification of `kind` for each case the `FROM cases c WHERE …` selects; an existing one is kept. */
async function enqueue(
  conn: PoolConnection,
  kind: NotificationKind,
  occurrence: string,
  where: string,
  params: unknown[],
): Promise<number> {
  const result = await execute(
    `INSERT INTO notifications (case_id, kind, occurrence, status, payload, next_attempt_at, created_at)
     SELECT c.id, ?, ${occurrence}, 'pending', ${CASE_SNAPSHOT}, NOW(3), NOW(3) FROM cases c WHERE ${where}
     ON DUPLICATE KEY UPDATE notifications.id = notifications.id`,
    [kind, ...params],
    conn,
  );
  return result.affectedRows;
}

/**
 * In the attaching transaction, after the cases `caseIds` were recomputed: a 'case_high' notification for each of
 * them that is High, not closed and of current transactions — once per case, whether it opened High or rose to High
 * later, however often the same alerts are attached again. Returns how many were added.
 *
 * @example await enqueueHighCaseNotifications(conn, result.touched)
 */
export async function enqueueHighCaseNotifications(
  conn: PoolConnection,
  caseIds: readonly number[],
): Promise<number> {
  if (caseIds.length === 0) return 0;
  return enqueue(
    conn,
    'case_high',
    "''",
    `c.id IN (?) AND c.risk_level = 'High' AND c.status <> 'closed' AND ${HAS_CURRENT_TRANSACTIONS}`,
    [caseIds, getConfig().NOTIFY_OLD_TRANSACTION_HOURS],
  );
}

/**
 * In the transaction that escalated case `caseId` (after its row was written): one 'case_escalated' notification
 * for this escalation — its occurrence is the case's new version, so a later escalation (after a lead sent the case
 * back) is another one. An escalation is a person's decision and notifies whatever the transactions' age.
 */
export async function enqueueEscalationNotification(conn: PoolConnection, caseId: number): Promise<number> {
  return enqueue(conn, 'case_escalated', 'CAST(c.version AS CHAR)', "c.id = ? AND c.status = 'escalated'", [
    caseId,
  ]);
}

/**
 * The scheduled check for missed due times: a 'case_overdue' notification for each case not closed and past its
 * due time, of current transactions, not notified for this due time yet (at most `limit` per call, oldest due
 * first). The candidates are read first; the insert checks each again and the unique key keeps a concurrent check
 * from adding a second row. Returns how many were added.
 */
export async function enqueueOverdueNotifications(limit = 1_000): Promise<number> {
  const hours = getConfig().NOTIFY_OLD_TRANSACTION_HOURS;
  const overdue = `c.status <> 'closed' AND c.due_at < NOW() AND ${HAS_CURRENT_TRANSACTIONS}`;
  const due = "DATE_FORMAT(c.due_at, '%Y-%m-%dT%H:%i:%sZ')";
  const candidates = await query<{ id: number }>(
    `SELECT c.id FROM cases c WHERE ${overdue}
       AND NOT EXISTS (SELECT 1 FROM notifications n WHERE n.case_id = c.id AND n.kind = 'case_overdue'
                       AND n.occurrence = ${due})
     ORDER BY c.due_at, c.id LIMIT ?`,
    [hours, limit],
  );
  if (candidates.length === 0) return 0;
  return withTransaction((conn) =>
    enqueue(conn, 'case_overdue', due, `c.id IN (?) AND ${overdue}`, [
      candidates.map((r) => Number(r.id)),
      hours,
    ]),
  );
}
