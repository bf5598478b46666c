/**
 * The alerts API's SQL: list (keyset pages), detail, analyst flags and workflow changes. Every value is a bound
 * parameter; only fixed fragments chosen by code are concatenated.
 */

import { attachAlertsToCases } from '../cases/attach.js';
import { execute, type Queryable, query, withTransaction } from '../db/pool.js';
import { ConflictError, ForbiddenError, NotFoundError } from '../errors.js';
import type { Principal, Role } from '../http/auth.js';
import { cursorPosition, encodeCursor, filterFingerprint } from '../http/cursor.js';
import { addAlertSuppression } from '../suppressions/repository.js';
import { UnprocessableError } from './errors.js';
import { parseJsonColumn } from './json-column.js';
import { piiFor } from './masking.js';
import {
  type AlertDetail,
  type AlertStatus,
  type AlertSummary,
  type CreateAlertBody,
  DEFAULT_LIMIT,
  type ListAlertsQuery,
  type Page,
  risksFrom,
  type UpdateAlertBody,
} from './schemas.js';
import { isReopen, transitionProblem } from './workflow.js';

/** `YYYY-MM-DD HH:MM:SS[.fff]` (the DB's wall clock, UTC) → ISO 8601 `YYYY-MM-DDTHH:MM:SS[.fff]Z`. */
export function isoTime(value: string): string;
export function isoTime(value: string | null): string | null;
export function isoTime(value: string | null): string | null {
  return value === null ? null : `${value.replace(' ', 'T')}Z`;
}

const num = (value: unknown): number => Number(value);
const numOrNull = (value: unknown): number | null => (value === null ? null : Number(value));

/** Columns of an alert summary; `a` alerts, `t` transactions, `ac` accounts. */
export const SUMMARY_COLUMNS = `a.id, a.transaction_id, t.account_id, ac.client_id, a.reason, a.rule_id, a.risk_level,
  a.score, a.status, a.disposition, a.flagged_by, a.created_by, a.alert_date, a.updated_at, t.amount, t.currency,
  t.date AS transaction_date`;

export type SummaryRow = Record<string, unknown> & { alert_date: string };

/** An alert summary from a row of SUMMARY_COLUMNS. */
export function toSummary(row: SummaryRow): AlertSummary {
  return {
    id: num(row.id),
    transaction_id: num(row.transaction_id),
    account_id: num(row.account_id),
    client_id: num(row.client_id),
    reason: String(row.reason),
    rule_id: (row.rule_id as string | null) ?? null,
    risk_level: row.risk_level as AlertSummary['risk_level'],
    score: numOrNull(row.score),
    status: row.status as AlertSummary['status'],
    disposition: (row.disposition as AlertSummary['disposition']) ?? null,
    flagged_by: row.flagged_by as AlertSummary['flagged_by'],
    created_by: (row.created_by as string | null) ?? null,
    alert_date: isoTime(row.alert_date),
    updated_at: isoTime(String(row.updated_at)),
    amount: String(row.amount),
    currency: String(row.currency),
    transaction_date: isoTime(String(row.transaction_date)),
  };
}

export type AlertPage = Page<AlertSummary>;

/**
 * One page of alerts, newest first. Two steps keep it fast at any depth: the filters pick `limit + 1` ids from
 * an (x, alert_date, id) index starting after the cursor; then those rows are joined to their transactions.
 *
 * @example await listAlerts({ risk_level: 'High', limit: 20 })
 */
export async function listAlerts(q: ListAlertsQuery, db?: Queryable): Promise<AlertPage> {
  const { cursor, limit = DEFAULT_LIMIT, ...filters } = q;
  const fingerprint = filterFingerprint(filters);
  const where: string[] = [];
  const params: unknown[] = [];
  const joins: string[] = [];
  const add = (condition: string, ...values: unknown[]) => {
    where.push(condition);
    params.push(...values);
  };
  if (filters.risk_level) add('a.risk_level = ?', filters.risk_level);
  if (filters.min_risk) add('a.risk_level IN (?)', risksFrom(filters.min_risk));
  if (filters.status) add('a.status = ?', filters.status);
  else add("a.status <> 'suppressed'"); // findings a suppression kept back are listed only when asked for
  if (filters.flagged_by) add('a.flagged_by = ?', filters.flagged_by);
  if (filters.reason) add('a.reason = ?', filters.reason);
  if (filters.rule) add('a.rule_id = ?', filters.rule);
  if (filters.transaction_id) add('a.transaction_id = ?', filters.transaction_id);
  if (filters.account_id || filters.client_id) {
    joins.push('JOIN transactions t ON t.id = a.transaction_id');
    if (filters.account_id) add('t.account_id = ?', filters.account_id);
    if (filters.client_id) {
      joins.push('JOIN accounts ac ON ac.id = t.account_id');
      add('ac.client_id = ?', filters.client_id);
    }
  }
  if (filters.from) add('a.alert_date >= ?', filters.from.sql);
  if (filters.to) {
    add(filters.to.dateOnly ? 'a.alert_date < ? + INTERVAL 1 DAY' : 'a.alert_date <= ?', filters.to.sql);
  }
  if (cursor) {
    const [alertDate, id] = cursorPosition(cursor, fingerprint, ['time', 'id']);
    // The first conjunct gives the optimizer a plain range on alert_date; the second breaks ties by id.
    add('a.alert_date <= ? AND (a.alert_date < ? OR a.id < ?)', alertDate, alertDate, id);
  }
  // One round trip: the derived table picks limit + 1 ids from the index (it cannot be merged: it has a LIMIT);
  // the outer query joins just those rows to their transactions and accounts by primary key.
  const rows = await query<SummaryRow>(
    `SELECT ${SUMMARY_COLUMNS}
     FROM (SELECT a.id FROM alerts a ${joins.join(' ')}
           ${where.length > 0 ? `WHERE ${where.join(' AND ')}` : ''}
           ORDER BY a.alert_date DESC, a.id DESC LIMIT ?) AS page
     JOIN alerts a ON a.id = page.id
     JOIN transactions t ON t.id = a.transaction_id
     JOIN accounts ac ON ac.id = t.account_id
     ORDER BY a.alert_date DESC, a.id DESC`,
    [...params, limit + 1],
    db,
  );
  const page = rows.slice(0, limit);
  const last = page.at(-1);
  const next_cursor =
    rows.length > limit && last ? encodeCursor([last.alert_date, num(last.id)], fingerprint) : null;
  return { data: page.map(toSummary), limit, next_cursor };
}

/** Evidence fields that may name related transactions (the scan's `relatedTransactionIds` first). */
const RELATED_KEYS = [
  'relatedTransactionIds',
  'related_transaction_ids',
  'relatedTransactions',
  'related',
  'transactionIds',
  'transaction_ids',
];
const MAX_RELATED = 200;

/**
 * The transaction ids an alert's evidence names, wherever the rule put them: a known key at the top level or one
 * level down, as numbers, numeric strings or objects with an `id`. Tolerates evidence without any.
 */
export function relatedTransactionIds(evidence: unknown, own?: number): number[] {
  const ids = new Set<number>();
  const collect = (value: unknown) => {
    if (!Array.isArray(value)) return;
    for (const item of value) {
      const candidate =
        item !== null && typeof item === 'object' ? (item as { id?: unknown }).id : (item as unknown);
      const id =
        typeof candidate === 'string' && /^\d{1,16}$/.test(candidate) ? Number(candidate) : candidate;
      if (typeof id === 'number' && Number.isSafeInteger(id) && id > 0 && id !== own) ids.add(id);
    }
  };
  const visit = (node: unknown, depth: number) => {
    if (node === null || typeof node !== 'object' || Array.isArray(node)) return;
    for (const [key, value] of Object.entries(node)) {
      if (RELATED_KEYS.includes(key)) collect(value);
      else if (depth === 0) visit(value, 1);
    }
  };
  visit(evidence, 0);
  return [...ids].slice(0, MAX_RELATED);
}

/** Columns of a transaction as the API shows it; `t` transactions, `tt` transaction_types. */
export const TRANSACTION_COLUMNS = `t.id, t.account_id, tt.type, t.date, t.amount, t.currency, t.balance_after,
  t.recipient_account, t.status, t.title`;

/** A transaction from a row of TRANSACTION_COLUMNS. */
export function toTransaction(row: Record<string, unknown>): AlertDetail['transaction'] {
  return {
    id: num(row.id),
    account_id: num(row.account_id),
    type: String(row.type),
    date: isoTime(String(row.date)),
    amount: String(row.amount),
    currency: String(row.currency),
    balance_after: row.balance_after === null ? null : String(row.balance_after),
    // The original data used '' for "no recipient".
    recipient_account: (row.recipient_account as string | null) || null,
    status: row.status as AlertDetail['transaction']['status'],
    title: (row.title as string | null) || null,
  };
}

type Row = Record<string, unknown>;

/** The alert with its transaction, account and client in one row; NotFoundError when there is none. */
async function readAlertRow(id: number, db?: Queryable): Promise<Row> {
  const [row] = await query(
    `SELECT ${SUMMARY_COLUMNS}, a.note, a.scan_run_id, a.suppression_id, a.evidence,
       tt.type AS tx_type, t.balance_after AS tx_balance_after, t.recipient_account AS tx_recipient_account,
       t.status AS tx_status, t.title AS tx_title,
       ac.account_number, ac.account_type, ac.currency AS account_currency, ac.balance AS account_balance,
       ac.opening_date AS account_opening_date, ac.is_active AS account_is_active,
       c.first_name, c.last_name, c.identifier, c.email, c.phone, c.country AS client_country,
       c.locale AS client_locale, c.is_active AS client_is_active, c.registration_date
     FROM alerts a
     JOIN transactions t ON t.id = a.transaction_id
     JOIN transaction_types tt ON tt.id = t.transaction_type_id
     JOIN accounts ac ON ac.id = t.account_id
     JOIN clients c ON c.id = ac.client_id
     WHERE a.id = ?`,
    [id],
    db,
  );
  if (!row) throw new NotFoundError(`There is no alert ${id}`);
  return row;
}

/** The transactions the evidence names (oldest first) and the alert's workflow history, read at once. */
async function readRelatedAndHistory(id: number, related: number[], db?: Queryable): Promise<[Row[], Row[]]> {
  return Promise.all([
    related.length > 0
      ? query(
          `SELECT ${TRANSACTION_COLUMNS} FROM transactions t
           JOIN transaction_types tt ON tt.id = t.transaction_type_id
           WHERE t.id IN (?) ORDER BY t.date, t.id`,
          [related],
          db,
        )
      : Promise.resolve([]),
    query(
      `SELECT changed_at, changed_by, from_status, to_status, disposition, note
       FROM alert_history WHERE alert_id = ? ORDER BY changed_at, id`,
      [id],
      db,
    ),
  ]);
}

function alertTransaction(row: Row, summary: AlertSummary): AlertDetail['transaction'] {
  return toTransaction({
    id: summary.transaction_id,
    account_id: summary.account_id,
    type: row.tx_type,
    date: row.transaction_date,
    amount: row.amount,
    currency: row.currency,
    balance_after: row.tx_balance_after,
    recipient_account: row.tx_recipient_account,
    status: row.tx_status,
    title: row.tx_title,
  });
}

function alertAccount(row: Row, accountId: number): AlertDetail['account'] {
  return {
    id: accountId,
    account_number: String(row.account_number),
    account_type: String(row.account_type),
    currency: String(row.account_currency),
    balance: String(row.account_balance),
    opening_date: String(row.account_opening_date),
    is_active: num(row.account_is_active) === 1,
  };
}

/** The client, identifier, e-mail and phone masked unless `role` is analyst. */
function alertClient(row: Row, clientId: number, role: Role): AlertDetail['client'] {
  return piiFor(
    {
      id: clientId,
      first_name: String(row.first_name),
      last_name: String(row.last_name),
      identifier: String(row.identifier),
      email: (row.email as string | null) ?? null,
      phone: (row.phone as string | null) ?? null,
      country: String(row.client_country),
      locale: String(row.client_locale),
      is_active: row.client_is_active === 'Yes',
      registration_date: String(row.registration_date),
    },
    role,
  );
}

/** An alert_history row as the API shows it. */
export function toHistoryEntry(h: Row): AlertDetail['history'][number] {
  return {
    changed_at: isoTime(String(h.changed_at)),
    changed_by: String(h.changed_by),
    from_status: (h.from_status as AlertStatus | null) ?? null,
    to_status: h.to_status as AlertStatus,
    disposition: (h.disposition as AlertDetail['disposition']) ?? null,
    note: (h.note as string | null) ?? null,
  };
}

/**
 * An alert with its evidence, transaction, account, client (identifier, e-mail and phone masked unless `role` is
 * analyst), the transactions its evidence names, and its workflow history. Throws NotFoundError.
 */
export async function getAlertDetail(id: number, role: Role, db?: Queryable): Promise<AlertDetail> {
  const row = await readAlertRow(id, db);
  const summary = toSummary(row as SummaryRow);
  const evidence = parseJsonColumn(row.evidence);
  const related = relatedTransactionIds(evidence, summary.transaction_id);
  const [relatedRows, historyRows] = await readRelatedAndHistory(id, related, db);
  return {
    ...summary,
    note: (row.note as string | null) ?? null,
    scan_run_id: numOrNull(row.scan_run_id),
    suppression_id: numOrNull(row.suppression_id),
    evidence,
    transaction: alertTransaction(row, summary),
    account: alertAccount(row, summary.account_id),
    client: alertClient(row, summary.client_id, role),
    related_transactions: relatedRows.map(toTransaction),
    history: historyRows.map(toHistoryEntry),
  };
}

export interface CreateResult {
  id: number;
  /** False when the same flag was already active: the request was a repeat and changed nothing. */
  created: boolean;
}

const isDuplicate = (error: unknown) => (error as { code?: string }).code === 'ER_DUP_ENTRY';

/**
 * An analyst flags a transaction: a new open alert (flagged_by analyst), its first history entry and its place in
 * the client's case (lib/cases/attach.ts: a Medium or High flag opens one), in one DB transaction. Idempotent: while an analyst alert for the same transaction and reason is active, an identical
 * request returns it (`created: false`); one with another risk level or note is a ConflictError (409).
 * Throws UnprocessableError (422) when the transaction does not exist.
 */
export async function createAnalystAlert(body: CreateAlertBody, by: Principal): Promise<CreateResult> {
  const note = body.note ?? null;
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      return await withTransaction(async (conn) => {
        const [tx] = await query('SELECT id FROM transactions WHERE id = ?', [body.transaction_id], conn);
        if (!tx) throw new UnprocessableError(`There is no transaction ${body.transaction_id}`);
        const inserted = await execute(
          `INSERT INTO alerts (transaction_id, reason, risk_level, alert_date, flagged_by, status, note, created_by)
           VALUES (?, ?, ?, NOW(), 'analyst', 'open', ?, ?)`,
          [body.transaction_id, body.reason, body.risk_level, note, by.name],
          conn,
        );
        await execute(
          `INSERT INTO alert_history (alert_id, changed_at, changed_by, from_status, to_status, note)
           VALUES (?, NOW(3), ?, NULL, 'open', ?)`,
          [inserted.insertId, by.name, note],
          conn,
        );
        await attachAlertsToCases(conn, [inserted.insertId], by.name);
        return { id: inserted.insertId, created: true };
      });
    } catch (error) {
      if (!isDuplicate(error)) throw error;
    }
    // The same flag is active already (perhaps inserted by a concurrent retry): a repeat, or a conflicting one.
    const [existing] = await query<{ id: number; risk_level: string; note: string | null; status: string }>(
      `SELECT id, risk_level, note, status FROM alerts WHERE analyst_active_key = CONCAT(?, ':', ?)`,
      [body.transaction_id, body.reason],
    );
    if (!existing) continue; // closed in between: try again
    if (existing.risk_level === body.risk_level && (existing.note ?? null) === note) {
      return { id: num(existing.id), created: false };
    }
    throw new ConflictError(
      `Transaction ${body.transaction_id} is already flagged for "${body.reason}" by alert ${existing.id} ` +
        `(${existing.status}, ${existing.risk_level}); PATCH /alerts/${existing.id} to move it on`,
    );
  }
  throw new ConflictError('The alert changed while it was being flagged; try again');
}

/**
 * Moves an alert along its workflow (a lead may reopen a closed one) and records the change in alert_history (who, when, from, to, disposition,
 * note), in one DB transaction under a row lock, so two concurrent changes cannot both apply: the second sees
 * the first's result and is judged against it. Throws NotFoundError (404), ForbiddenError (403: a reopen by
 * anyone but a lead) or ConflictError (409).
 */
export async function updateAlertStatus(id: number, body: UpdateAlertBody, by: Principal): Promise<void> {
  await withTransaction(async (conn) => {
    const [current] = await query<{ status: AlertStatus }>(
      'SELECT status FROM alerts WHERE id = ? FOR UPDATE',
      [id],
      conn,
    );
    if (!current) throw new NotFoundError(`There is no alert ${id}`);
    if (isReopen(current.status, body.status) && by.role !== 'lead') {
      throw new ForbiddenError(`Alert ${id} is closed: only a lead may reopen it`);
    }
    const problem = transitionProblem(current.status, body.status);
    if (problem) throw new ConflictError(`Alert ${id} was not changed: ${problem}`);
    const note = body.note ?? null;
    await execute(
      // alerts.note stays the flag's own note; workflow notes live in alert_history.
      'UPDATE alerts SET status = ?, disposition = ? WHERE id = ?',
      [body.status, body.disposition ?? null, id],
      conn,
    );
    await execute(
      `INSERT INTO alert_history (alert_id, changed_at, changed_by, from_status, to_status, disposition, note)
       VALUES (?, NOW(3), ?, ?, ?, ?, ?)`,
      [id, by.name, current.status, body.status, body.disposition ?? null, note],
      conn,
    );
    if (body.suppress) await addAlertSuppression(conn, id, body.suppress, by.name, note ?? '');
  });
}
