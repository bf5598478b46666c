/**
 * The cases API's writes: PATCH /cases/{id} (assign, move, dispose, annotate) and POST /cases/{id}/notes. Each runs in
 * one DB transaction under the case's row lock, checks the caller's role and the If-Match version against the row
 * as it is now, and writes the change, its history rows and its effect on the case's alerts together.
 *
 * Closing a case closes its open alerts with the case's disposition; a lead reopening a case reopens the alerts
 * its closing closed (each alert's own history says so). Reopening a case a client has since got a new open case
 * for is refused (409): one open case per client.
 */
import type { PoolConnection } from 'mysql2/promise';
import { UnprocessableError } from '../alerts/errors.js';
import { execute, query, withTransaction } from '../db/pool.js';
import {
  ConflictError,
  ForbiddenError,
  NotFoundError,
  PreconditionFailedError,
  PreconditionRequiredError,
} from '../errors.js';
import type { Principal } from '../http/auth.js';
import { enqueueEscalationNotification } from '../notify/outbox.js';
import { addCaseSuppressions } from '../suppressions/repository.js';
import { type Change, dbNow, recordChanges } from './history.js';
import type { CaseStatus, UpdateCaseBody } from './schemas.js';
import { assigneeAfter, type CaseRequest, type CaseState, judgeCaseChange } from './workflow.js';

interface LockedCase extends CaseState {
  version: number;
  kind: 'client' | 'network';
  disposition: string | null;
}

/**
 * The version an If-Match header names: `"7"` (the ETag as sent) or `7`. Throws PreconditionRequiredError (428)
 * when it is missing or names no version (`*` included: a change must say which version it was based on).
 */
export function versionFromIfMatch(header: string | undefined): number {
  const match = /^\s*(?:"(\d{1,9})"|(\d{1,9}))\s*$/.exec(header ?? '');
  if (!match) {
    throw new PreconditionRequiredError(
      'Send If-Match with the case’s ETag (its version, e.g. If-Match: "3") from GET /cases/{id}',
    );
  }
  return Number(match[1] ?? match[2]);
}

/** The ETag header value of a case version. */
export const etag = (version: number) => `"${version}"`;

/** Locks the case row and checks it exists, the caller may do `req`, and `ifMatch` is its version (in that order). */
async function lockCase(
  conn: PoolConnection,
  id: number,
  req: CaseRequest,
  by: Principal,
  ifMatch: number | undefined,
): Promise<LockedCase> {
  const [row] = await query(
    'SELECT id, kind, status, assignee, disposition, version FROM cases WHERE id = ? FOR UPDATE',
    [id],
    conn,
  );
  if (!row) throw new NotFoundError(`There is no case ${id}`);
  const c: LockedCase = {
    id: Number(row.id),
    kind: row.kind as LockedCase['kind'],
    status: row.status as CaseStatus,
    assignee: (row.assignee as string | null) ?? null,
    disposition: (row.disposition as string | null) ?? null,
    version: Number(row.version),
  };
  const refusal = judgeCaseChange(c, req, by);
  if (refusal?.status === 403) throw new ForbiddenError(refusal.message);
  if (ifMatch !== undefined && ifMatch !== c.version) {
    throw new PreconditionFailedError(
      `Case ${id} has changed since version ${ifMatch} (it is at ${c.version}); read it again and retry`,
    );
  }
  if (refusal) throw new ConflictError(refusal.message);
  return c;
}

/** True when the case's latest note is this one by this person: a retried request, not a second note. */
async function isRepeatNote(
  conn: PoolConnection,
  caseId: number,
  note: string,
  by: string,
): Promise<boolean> {
  const [last] = await query<{ author: string; body: string }>(
    'SELECT author, body FROM case_notes WHERE case_id = ? ORDER BY created_at DESC, id DESC LIMIT 1',
    [caseId],
    conn,
  );
  return last?.author === by && last.body === note;
}

/** Adds a note (and its history row). */
async function insertNote(conn: PoolConnection, caseId: number, note: string, by: string, now: string) {
  await execute(
    'INSERT INTO case_notes (case_id, created_at, author, body) VALUES (?, ?, ?, ?)',
    [caseId, now, by, note],
    conn,
  );
  await recordChanges(conn, caseId, by, now, [['note', null, note]]);
}

/** The note of an alert closed by its case's closing: what a reopening looks for. */
const closedWith = (c: LockedCase) => `closed with case ${c.id}`;

/** Closes the case's alerts that are not closed yet, with the case's disposition; each alert's history says why. */
async function closeCaseAlerts(
  conn: PoolConnection,
  c: LockedCase,
  disposition: string,
  by: string,
  now: string,
) {
  const open = await query<{ id: number; status: string }>(
    `SELECT a.id, a.status FROM case_alerts ca JOIN alerts a ON a.id = ca.alert_id
     WHERE ca.case_id = ? AND a.status <> 'closed' FOR UPDATE`,
    [c.id],
    conn,
  );
  if (open.length === 0) return;
  await execute(
    "UPDATE alerts SET status = 'closed', disposition = ? WHERE id IN (?)",
    [disposition, open.map((a) => a.id)],
    conn,
  );
  await alertHistory(conn, open, 'closed', disposition, closedWith(c), by, now);
}

/**
 * Reopens the alerts the case's closing closed: its closed alerts whose latest history row is that closing (an alert
 * an analyst closed on its own before stays closed).
 */
async function reopenCaseAlerts(conn: PoolConnection, c: LockedCase, by: string, now: string) {
  const closed = await query<{ id: number; status: string }>(
    `SELECT a.id, a.status FROM case_alerts ca JOIN alerts a ON a.id = ca.alert_id
     WHERE ca.case_id = ? AND a.status = 'closed'
       AND (SELECT h.note FROM alert_history h WHERE h.alert_id = a.id
            ORDER BY h.changed_at DESC, h.id DESC LIMIT 1) = ?
     FOR UPDATE`,
    [c.id, closedWith(c)],
    conn,
  );
  if (closed.length === 0) return;
  await execute(
    "UPDATE alerts SET status = 'open', disposition = NULL WHERE id IN (?)",
    [closed.map((a) => a.id)],
    conn,
  );
  await alertHistory(conn, closed, 'open', null, `reopened with case ${c.id}`, by, now);
}

async function alertHistory(
  conn: PoolConnection,
  alerts: ReadonlyArray<{ id: number; status: string }>,
  to: string,
  disposition: string | null,
  note: string,
  by: string,
  now: string,
) {
  await execute(
    `INSERT INTO alert_history (alert_id, changed_at, changed_by, from_status, to_status, disposition, note)
     VALUES ${alerts.map(() => '(?, ?, ?, ?, ?, ?, ?)').join(', ')}`,
    alerts.flatMap((a) => [a.id, now, by, a.status, to, disposition, note]),
    conn,
  );
}

const isDuplicate = (error: unknown) => (error as { code?: string }).code === 'ER_DUP_ENTRY';

/** Writes the case row's new status, disposition and assignee (bumping its version); 409 on a second open case. */
async function writeCase(
  conn: PoolConnection,
  c: LockedCase,
  next: { status: CaseStatus; disposition: string | null; assignee: string | null },
  now: string,
) {
  try {
    await execute(
      `UPDATE cases SET status = ?, disposition = ?, assignee = ?, version = version + 1, updated_at = ?,
         closed_at = CASE WHEN ? = 'closed' THEN COALESCE(closed_at, ?) END
       WHERE id = ?`,
      [next.status, next.disposition, next.assignee, now, next.status, now, c.id],
      conn,
    );
  } catch (error) {
    if (!isDuplicate(error)) throw error;
    throw new ConflictError(
      `Case ${c.id} cannot be reopened: the client has another open case (GET /cases?client_id=…); work that one`,
    );
  }
}

/**
 * Applies a PATCH to case `id` by `by`, based on version `ifMatch`. `people` are the names a case may be assigned
 * to. A request that changes nothing (a retry: the same status, and a note that is already the case's latest by the
 * same person) writes nothing and keeps the version. Throws NotFoundError (404),
 * ForbiddenError (403), PreconditionFailedError (412), ConflictError (409: a move the workflow has not, another
 * disposition for a closed case) or UnprocessableError (422: an assignee who is nobody, or a viewer).
 */
export async function updateCase(
  id: number,
  body: UpdateCaseBody,
  ifMatch: number,
  by: Principal,
  people: ReadonlySet<string>,
): Promise<void> {
  if (body.assignee && !people.has(body.assignee)) {
    throw new UnprocessableError(
      `${body.assignee} is not someone who works cases (an analyst or lead key's name)`,
    );
  }
  await withTransaction(async (conn) => {
    const c = await lockCase(conn, id, body, by, ifMatch);
    const now = await dbNow(conn);
    const status = body.status ?? c.status;
    const next = {
      status,
      disposition: status === 'closed' ? (body.disposition ?? c.disposition) : null,
      assignee: assigneeAfter(c, body, by),
    };
    if (c.status === 'closed' && status === 'closed' && next.disposition !== c.disposition) {
      throw new ConflictError(
        `Case ${id} is closed as ${c.disposition}; a lead may reopen it to decide again`,
      );
    }
    const changes: Change[] = [
      ['status', c.status, next.status],
      ['disposition', c.disposition, next.disposition],
      ['assignee', c.assignee, next.assignee],
    ];
    const note = body.note && !(await isRepeatNote(conn, id, body.note, by.name)) ? body.note : undefined;
    if (!note && changes.every(([, from, to]) => from === to)) return; // a retry: nothing to write
    await writeCase(conn, c, next, now);
    await recordChanges(conn, id, by.name, now, changes);
    if (note) await insertNote(conn, id, note, by.name, now);
    if (status === 'closed' && c.status !== 'closed') {
      await closeCaseAlerts(conn, c, next.disposition as string, by.name, now);
      // Closing as a false positive may stop the same findings for a while (docs/cases.md "Suppressions").
      if (body.suppress) await addCaseSuppressions(conn, id, body.suppress, by.name, now, body.note ?? '');
    }
    if (c.status === 'closed' && status !== 'closed') await reopenCaseAlerts(conn, c, by.name, now);
    if (status === 'escalated' && c.status !== 'escalated') await enqueueEscalationNotification(conn, id);
  });
}

/**
 * Adds a note to case `id` by `by` (who must be allowed to work it) and bumps its version. A retry (the case's
 * latest note is this one by the same person) adds nothing.
 */
export async function addCaseNote(id: number, note: string, by: Principal): Promise<void> {
  await withTransaction(async (conn) => {
    await lockCase(conn, id, {}, by, undefined);
    if (await isRepeatNote(conn, id, note, by.name)) return;
    const now = await dbNow(conn);
    await execute('UPDATE cases SET version = version + 1, updated_at = ? WHERE id = ?', [now, id], conn);
    await insertNote(conn, id, note, by.name, now);
  });
}
