/**
 * Attaching alerts to cases, in the caller's DB transaction (the scan's chunk, or POST /alerts'), so an alert and its
 * place in a case are committed together or not at all. Set-based: a scan chunk's thousand alerts cost about a
 * dozen statements, not a few per case, and no statement reads more than the alerts given, the alerts of the clients
 * a case is opened for, and the touched case rows.
 *
 * Safe to run again and to run concurrently: the clients concerned — the alerts' and those their network findings
 * name — are locked first (`SELECT … FOR UPDATE` on their rows, in id order, so two attachers never wait on each
 * other in a cycle), then their cases and links are read
 * with locking reads (which see what a concurrent attacher committed, where the transaction's snapshot would not);
 * an alert already in a case is left where it is (and case_alerts' key would refuse it twice); cases are opened
 * with INSERT IGNORE against the unique "one open case per client" key (network cases: the finding's key) and then
 * read back, so even a writer that skipped the lock could not open a second one. Each touched case's risk, amount,
 * signals, priority and due time then follow from its row and the alerts that joined it (./refresh.ts).
 */
import type { PoolConnection } from 'mysql2/promise';
import type { RiskLevel } from '../alerts/schemas.js';
import { execute, query } from '../db/pool.js';
import { enqueueHighCaseNotifications } from '../notify/outbox.js';
import { type ClientCases, type NewAlert, planAttachment, type SkipReason } from './attach-plan.js';
import { type CaseChange, dbNow, fromDbTime, recordCaseChanges } from './history.js';
import { attachToNetworkCases, NETWORK_CASE_RULES, readNetworkFindings } from './network-cases.js';
import { type AlertFacts, type CaseLink, refreshCases } from './refresh.js';
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

/** An alert to attach, as read once before anything is locked: its client, risk, state and what refreshing needs. */
interface AlertRow extends NewAlert {
  status: string;
  facts: AlertFacts;
  /** Its evidence, for an alert of a network-case rule (null otherwise). */
  evidence: unknown;
}

/** A transaction as attaching needs it — its client, booking time (a DB time) and |amount| — which never changes. */
export interface TransactionFacts {
  clientId: number;
  booked: string;
  amount: number;
}

/** The client, booking time and |amount| of the transactions `ids`, read by id in ascending order. */
export async function readTransactionFacts(
  ids: readonly number[],
  conn?: PoolConnection,
): Promise<Map<number, TransactionFacts>> {
  const facts = new Map<number, TransactionFacts>();
  if (ids.length === 0) return facts;
  const rows = await query<{ id: number; client_id: number; amount: string; booked: string }>(
    `SELECT t.id, ac.client_id, ABS(t.amount) AS amount, t.date AS booked
     FROM transactions t JOIN accounts ac ON ac.id = t.account_id WHERE t.id IN (?)`,
    [[...ids].sort((a, b) => a - b)],
    conn,
  );
  for (const r of rows)
    facts.set(Number(r.id), { clientId: Number(r.client_id), booked: r.booked, amount: Number(r.amount) });
  return facts;
}

/**
 * The alerts `alertIds` with their client, risk, state, rule, transaction (its booking time and |amount|), and the
 * evidence of those of network-case rules — everything attaching needs to know about them. Their transactions are
 * taken from `known` or read by their ids in ascending order, not one by one in the alerts' order: a full scan's
 * alerts go client by client, all over the transactions table, and random reads there were most of what attaching
 * them cost.
 */
async function readAlerts(
  conn: PoolConnection,
  alertIds: readonly number[],
  known: ReadonlyMap<number, TransactionFacts>,
): Promise<AlertRow[]> {
  const alerts = await query<{
    id: number;
    risk_level: RiskLevel;
    status: string;
    rule_id: string | null;
    transaction_id: number;
    evidence: unknown;
  }>(
    `SELECT id, risk_level, status, rule_id, transaction_id, IF(rule_id IN (?), COALESCE(evidence, '{}'), NULL) AS evidence
     FROM alerts WHERE id IN (?)`,
    [NETWORK_CASE_RULES, alertIds],
    conn,
  );
  if (alerts.length === 0) return [];
  const missing = new Set(alerts.map((a) => Number(a.transaction_id)).filter((id) => !known.has(id)));
  const read = await readTransactionFacts([...missing], conn);
  return alerts.flatMap((r) => {
    const t = known.get(Number(r.transaction_id)) ?? read.get(Number(r.transaction_id));
    if (!t) return [];
    const bookedAt = fromDbTime(t.booked);
    return [
      {
        alertId: Number(r.id),
        clientId: t.clientId,
        risk: r.risk_level,
        bookedAt,
        status: r.status,
        evidence: r.evidence,
        facts: {
          risk: r.risk_level,
          ruleId: r.rule_id,
          transactionId: Number(r.transaction_id),
          bookedAt,
          amount: Number(t.amount),
        },
      },
    ];
  });
}

/** True for an alert that may join a case: neither closed nor suppressed. */
const attachable = (status: string) => status !== 'closed' && status !== 'suppressed';

/**
 * The case links the alerts `alertIds` have, of either kind — a locking read: it sees what a concurrent attacher
 * committed after this transaction's snapshot.
 */
async function linksOf(
  conn: PoolConnection,
  alertIds: readonly number[],
): Promise<Array<{ caseId: number; alertId: number; kind: 'client' | 'network' }>> {
  const rows = await query<{ case_id: number; alert_id: number; case_kind: 'client' | 'network' }>(
    'SELECT case_id, alert_id, case_kind FROM case_alerts WHERE alert_id IN (?) LOCK IN SHARE MODE',
    [alertIds],
    conn,
  );
  return rows.map((r) => ({ caseId: Number(r.case_id), alertId: Number(r.alert_id), kind: r.case_kind }));
}

/**
 * The alerts of `clientIds` (all of them: a case being opened gathers them) neither closed nor suppressed and not in
 * a client case yet, with what refreshing needs. The join starts from the clients' accounts (left to itself the
 * server read every alert); links are read with a locking read.
 */
async function uncasedAlertsOf(conn: PoolConnection, clientIds: readonly number[]): Promise<AlertRow[]> {
  const rows = await query<{
    id: number;
    client_id: number;
    risk_level: RiskLevel;
    rule_id: string | null;
    transaction_id: number;
    booked: string;
  }>(
    `SELECT a.id, ac.client_id, a.risk_level, a.rule_id, a.transaction_id, t.date AS booked
     FROM accounts ac STRAIGHT_JOIN transactions t ON t.account_id = ac.id STRAIGHT_JOIN alerts a ON a.transaction_id = t.id
     WHERE ac.client_id IN (?) AND a.status NOT IN ('closed', 'suppressed')`,
    [clientIds],
    conn,
  );
  if (rows.length === 0) return [];
  const linked = new Set(
    (
      await linksOf(
        conn,
        rows.map((r) => Number(r.id)),
      )
    )
      .filter((l) => l.kind === 'client')
      .map((l) => l.alertId),
  );
  return rows
    .filter((r) => !linked.has(Number(r.id)))
    .map((r) => ({
      alertId: Number(r.id),
      clientId: Number(r.client_id),
      risk: r.risk_level,
      bookedAt: fromDbTime(r.booked),
      status: 'open',
      evidence: null,
      facts: {
        risk: r.risk_level,
        ruleId: r.rule_id,
        transactionId: Number(r.transaction_id),
        bookedAt: fromDbTime(r.booked),
      },
    }));
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

/** Links alerts to cases (an alert already linked is left alone); returns the links this call made. */
async function linkAlerts(
  conn: PoolConnection,
  kind: 'client' | 'network',
  links: ReadonlyArray<readonly [caseId: number, alertId: number]>,
  now: string,
): Promise<CaseLink[]> {
  if (links.length === 0) return [];
  let inserted = 0;
  for (let i = 0; i < links.length; i += 2_000) {
    const slice = links.slice(i, i + 2_000);
    const written = await execute(
      `INSERT IGNORE INTO case_alerts (case_id, alert_id, case_kind, attached_at) VALUES ${slice
        .map(() => '(?, ?, ?, ?)')
        .join(', ')}`,
      slice.flatMap(([caseId, alertId]) => [caseId, alertId, kind, now]),
      conn,
    );
    inserted += written.affectedRows;
  }
  // Every link went in (the usual case: the links were read under the clients' locks); else, which ones did.
  if (inserted === links.length) return links.map(([caseId, alertId]) => [caseId, alertId] as const);
  const linked = await query<{ case_id: number; alert_id: number }>(
    'SELECT case_id, alert_id FROM case_alerts WHERE alert_id IN (?) AND case_kind = ? AND attached_at = ?',
    [links.map(([, alertId]) => alertId), kind, now],
    conn,
  );
  return linked.map((r) => [Number(r.case_id), Number(r.alert_id)] as const);
}

/** What attaching the client side did: the links to make and the history rows of the cases it opened. */
interface ClientSide {
  links: Array<[caseId: number, alertId: number]>;
  history: CaseChange[];
  /** The client's other uncased alerts a case being opened gathered. */
  gathered: AlertRow[];
}

/**
 * Attaches alerts to their clients' cases: opens a case for each client whose plan says so, gathering the client's
 * other alerts not yet in a case (since its last closing) — so a case holds the same alerts whether they arrived in
 * one scan or over many — and links the rest to the open cases. `alerts` are those not in a client case yet.
 */
async function attachToClientCases(
  conn: PoolConnection,
  alerts: readonly AlertRow[],
  now: string,
  result: AttachResult,
  isOld: (bookedAt: Date | undefined) => boolean,
): Promise<ClientSide> {
  const side: ClientSide = { links: [], history: [], gathered: [] };
  const clientIds = [...new Set(alerts.map((a) => a.clientId))].sort((a, b) => a - b);
  if (clientIds.length === 0) return side;
  const cases = await lockClientCases(conn, clientIds);
  const plan = planAttachment(alerts, cases);
  for (const { reason } of plan.skip) result.skipped[reason]++;
  for (const { caseId, alertIds: ids } of plan.join) for (const id of ids) side.links.push([caseId, id]);
  if (plan.open.length === 0) return side;
  const { byClient, opened } = await openClientCases(
    conn,
    plan.open.map((o) => o.clientId),
    now,
  );
  side.gathered = await uncasedAlertsOf(conn, [...byClient.keys()]);
  const booked = new Map([...alerts, ...side.gathered].map((a) => [a.alertId, a.bookedAt]));
  for (const { clientId, alertIds: ids } of plan.open) {
    const caseId = byClient.get(clientId) as number;
    const closedAt = cases.get(clientId)?.lastClosedAt;
    const more = side.gathered.filter((a) => a.clientId === clientId && !(closedAt && a.bookedAt < closedAt));
    const all = [...new Set([...ids, ...more.map((a) => a.alertId)])];
    for (const id of all) side.links.push([caseId, id]);
    if (!opened.includes(caseId)) continue;
    result.opened.push(caseId);
    side.history.push([caseId, 'status', null, 'open']);
    if (all.every((id) => isOld(booked.get(id)))) result.openedOnHistory.push(caseId);
  }
  return side;
}

/** True when a booking is older than `historyHours` before `now` (a DB time). */
function isHistory(bookedAt: Date | undefined, now: string, s: CaseSettings): boolean {
  return (
    bookedAt !== undefined && fromDbTime(now).getTime() - bookedAt.getTime() > s.historyHours * 3_600_000
  );
}

function emptyResult(): AttachResult {
  return {
    opened: [],
    touched: [],
    becameHigh: [],
    openedOnHistory: [],
    attached: 0,
    skipped: { 'booked-before-closed-case': 0, 'low-without-open-case': 0 },
  };
}

/** How to attach: the case settings, and transactions already known (their facts are then not read again). */
export interface AttachOptions {
  settings?: CaseSettings;
  transactions?: ReadonlyMap<number, TransactionFacts>;
}

/**
 * Attaches the alerts `alertIds` to cases in the caller's DB transaction: each to its client's case (see
 * ./attach-plan.ts for which alert goes where; a case opened gathers the client's other uncased alerts), and the
 * alerts of a network finding spanning clients to the finding's network case (./network-cases.ts). Alerts already in
 * a case have that case's risk brought up to theirs (a later finding may have raised them). Idempotent; safe under
 * concurrent calls. `by` is recorded as the actor of the changes (the person who flagged, or the job).
 *
 * @example await withTransaction((conn) => attachAlertsToCases(conn, [101, 102], 'scan'))
 */
export async function attachAlertsToCases(
  conn: PoolConnection,
  alertIds: readonly number[],
  by: string,
  { settings: s = CASE_SETTINGS, transactions = new Map() }: AttachOptions = {},
): Promise<AttachResult> {
  const result = emptyResult();
  if (alertIds.length === 0) return result;
  const now = await dbNow(conn);
  const isOld = (bookedAt: Date | undefined) => isHistory(bookedAt, now, s);
  const alerts = await readAlerts(conn, alertIds, transactions);
  const findings = await readNetworkFindings(
    conn,
    alerts
      .filter((a) => a.evidence !== null)
      .map((a) => ({
        alertId: a.alertId,
        transactionId: a.facts.transactionId,
        ruleId: a.facts.ruleId as string,
        evidence: a.evidence,
        bookedAt: a.bookedAt,
      })),
  );
  await lockClients(conn, [...alerts.map((a) => a.clientId), ...findings.flatMap((f) => f.clients)]);
  const links = await linksOf(conn, alertIds);
  const linked = (kind: 'client' | 'network') =>
    new Set(links.filter((l) => l.kind === kind).map((l) => l.alertId));
  const open = alerts.filter((a) => attachable(a.status));
  const inClientCase = linked('client');
  const client = await attachToClientCases(
    conn,
    open.filter((a) => !inClientCase.has(a.alertId)),
    now,
    result,
    isOld,
  );
  const inNetworkCase = linked('network');
  const network = await attachToNetworkCases(
    conn,
    findings,
    open.filter((a) => !inNetworkCase.has(a.alertId)),
    now,
    isOld,
  );
  result.opened.push(...network.opened);
  result.openedOnHistory.push(...network.openedOnHistory);
  const joined = [
    ...(await linkAlerts(conn, 'client', client.links, now)),
    ...(await linkAlerts(conn, 'network', network.links, now)),
  ];
  result.attached = joined.length;
  await recordCaseChanges(conn, by, now, [
    ...client.history,
    ...network.history,
    ...joined.map(([caseId, alertId]): CaseChange => [caseId, 'alert', null, String(alertId)]),
  ]);
  // The alerts given win over the same ones gathered: they carry their transaction's amount.
  const facts = new Map<number, AlertFacts>();
  for (const a of client.gathered)
    facts.set(a.alertId, { ...a.facts, amount: transactions.get(a.facts.transactionId)?.amount });
  for (const a of alerts) facts.set(a.alertId, a.facts);
  const refreshed = await refreshCases(
    conn,
    joined,
    links.map((l) => [l.caseId, l.alertId] as const),
    facts,
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
