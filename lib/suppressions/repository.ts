/**
 * Suppressions' SQL: creating them when a case or an alert is closed as a false positive (in the caller's DB
 * transaction, so the closing and its suppressions commit together or not at all), listing them in keyset pages,
 * and revoking one. Every creation and revocation writes a suppression_history row (who, when, what); a case's
 * suppressions also appear in its own history. Every value is a bound parameter.
 */
import type { PoolConnection } from 'mysql2/promise';
import { UnprocessableError } from '../alerts/errors.js';
import { DEFAULT_LIMIT, type Page } from '../alerts/schemas.js';
import { recordChanges } from '../cases/history.js';
import { execute, type Queryable, query, type Row, withTransaction } from '../db/pool.js';
import { ForbiddenError, NotFoundError } from '../errors.js';
import type { Principal } from '../http/auth.js';
import { cursorPosition, encodeCursor, filterFingerprint } from '../http/cursor.js';
import type { SuppressionSpec } from './request.js';
import type { ListSuppressionsQuery, Suppression, SuppressionState } from './schemas.js';

/** Where a suppression comes from: the client it is for, the case or alert whose closing made it, and the note. */
interface Origin {
  clientId: number;
  caseId?: number;
  alertId?: number;
  note: string;
}

/** What a suppression covers, in words (for history rows). */
function describe(rule: string, s: SuppressionSpec): string {
  const narrowed = s.counterparty
    ? ` counterparty ${s.counterparty}`
    : s.country
      ? ` country ${s.country}`
      : '';
  return `${rule}${narrowed} until ${s.until}`;
}

/** Inserts suppressions (each with its history row) by `by` at `now`, on `conn`; resolves with their ids. */
async function insertSuppressions(
  conn: PoolConnection,
  specs: ReadonlyArray<SuppressionSpec & { rule: string }>,
  origin: Origin,
  by: string,
  now: string,
): Promise<number[]> {
  const ids: number[] = [];
  for (const s of specs) {
    const inserted = await execute(
      `INSERT INTO suppressions (rule_id, client_id, counterparty, country, expires_at, reason, created_by,
         created_at, case_id, alert_id)
       VALUES (?, ?, ?, ?, CAST(? AS DATE) + INTERVAL 1 DAY, ?, ?, ?, ?, ?)`,
      [
        s.rule,
        origin.clientId,
        s.counterparty ?? null,
        s.country ?? null,
        s.until,
        s.reason ?? origin.note,
        by,
        now,
        origin.caseId ?? null,
        origin.alertId ?? null,
      ],
      conn,
    );
    await execute(
      `INSERT INTO suppression_history (suppression_id, changed_at, changed_by, action, note)
       VALUES (?, ?, ?, 'created', ?)`,
      [inserted.insertId, now, by, `${describe(s.rule, s)}, client ${origin.clientId}`.slice(0, 255)],
      conn,
    );
    ids.push(inserted.insertId);
  }
  return ids;
}

/**
 * Adds the suppressions a case's closing as a false positive asks for, on `conn` (the closing's transaction): each
 * rule must be one of the case's alerts' rules, and the case must be a client case (a network case names several
 * clients: close each client's case instead). Throws UnprocessableError (422) otherwise — rolling the closing back.
 */
export async function addCaseSuppressions(
  conn: PoolConnection,
  caseId: number,
  specs: ReadonlyArray<SuppressionSpec & { rule: string }>,
  by: string,
  now: string,
  note: string,
): Promise<number[]> {
  const [c] = await query<{ client_id: number | null }>(
    'SELECT client_id FROM cases WHERE id = ?',
    [caseId],
    conn,
  );
  if (!c || c.client_id === null) {
    throw new UnprocessableError(
      `Case ${caseId} is a network case: suppress from each of its clients’ cases, which name one client`,
    );
  }
  const rules = await query<{ rule_id: string }>(
    `SELECT DISTINCT a.rule_id FROM case_alerts ca JOIN alerts a ON a.id = ca.alert_id
     WHERE ca.case_id = ? AND a.rule_id IS NOT NULL`,
    [caseId],
    conn,
  );
  const known = new Set(rules.map((r) => String(r.rule_id)));
  const unknown = specs.filter((s) => !known.has(s.rule)).map((s) => s.rule);
  if (unknown.length > 0) {
    throw new UnprocessableError(
      `Case ${caseId} has no alert of ${unknown.join(', ')}; it can suppress ${[...known].join(', ') || 'no rule'}`,
    );
  }
  const ids = await insertSuppressions(conn, specs, { clientId: Number(c.client_id), caseId, note }, by, now);
  await recordChanges(
    conn,
    caseId,
    by,
    now,
    specs.map((s, i) => ['suppression', null, `#${ids[i]} ${describe(s.rule, s)}`]),
  );
  return ids;
}

/**
 * Adds the suppression an alert's closing as a false positive asks for — the alert's rule, for its client — on
 * `conn` (the closing's transaction). Throws UnprocessableError (422) for an alert without a rule (an analyst's flag).
 */
export async function addAlertSuppression(
  conn: PoolConnection,
  alertId: number,
  spec: SuppressionSpec,
  by: string,
  note: string,
): Promise<number> {
  const [a] = await query<{ rule_id: string | null; client_id: number; now: string }>(
    `SELECT a.rule_id, ac.client_id, NOW(3) AS now FROM alerts a
     JOIN transactions t ON t.id = a.transaction_id JOIN accounts ac ON ac.id = t.account_id WHERE a.id = ?`,
    [alertId],
    conn,
  );
  if (!a?.rule_id) {
    throw new UnprocessableError(`Alert ${alertId} was flagged by an analyst: there is no rule to suppress`);
  }
  const [id] = await insertSuppressions(
    conn,
    [{ ...spec, rule: a.rule_id }],
    { clientId: Number(a.client_id), alertId, note },
    by,
    String(a.now),
  );
  return id as number;
}

/** A suppression's state as SQL, from its columns (`s` suppressions). */
const STATE_SQL = `CASE WHEN s.revoked_at IS NOT NULL THEN 'revoked'
  WHEN s.expires_at <= NOW() THEN 'expired' ELSE 'active' END`;

const STATE_WHERE: Record<SuppressionState, string> = {
  active: 's.revoked_at IS NULL AND s.expires_at > NOW()',
  expired: 's.revoked_at IS NULL AND s.expires_at <= NOW()',
  revoked: 's.revoked_at IS NOT NULL',
};

const COLUMNS = `s.id, s.rule_id, s.client_id, CONCAT(cl.first_name, ' ', cl.last_name) AS client_name,
  s.counterparty, s.country, DATE_FORMAT(s.expires_at - INTERVAL 1 DAY, '%Y-%m-%d') AS until, ${STATE_SQL} AS state,
  s.reason, s.created_by, s.created_at, s.case_id, s.alert_id, s.revoked_at, s.revoked_by,
  (SELECT COUNT(*) FROM alerts a WHERE a.suppression_id = s.id) AS findings_suppressed`;

const numOrNull = (v: unknown) => (v === null ? null : Number(v));

/** A DB time `YYYY-MM-DD HH:MM:SS[.fff]` (UTC) as ISO 8601, as the other routes show times. */
function isoTime(value: string): string;
function isoTime(value: string | null): string | null;
function isoTime(value: string | null): string | null {
  return value === null ? null : `${value.replace(' ', 'T')}Z`;
}

/** Suppressions of `rows` with their history (one more query for all of them). */
async function withHistory(rows: Row[], db?: Queryable): Promise<Suppression[]> {
  const ids = rows.map((r) => Number(r.id));
  const history =
    ids.length === 0
      ? []
      : await query(
          `SELECT suppression_id, changed_at, changed_by, action, note FROM suppression_history
           WHERE suppression_id IN (?) ORDER BY changed_at, id`,
          [ids],
          db,
        );
  return rows.map((r) => ({
    id: Number(r.id),
    rule_id: String(r.rule_id),
    client_id: Number(r.client_id),
    client_name: String(r.client_name),
    counterparty: (r.counterparty as string | null) ?? null,
    country: (r.country as string | null) ?? null,
    until: String(r.until),
    state: r.state as SuppressionState,
    reason: String(r.reason),
    created_by: String(r.created_by),
    created_at: isoTime(String(r.created_at)),
    case_id: numOrNull(r.case_id),
    alert_id: numOrNull(r.alert_id),
    revoked_at: isoTime((r.revoked_at as string | null) ?? null),
    revoked_by: (r.revoked_by as string | null) ?? null,
    findings_suppressed: Number(r.findings_suppressed),
    history: history
      .filter((h) => Number(h.suppression_id) === Number(r.id))
      .map((h) => ({
        changed_at: isoTime(String(h.changed_at)),
        changed_by: String(h.changed_by),
        action: h.action as 'created' | 'revoked',
        note: (h.note as string | null) ?? null,
      })),
  }));
}

export type SuppressionPage = Page<Suppression>;

/**
 * One page of suppressions, newest first (keyset on id: a page never skips or repeats one), filtered by state,
 * client and rule.
 *
 * @example await listSuppressions({ state: 'active', client_id: 42 })
 */
export async function listSuppressions(q: ListSuppressionsQuery, db?: Queryable): Promise<SuppressionPage> {
  const { cursor, limit = DEFAULT_LIMIT, ...filters } = q;
  const fingerprint = filterFingerprint(filters);
  const where: string[] = [];
  const params: unknown[] = [];
  if (filters.state) where.push(STATE_WHERE[filters.state]);
  if (filters.client_id) {
    where.push('s.client_id = ?');
    params.push(filters.client_id);
  }
  if (filters.rule) {
    where.push('s.rule_id = ?');
    params.push(filters.rule);
  }
  if (cursor) {
    const [id] = cursorPosition(cursor, fingerprint, ['id']);
    where.push('s.id < ?');
    params.push(id);
  }
  const rows = await query(
    `SELECT ${COLUMNS} FROM suppressions s JOIN clients cl ON cl.id = s.client_id
     ${where.length > 0 ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY s.id DESC LIMIT ?`,
    [...params, limit + 1],
    db,
  );
  const page = rows.slice(0, limit);
  const last = page.at(-1);
  const next_cursor = rows.length > limit && last ? encodeCursor([Number(last.id)], fingerprint) : null;
  return { data: await withHistory(page, db), limit, next_cursor };
}

/** One suppression with its history; NotFoundError when there is none. */
export async function getSuppression(id: number, db?: Queryable): Promise<Suppression> {
  const rows = await query(
    `SELECT ${COLUMNS} FROM suppressions s JOIN clients cl ON cl.id = s.client_id WHERE s.id = ?`,
    [id],
    db,
  );
  if (rows.length === 0) throw new NotFoundError(`There is no suppression ${id}`);
  return (await withHistory(rows, db))[0] as Suppression;
}

/**
 * Revokes suppression `id` by `by` — a lead, or the person who created it — under its row lock, with a history row:
 * from now on it suppresses nothing new (findings it kept as suppressed stay so). Revoking a revoked one changes
 * nothing (idempotent). Throws NotFoundError (404) or ForbiddenError (403).
 */
export async function revokeSuppression(id: number, by: Principal): Promise<void> {
  await withTransaction(async (conn) => {
    const [row] = await query<{ created_by: string; revoked_at: string | null }>(
      'SELECT created_by, revoked_at FROM suppressions WHERE id = ? FOR UPDATE',
      [id],
      conn,
    );
    if (!row) throw new NotFoundError(`There is no suppression ${id}`);
    if (by.role !== 'lead' && row.created_by !== by.name) {
      throw new ForbiddenError(
        `Suppression ${id} was created by ${row.created_by}: only they or a lead may revoke it`,
      );
    }
    if (row.revoked_at !== null) return;
    await execute(
      'UPDATE suppressions SET revoked_at = NOW(3), revoked_by = ? WHERE id = ?',
      [by.name, id],
      conn,
    );
    await execute(
      `INSERT INTO suppression_history (suppression_id, changed_at, changed_by, action, note)
       SELECT id, revoked_at, revoked_by, 'revoked', NULL FROM suppressions WHERE id = ?`,
      [id],
      conn,
    );
  });
}
