/**
 * The cases API's reads: the queue (keyset pages on due time, then priority, then id) and one case with everything
 * an analyst needs to judge it. Every value is a bound parameter; only fixed fragments chosen by code are
 * concatenated. The writes are in ./update.ts, attaching alerts in ./attach.ts.
 */

import { parseJsonColumn } from '../alerts/json-column.js';
import { piiFor } from '../alerts/masking.js';
import {
  isoTime,
  relatedTransactionIds,
  SUMMARY_COLUMNS,
  type SummaryRow,
  TRANSACTION_COLUMNS,
  toHistoryEntry,
  toSummary,
  toTransaction,
} from '../alerts/repository.js';
import { DEFAULT_LIMIT, type Page, risksFrom } from '../alerts/schemas.js';
import { type Queryable, query, type Row } from '../db/pool.js';
import { NotFoundError } from '../errors.js';
import type { Role } from '../http/auth.js';
import { cursorPosition, encodeCursor, filterFingerprint } from '../http/cursor.js';
import type { CaseDetail, CaseSummary, ListCasesQuery } from './schemas.js';
import { CASE_SETTINGS } from './settings.js';

/** Columns of a case summary; `c` cases, `cl` its client (none for a network case). */
const CASE_COLUMNS = `c.id, c.kind, c.client_id, CONCAT(cl.first_name, ' ', cl.last_name) AS client_name, c.status,
  c.disposition, c.risk_level, c.priority, c.amount, c.rule_count, c.alert_count, c.assignee, c.due_at,
  (c.status <> 'closed' AND c.due_at < NOW()) AS overdue, c.opened_at, c.closed_at, c.updated_at, c.version`;

function toCaseSummary(row: Row): CaseSummary {
  return {
    id: Number(row.id),
    kind: row.kind as CaseSummary['kind'],
    client_id: row.client_id === null ? null : Number(row.client_id),
    client_name: (row.client_name as string | null) ?? null,
    status: row.status as CaseSummary['status'],
    disposition: (row.disposition as CaseSummary['disposition']) ?? null,
    risk_level: row.risk_level as CaseSummary['risk_level'],
    priority: Number(row.priority),
    amount: String(row.amount),
    rule_count: Number(row.rule_count),
    alert_count: Number(row.alert_count),
    assignee: (row.assignee as string | null) ?? null,
    due_at: isoTime(String(row.due_at)),
    overdue: Number(row.overdue) === 1,
    opened_at: isoTime(String(row.opened_at)),
    closed_at: isoTime((row.closed_at as string | null) ?? null),
    updated_at: isoTime(String(row.updated_at)),
    version: Number(row.version),
  };
}

export type CasePage = Page<CaseSummary>;

/** The WHERE conditions and their values for the list's filters. */
function caseFilters(filters: Omit<ListCasesQuery, 'cursor' | 'limit'>): [string[], unknown[]] {
  const where: string[] = [];
  const params: unknown[] = [];
  const add = (condition: string, ...values: unknown[]) => {
    where.push(condition);
    params.push(...values);
  };
  if (filters.status) add('c.status IN (?)', filters.status);
  if (filters.assignee === 'none') add('c.assignee IS NULL');
  else if (filters.assignee) add('c.assignee = ?', filters.assignee);
  if (filters.min_risk) add('c.risk_level IN (?)', risksFrom(filters.min_risk));
  if (filters.client_id) {
    // A client has a few cases: the server gathers their ids first (an OR here made it read every case in order).
    add(
      `c.id IN (SELECT id FROM (SELECT id FROM cases WHERE client_id = ?
         UNION SELECT case_id FROM case_clients WHERE client_id = ?) AS client_cases)`,
      filters.client_id,
      filters.client_id,
    );
  }
  if (filters.overdue !== undefined)
    add(`${filters.overdue ? '' : 'NOT '}(c.status <> 'closed' AND c.due_at < NOW())`);
  return [where, params];
}

/**
 * One page of the case queue: soonest due first (overdue ones lead), then the highest priority, then the oldest id.
 * The cursor carries the last row's (due_at, priority, id), so a page never skips or repeats a case, ties included.
 *
 * @example await listCases({ status: ['open', 'investigating'], min_risk: 'High', limit: 20 })
 */
export async function listCases(q: ListCasesQuery, db?: Queryable): Promise<CasePage> {
  const { cursor, limit = DEFAULT_LIMIT, ...filters } = q;
  const fingerprint = filterFingerprint(filters);
  const [where, params] = caseFilters(filters);
  if (cursor) {
    const [due, priority, id] = cursorPosition(cursor, fingerprint, ['time', 'count', 'id']);
    // The first conjunct gives the optimizer a range on due_at; the rest orders ties by priority (desc), then id.
    where.push('c.due_at >= ? AND (c.due_at > ? OR c.priority < ? OR (c.priority = ? AND c.id > ?))');
    params.push(due, due, priority, priority, id);
  }
  const rows = await query(
    `SELECT ${CASE_COLUMNS} FROM cases c LEFT JOIN clients cl ON cl.id = c.client_id
     ${where.length > 0 ? `WHERE ${where.join(' AND ')}` : ''}
     ORDER BY c.due_at, c.priority DESC, c.id LIMIT ?`,
    [...params, limit + 1],
    db,
  );
  const page = rows.slice(0, limit);
  const last = page.at(-1);
  const next_cursor =
    rows.length > limit && last
      ? encodeCursor([String(last.due_at), Number(last.priority), Number(last.id)], fingerprint)
      : null;
  return { data: page.map(toCaseSummary), limit, next_cursor };
}

/** The case's summary row; NotFoundError when there is none. */
export async function readCase(id: number, db?: Queryable): Promise<CaseSummary> {
  const [row] = await query(
    `SELECT ${CASE_COLUMNS} FROM cases c LEFT JOIN clients cl ON cl.id = c.client_id WHERE c.id = ?`,
    [id],
    db,
  );
  if (!row) throw new NotFoundError(`There is no case ${id}`);
  return toCaseSummary(row);
}

/** The case's alerts, oldest first, each with its evidence and workflow history. */
async function caseAlerts(id: number, db?: Queryable): Promise<CaseDetail['alerts']> {
  const rows = await query(
    `SELECT ${SUMMARY_COLUMNS}, a.evidence FROM case_alerts ca
     JOIN alerts a ON a.id = ca.alert_id
     JOIN transactions t ON t.id = a.transaction_id
     JOIN accounts ac ON ac.id = t.account_id
     WHERE ca.case_id = ? ORDER BY t.date, a.id`,
    [id],
    db,
  );
  const ids = rows.map((r) => Number(r.id));
  const history =
    ids.length === 0
      ? []
      : await query(
          `SELECT alert_id, changed_at, changed_by, from_status, to_status, disposition, note
           FROM alert_history WHERE alert_id IN (?) ORDER BY changed_at, id`,
          [ids],
          db,
        );
  return rows.map((r) => ({
    ...toSummary(r as SummaryRow),
    evidence: parseJsonColumn(r.evidence),
    history: history.filter((h) => Number(h.alert_id) === Number(r.id)).map(toHistoryEntry),
  }));
}

/** The client's latest transactions, newest first, each with the ids of the case's alerts on it. */
async function clientTransactions(
  clientId: number,
  alerts: CaseDetail['alerts'],
  db?: Queryable,
): Promise<CaseDetail['transactions']> {
  const rows = await query(
    `SELECT ${TRANSACTION_COLUMNS} FROM accounts ac
     JOIN transactions t ON t.account_id = ac.id
     JOIN transaction_types tt ON tt.id = t.transaction_type_id
     WHERE ac.client_id = ? ORDER BY t.date DESC, t.id DESC LIMIT ?`,
    [clientId, CASE_SETTINGS.recentTransactions],
    db,
  );
  return rows.map((r) => ({
    ...toTransaction(r),
    alert_ids: alerts.filter((a) => a.transaction_id === Number(r.id)).map((a) => a.id),
  }));
}

/**
 * Clients related to the case: those its network cases name, and the owners of the transactions its alerts'
 * evidence names (the other side of a fan-in, a cycle, a repeated counterparty) — never the case's own client.
 */
async function relatedClients(
  c: CaseSummary,
  alerts: CaseDetail['alerts'],
  networkCases: CaseDetail['network_cases'],
  db?: Queryable,
): Promise<CaseDetail['related_clients']> {
  const via = new Map<number, Set<string>>();
  const note = (client: number, why: string) => {
    if (client !== c.client_id) via.set(client, (via.get(client) ?? new Set()).add(why));
  };
  const networkIds = c.kind === 'network' ? [c.id] : networkCases.map((n) => n.id);
  if (networkIds.length > 0) {
    const named = await query(
      'SELECT case_id, client_id FROM case_clients WHERE case_id IN (?)',
      [networkIds],
      db,
    );
    for (const r of named) note(Number(r.client_id), `network case ${r.case_id}`);
  }
  for (const a of alerts) {
    const txIds = relatedTransactionIds(a.evidence, a.transaction_id);
    if (txIds.length === 0) continue;
    const owners = await query(
      'SELECT DISTINCT ac.client_id FROM transactions t JOIN accounts ac ON ac.id = t.account_id WHERE t.id IN (?)',
      [txIds],
      db,
    );
    for (const r of owners) note(Number(r.client_id), `evidence of alert ${a.id} (${a.reason})`);
  }
  if (via.size === 0) return [];
  const clients = await query(
    'SELECT id, first_name, last_name, country FROM clients WHERE id IN (?) ORDER BY id',
    [[...via.keys()]],
    db,
  );
  return clients.map((r) => ({
    id: Number(r.id),
    first_name: String(r.first_name),
    last_name: String(r.last_name),
    country: String(r.country),
    via: [...(via.get(Number(r.id)) ?? [])],
  }));
}

/** The client (PII masked for viewers), the network cases naming it, notes and history. */
async function caseContext(c: CaseSummary, role: Role, db?: Queryable) {
  const [client] =
    c.client_id === null
      ? []
      : await query(
          'SELECT id, first_name, last_name, identifier, email, phone, country FROM clients WHERE id = ?',
          [c.client_id],
          db,
        );
  // One after another: a case route holds one connection at a time (serverless.yml counts on it).
  const networkCases =
    c.client_id === null
      ? []
      : await query(
          `SELECT n.id, n.status, n.risk_level FROM case_clients cc JOIN cases n ON n.id = cc.case_id
           WHERE cc.client_id = ? ORDER BY n.id`,
          [c.client_id],
          db,
        );
  const notes = await query(
    'SELECT id, created_at, author, body FROM case_notes WHERE case_id = ? ORDER BY created_at, id',
    [c.id],
    db,
  );
  const history = await query(
    `SELECT changed_at, changed_by, field, old_value, new_value FROM case_history
     WHERE case_id = ? ORDER BY changed_at, id`,
    [c.id],
    db,
  );
  return {
    client: client
      ? piiFor(
          {
            id: Number(client.id),
            first_name: String(client.first_name),
            last_name: String(client.last_name),
            identifier: String(client.identifier),
            email: (client.email as string | null) ?? null,
            phone: (client.phone as string | null) ?? null,
            country: String(client.country),
          },
          role,
        )
      : null,
    network_cases: networkCases.map((n) => ({
      id: Number(n.id),
      status: n.status as CaseSummary['status'],
      risk_level: n.risk_level as CaseSummary['risk_level'],
    })),
    notes: notes.map((n) => ({
      id: Number(n.id),
      created_at: isoTime(String(n.created_at)),
      author: String(n.author),
      note: String(n.body),
    })),
    history: history.map((h) => ({
      changed_at: isoTime(String(h.changed_at)),
      changed_by: String(h.changed_by),
      field: String(h.field),
      old_value: (h.old_value as string | null) ?? null,
      new_value: (h.new_value as string | null) ?? null,
    })),
  };
}

/**
 * A case with its alerts (evidence and history), the client (identifier, e-mail and phone masked for viewers), the
 * client's latest transactions with the alerted ones marked, related clients, network cases, notes and history.
 * Throws NotFoundError.
 */
export async function getCaseDetail(id: number, role: Role, db?: Queryable): Promise<CaseDetail> {
  const summary = await readCase(id, db);
  const alerts = await caseAlerts(id, db);
  const context = await caseContext(summary, role, db);
  const transactions =
    summary.client_id === null ? [] : await clientTransactions(summary.client_id, alerts, db);
  const related = await relatedClients(summary, alerts, context.network_cases, db);
  return { ...summary, ...context, alerts, transactions, related_clients: related };
}
