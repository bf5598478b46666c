/**
 * A case's figures — risk, amount, independent signals, alert count, priority and due time — brought up to date for
 * many cases at once (a scan chunk touches hundreds) from the case rows and the alerts that just joined them, never
 * by reading every alert a case holds: a case row keeps its rules (`rule_ids`) beside the figures, an alert's risk
 * only ever rises and its rule and transaction never change, so
 *
 *   risk      = the higher of the case's and that of each of its alerts just attached or seen again (raised)
 *   rules     = the case's rules and those of the alerts that joined; rule_count = their independent signals
 *   amount    = the case's amount + |amount| of the joining alerts' transactions none of its other alerts is on
 *   alerts    = the case's count + the alerts that joined
 *   latest    = the later of the case's latest booking and those of the alerts that joined
 *
 * — the same figures, however many times and in whatever grouping the alerts arrived, as recomputing them from all
 * of the case's alerts. A case whose figures come out as they stand is not written (its version stays, no history
 * row), so attaching again is free. Every writer of case_alerts goes through here in the same transaction, with the
 * case row locked, so the row's figures always match its links.
 */
import type { PoolConnection } from 'mysql2/promise';
import type { RiskLevel } from '../alerts/schemas.js';
import { execute, query } from '../db/pool.js';
import { type CaseChange, fromDbTime, recordCaseChanges, toDbTime } from './history.js';
import { casePriority, dueTime, maxRisk, signalOf } from './priority.js';
import type { CaseSettings } from './settings.js';

/** What refreshing needs to know of an alert: its risk, rule (null: an analyst's flag) and transaction. */
export interface AlertFacts {
  risk: RiskLevel;
  ruleId: string | null;
  transactionId: number;
  /** Booking time of its transaction. */
  bookedAt: Date;
  /** |amount| of its transaction, when the caller read it already. */
  amount?: number;
}

/** A link between a case and an alert: [caseId, alertId]. */
export type CaseLink = readonly [caseId: number, alertId: number];

type CaseRow = {
  id: number;
  risk_level: RiskLevel;
  priority: number;
  amount: string;
  rule_ids: string;
  rule_count: number;
  alert_count: number;
  latest_booked_at: string | null;
  due_at: string;
};

/** The rule a case records for an alert: its rule id, or `analyst` for a flag (as signalOf counts it). */
function ruleOf(ruleId: string | null): string {
  return ruleId ?? 'analyst';
}

/** A case's rules, as the comma-separated rule_ids column holds them. */
function rulesOf(ruleIds: string): Set<string> {
  return new Set(ruleIds ? ruleIds.split(',') : []);
}

/**
 * The transactions of the joining alerts (`joined`) that a case counts already: those another alert of the same case
 * is on. A locking read (it must see a link a concurrent attacher committed), and only for cases that had alerts.
 */
async function countedTransactions(
  conn: PoolConnection,
  joined: readonly CaseLink[],
  facts: ReadonlyMap<number, AlertFacts>,
  hadAlerts: ReadonlySet<number>,
): Promise<Set<string>> {
  const counted = new Set<string>();
  const older = joined.filter(([caseId]) => hadAlerts.has(caseId));
  if (older.length === 0) return counted;
  const joining = new Set(joined.map(([, alertId]) => alertId));
  const rows = await query<{ case_id: number; alert_id: number; transaction_id: number }>(
    // From the transactions' alerts to their links: the other way round would read every alert of the cases.
    `SELECT ca.case_id, ca.alert_id, a.transaction_id
     FROM alerts a FORCE INDEX (uq_alerts_transaction_rule) STRAIGHT_JOIN case_alerts ca ON ca.alert_id = a.id
     WHERE a.transaction_id IN (?) AND ca.case_id IN (?) LOCK IN SHARE MODE`,
    [
      [...new Set(older.map(([, alertId]) => facts.get(alertId)?.transactionId ?? 0))],
      [...new Set(older.map(([caseId]) => caseId))],
    ],
    conn,
  );
  for (const r of rows)
    if (!joining.has(Number(r.alert_id))) counted.add(`${Number(r.case_id)}:${Number(r.transaction_id)}`);
  return counted;
}

/** |amount| of each of `ids`, as booked. */
async function amountsOf(conn: PoolConnection, ids: readonly number[]): Promise<Map<number, number>> {
  const amounts = new Map<number, number>();
  if (ids.length === 0) return amounts;
  const rows = await query<{ id: number; amount: string }>(
    'SELECT id, ABS(amount) AS amount FROM transactions WHERE id IN (?)',
    [ids],
    conn,
  );
  for (const r of rows) amounts.set(Number(r.id), Number(r.amount));
  return amounts;
}

/**
 * Each touched case's new alerts' transactions that add to its amount (the first alert of a case on a transaction it
 * did not count yet), with every amount known — those the caller did not read, read here.
 */
async function addedAmounts(
  conn: PoolConnection,
  joined: readonly CaseLink[],
  facts: ReadonlyMap<number, AlertFacts>,
  hadAlerts: ReadonlySet<number>,
): Promise<Map<number, number>> {
  const counted = await countedTransactions(conn, joined, facts, hadAlerts);
  const adding = new Map<number, Set<number>>();
  for (const [caseId, alertId] of joined) {
    const tx = facts.get(alertId)?.transactionId;
    if (tx === undefined || counted.has(`${caseId}:${tx}`)) continue;
    const set = adding.get(caseId) ?? new Set<number>();
    set.add(tx);
    adding.set(caseId, set);
  }
  const known = new Map<number, number>();
  for (const f of facts.values()) if (f.amount !== undefined) known.set(f.transactionId, f.amount);
  const missing = [...new Set([...adding.values()].flatMap((set) => [...set]))].filter(
    (tx) => !known.has(tx),
  );
  for (const [tx, amount] of await amountsOf(conn, missing)) known.set(tx, amount);
  const added = new Map<number, number>();
  for (const [caseId, txs] of adding) {
    let sum = 0;
    for (const tx of txs) sum += known.get(tx) ?? 0;
    added.set(caseId, sum);
  }
  return added;
}

/**
 * The due time after a refresh: a case just opened is due `dueHours` of its risk from now (a Low one — a network
 * case of weak signals — as a Medium one); a raised risk can only bring it forward; otherwise it stays.
 */
function dueAfter(
  fresh: boolean,
  raised: boolean,
  risk: RiskLevel,
  now: Date,
  current: string,
  s: CaseSettings,
) {
  if (fresh) return toDbTime(dueTime(risk === 'Low' ? 'Medium' : risk, now, null, s) as Date);
  if (!raised) return current;
  return toDbTime(dueTime(risk, now, fromDbTime(current), s) ?? fromDbTime(current));
}

type Figures = Omit<CaseRow, 'id' | 'priority'> & { id: number; priority: number };

/** A case's figures once `joined` (its new alerts) and `seen` (its alerts attached again, maybe raised) are in. */
function nextFigures(
  c: CaseRow,
  joined: readonly number[],
  seen: readonly number[],
  addedAmount: number,
  facts: ReadonlyMap<number, AlertFacts>,
  now: Date,
  s: CaseSettings,
): Figures {
  const fresh = Number(c.alert_count) === 0;
  let risk: RiskLevel = fresh ? 'Low' : c.risk_level;
  for (const id of [...joined, ...seen]) risk = maxRisk(risk, facts.get(id)?.risk ?? 'Low');
  const rules = rulesOf(fresh ? '' : c.rule_ids);
  for (const id of joined) rules.add(ruleOf(facts.get(id)?.ruleId ?? null));
  const amount = (fresh ? 0 : Number(c.amount)) + addedAmount;
  let latest = fresh ? null : c.latest_booked_at;
  for (const id of joined) {
    const booked = facts.get(id)?.bookedAt;
    if (booked && (latest === null || toDbTime(booked) > latest)) latest = toDbTime(booked);
  }
  const signals = new Set([...rules].map((r) => signalOf(r === 'analyst' ? null : r))).size;
  const raised = fresh || maxRisk(c.risk_level, risk) !== c.risk_level;
  return {
    id: Number(c.id),
    risk_level: risk,
    priority: casePriority({ risk, amount, signals }, s),
    amount: amount.toFixed(2),
    rule_ids: [...rules].sort().join(','),
    rule_count: signals,
    alert_count: Number(c.alert_count) + joined.length,
    latest_booked_at: latest,
    due_at: dueAfter(fresh, raised, risk, now, c.due_at, s),
  };
}

/** True when `next` is what the case row holds already (its rules compared as a set). */
function unchanged(c: CaseRow, next: Figures): boolean {
  const rules = rulesOf(c.rule_ids);
  return (
    Number(c.alert_count) !== 0 &&
    next.risk_level === c.risk_level &&
    next.priority === Number(c.priority) &&
    next.amount === String(c.amount) &&
    next.rule_count === Number(c.rule_count) &&
    next.alert_count === Number(c.alert_count) &&
    next.latest_booked_at === c.latest_booked_at &&
    next.due_at === String(c.due_at) &&
    next.rule_ids.split(',').filter(Boolean).length === rules.size &&
    next.rule_ids
      .split(',')
      .filter(Boolean)
      .every((r) => rules.has(r))
  );
}

/** Groups links' alert ids by case. */
function byCase(links: readonly CaseLink[]): Map<number, number[]> {
  const groups = new Map<number, number[]>();
  for (const [caseId, alertId] of links) {
    const list = groups.get(caseId);
    if (list) list.push(alertId);
    else groups.set(caseId, [alertId]);
  }
  return groups;
}

/**
 * Brings up to date the figures of the cases of `joined` (links this transaction just made) and `seen` (links that
 * were there: alerts attached again, whose risk a later finding may have raised), with `facts` about every alert in
 * either; writes those that changed, with their history rows and a new version, and resolves with the cases written
 * and, among them, those whose risk became High.
 */
export async function refreshCases(
  conn: PoolConnection,
  joined: readonly CaseLink[],
  seen: readonly CaseLink[],
  facts: ReadonlyMap<number, AlertFacts>,
  by: string,
  now: string,
  s: CaseSettings,
): Promise<{ changed: number[]; becameHigh: number[] }> {
  const result = { changed: [] as number[], becameHigh: [] as number[] };
  const joinedBy = byCase(joined);
  const seenBy = byCase(seen);
  const caseIds = [...new Set([...joinedBy.keys(), ...seenBy.keys()])];
  if (caseIds.length === 0) return result;
  const current = await query<CaseRow>(
    `SELECT id, risk_level, priority, amount, rule_ids, rule_count, alert_count, latest_booked_at, due_at FROM cases
     WHERE id IN (?) ORDER BY id FOR UPDATE`,
    [caseIds],
    conn,
  );
  const hadAlerts = new Set(current.filter((c) => Number(c.alert_count) > 0).map((c) => Number(c.id)));
  const added = await addedAmounts(conn, joined, facts, hadAlerts);
  const updates: Figures[] = [];
  const history: CaseChange[] = [];
  const at = fromDbTime(now);
  for (const c of current) {
    const id = Number(c.id);
    const next = nextFigures(
      c,
      joinedBy.get(id) ?? [],
      seenBy.get(id) ?? [],
      added.get(id) ?? 0,
      facts,
      at,
      s,
    );
    if (unchanged(c, next)) continue;
    const fresh = Number(c.alert_count) === 0;
    updates.push(next);
    result.changed.push(id);
    if (next.risk_level === 'High' && (fresh || c.risk_level !== 'High')) result.becameHigh.push(id);
    history.push(
      [id, 'risk_level', fresh ? null : c.risk_level, next.risk_level],
      [id, 'priority', fresh ? null : String(c.priority), String(next.priority)],
      [id, 'due_at', fresh ? null : String(c.due_at), next.due_at],
    );
  }
  await writeFigures(conn, updates, now);
  await recordCaseChanges(conn, by, now, history);
  return result;
}

/** Writes the cases' new figures in one statement (rows from a JSON array), bumping each version. */
async function writeFigures(conn: PoolConnection, updates: readonly Figures[], now: string): Promise<void> {
  if (updates.length === 0) return;
  await execute(
    `UPDATE cases c JOIN JSON_TABLE(?, '$[*]' COLUMNS (
       id BIGINT UNSIGNED PATH '$.id', risk_level VARCHAR(6) PATH '$.risk_level', priority INT PATH '$.priority',
       amount DECIMAL(17,2) PATH '$.amount', rule_ids VARCHAR(1000) PATH '$.rule_ids',
       rule_count INT PATH '$.rule_count', alert_count INT PATH '$.alert_count',
       latest_booked_at DATETIME PATH '$.latest_booked_at', due_at DATETIME PATH '$.due_at')) f ON f.id = c.id
     SET c.risk_level = f.risk_level, c.priority = f.priority, c.amount = f.amount, c.rule_ids = f.rule_ids,
       c.rule_count = f.rule_count, c.alert_count = f.alert_count,
       c.latest_booked_at = f.latest_booked_at, c.due_at = f.due_at, c.version = c.version + 1,
       c.updated_at = ?`,
    [JSON.stringify(updates), now],
    conn,
  );
}
