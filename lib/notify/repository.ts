/**
 * The notifications API's reads and its one write: the outbox as a list (newest first, keyset pages on the id),
 * with each destination's outcome, and a lead's retry of a failed notification.
 */
import { parseJsonColumn } from '../alerts/json-column.js';
import { isoTime } from '../alerts/repository.js';
import { DEFAULT_LIMIT, type Page } from '../alerts/schemas.js';
import { execute, type Queryable, query, type Row } from '../db/pool.js';
import { ConflictError, NotFoundError } from '../errors.js';
import { cursorPosition, encodeCursor, filterFingerprint } from '../http/cursor.js';
import type { ListNotificationsQuery, Notification } from './schemas.js';

export type NotificationPage = Page<Notification>;

const COLUMNS = `id, case_id, kind, status, attempts, next_attempt_at, last_error, created_at, sent_at, payload`;

/** The rows with their deliveries, in the order given. */
async function withDeliveries(rows: Row[], db?: Queryable): Promise<Notification[]> {
  const ids = rows.map((r) => Number(r.id));
  const deliveries =
    ids.length === 0
      ? []
      : await query(
          `SELECT notification_id, destination, status, attempts, last_error, updated_at
           FROM notification_deliveries WHERE notification_id IN (?) ORDER BY destination`,
          [ids],
          db,
        );
  return rows.map((r) => ({
    id: Number(r.id),
    case_id: Number(r.case_id),
    kind: r.kind as Notification['kind'],
    status: r.status as Notification['status'],
    attempts: Number(r.attempts),
    next_attempt_at: r.status === 'pending' ? isoTime(String(r.next_attempt_at)) : null,
    last_error: (r.last_error as string | null) ?? null,
    created_at: isoTime(String(r.created_at)),
    sent_at: isoTime((r.sent_at as string | null) ?? null),
    deliveries: deliveries
      .filter((d) => Number(d.notification_id) === Number(r.id))
      .map((d) => ({
        destination: String(d.destination),
        status: d.status as 'sent' | 'failed',
        attempts: Number(d.attempts),
        last_error: (d.last_error as string | null) ?? null,
        updated_at: isoTime(String(d.updated_at)),
      })),
    case: parseJsonColumn(r.payload) as Record<string, unknown>,
  }));
}

/**
 * One page of notifications, newest first, filtered by status, kind and case.
 *
 * @example await listNotifications({ status: 'failed', limit: 20 })
 */
export async function listNotifications(
  q: ListNotificationsQuery,
  db?: Queryable,
): Promise<NotificationPage> {
  const { cursor, limit = DEFAULT_LIMIT, ...filters } = q;
  const fingerprint = filterFingerprint(filters);
  const where: string[] = [];
  const params: unknown[] = [];
  const add = (condition: string, value: unknown) => {
    where.push(condition);
    params.push(value);
  };
  if (filters.status) add('status = ?', filters.status);
  if (filters.kind) add('kind = ?', filters.kind);
  if (filters.case_id) add('case_id = ?', filters.case_id);
  if (cursor) add('id < ?', cursorPosition(cursor, fingerprint, ['id'])[0]);
  const rows = await query(
    `SELECT ${COLUMNS} FROM notifications ${where.length > 0 ? `WHERE ${where.join(' AND ')}` : ''}
     ORDER BY id DESC LIMIT ?`,
    [...params, limit + 1],
    db,
  );
  const page = rows.slice(0, limit);
  const last = page.at(-1);
  return {
    data: await withDeliveries(page, db),
    limit,
    next_cursor: rows.length > limit && last ? encodeCursor([Number(last.id)], fingerprint) : null,
  };
}

/** One notification; NotFoundError when there is none. */
export async function readNotification(id: number, db?: Queryable): Promise<Notification> {
  const rows = await query(`SELECT ${COLUMNS} FROM notifications WHERE id = ?`, [id], db);
  if (rows.length === 0) throw new NotFoundError(`There is no notification ${id}`);
  return (await withDeliveries(rows, db))[0] as Notification;
}

/**
 * Puts a failed notification back in the queue: a fresh set of rounds, due now (destinations that took it already
 * are not sent it again). 409 unless it is failed; a retry of one already pending is that.
 */
export async function retryNotification(id: number): Promise<void> {
  const result = await execute(
    `UPDATE notifications SET status = 'pending', attempts = 0, next_attempt_at = NOW(3), claimed_by = NULL,
       claimed_until = NULL WHERE id = ? AND status = 'failed'`,
    [id],
  );
  if (result.affectedRows === 1) return;
  const [row] = await query<{ status: string }>('SELECT status FROM notifications WHERE id = ?', [id]);
  if (!row) throw new NotFoundError(`There is no notification ${id}`);
  if (row.status !== 'pending') {
    throw new ConflictError(`Notification ${id} is ${row.status}; only a failed one can be retried`);
  }
}
