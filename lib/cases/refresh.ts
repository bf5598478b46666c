/**
 * A case's figures — risk, amount, independent signals, alert count, priority and due time — recomputed from its
 * alerts, for many cases at once (a scan chunk touches hundreds): three reads and one UPDATE, whatever their number.
 * The answer is the same however many times, and in whatever grouping, the alerts arrived; a case whose figures come
 * out as they stand is not written (its version stays, no history row), so attaching again is free.
 *
 * The amount of a case that already had alerts is its amount plus the transactions of the alerts it just gained that
 * none of its other alerts is on: reading the amounts of all of its transactions again — random reads all over the
 * transactions table — was most of what attaching cost an incremental scan.
 */
import type { PoolConnection } from 'mysql2/promise';
import type { RiskLevel } from '../alerts/schemas.js';
import { execute, query } from '../db/pool.js';
import { type CaseChange, fromDbTime, recordCaseChanges, toDbTime } from './history.js';
import { casePriority, dueTime, maxRisk, signalOf } from './priority.js';
import type { CaseSettings } from './settings.js';

type CaseFigures = {
  risk_level: RiskLevel;
  priority: number;
  amount: string;
  rule_count: number;
  alert_count: number;
  due_at: string;
};

type CaseAlert = {
  case_id: number;
  alert_id: number;
  risk_level: RiskLevel;
  rule_id: string | null;
  tx: number;
};

/** The figures of one case from its alerts and its amount (its due time aside). */
function figuresOf(alerts: readonly CaseAlert[], amount: number, s: CaseSettings) {
  const risk = alerts.reduce<RiskLevel>((r, a) => maxRisk(r, a.risk_level), 'Low');
  const signals = new Set(alerts.map((a) => signalOf(a.rule_id))).size;
  return { risk, amount: amount.toFixed(2), signals, priority: casePriority({ risk, amount, signals }, s) };
}

/**
 * A case's transactions whose amount it does not count yet: all of them for a case without alerts until now
 * (`fresh`), else those of the alerts it just gained (`added`) that none of its other alerts is on.
 */
function uncounted(alerts: readonly CaseAlert[], fresh: boolean, added: ReadonlySet<number>): Set<number> {
  if (fresh) return new Set(alerts.map((a) => Number(a.tx)));
  const counted = new Set(alerts.filter((a) => !added.has(Number(a.alert_id))).map((a) => Number(a.tx)));
  return new Set(alerts.map((a) => Number(a.tx)).filter((tx) => !counted.has(tx)));
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

/**
 * Recomputes the figures of `caseIds` (locked), which just gained the alerts `added` (or had alerts raised), and
 * writes those that changed, with their history rows and a new version; resolves with the cases written and, among
 * them, those whose risk became High.
 */
export async function refreshCases(
  conn: PoolConnection,
  caseIds: readonly number[],
  added: ReadonlySet<number>,
  by: string,
  now: string,
  s: CaseSettings,
): Promise<{ changed: number[]; becameHigh: number[] }> {
  const result = { changed: [] as number[], becameHigh: [] as number[] };
  if (caseIds.length === 0) return result;
  const current = await query<CaseFigures & { id: number }>(
    `SELECT id, risk_level, priority, amount, rule_count, alert_count, due_at FROM cases WHERE id IN (?)
     ORDER BY id FOR UPDATE`,
    [caseIds],
    conn,
  );
  const alerts = await query<CaseAlert>(
    `SELECT ca.case_id, ca.alert_id, a.risk_level, a.rule_id, a.transaction_id AS tx
     FROM case_alerts ca JOIN alerts a ON a.id = ca.alert_id
     WHERE ca.case_id IN (?) LOCK IN SHARE MODE`,
    [caseIds],
    conn,
  );
  const byCase = new Map<number, CaseAlert[]>();
  for (const a of alerts) {
    const list = byCase.get(Number(a.case_id));
    if (list) list.push(a);
    else byCase.set(Number(a.case_id), [a]);
  }
  const toCount = new Map(
    current.map((c) => [
      Number(c.id),
      uncounted(byCase.get(Number(c.id)) ?? [], Number(c.alert_count) === 0, added),
    ]),
  );
  const amounts = await amountsOf(conn, [...new Set([...toCount.values()].flatMap((set) => [...set]))]);
  const updates: Array<CaseFigures & { id: number }> = [];
  const history: CaseChange[] = [];
  for (const c of current) {
    const id = Number(c.id);
    const mine = byCase.get(id) ?? [];
    const fresh = Number(c.alert_count) === 0;
    let amount = fresh ? 0 : Number(c.amount);
    for (const tx of toCount.get(id) ?? []) amount += amounts.get(tx) ?? 0;
    const f = figuresOf(mine, amount, s);
    const raised = fresh || maxRisk(c.risk_level, f.risk) !== c.risk_level;
    const due = dueAfter(fresh, raised, f.risk, fromDbTime(now), c.due_at, s);
    const next = {
      id,
      risk_level: f.risk,
      priority: f.priority,
      amount: f.amount,
      rule_count: f.signals,
      alert_count: mine.length,
      due_at: due,
    };
    const same =
      !fresh &&
      next.risk_level === c.risk_level &&
      next.priority === Number(c.priority) &&
      next.amount === String(c.amount) &&
      next.rule_count === Number(c.rule_count) &&
      next.alert_count === Number(c.alert_count) &&
      next.due_at === String(c.due_at);
    if (same) continue;
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
async function writeFigures(
  conn: PoolConnection,
  updates: ReadonlyArray<CaseFigures & { id: number }>,
  now: string,
): Promise<void> {
  if (updates.length === 0) return;
  await execute(
    `UPDATE cases c JOIN JSON_TABLE(?, '$[*]' COLUMNS (
       id BIGINT UNSIGNED PATH '$.id', risk_level VARCHAR(6) PATH '$.risk_level', priority INT PATH '$.priority',
       amount DECIMAL(17,2) PATH '$.amount', rule_count INT PATH '$.rule_count', alert_count INT PATH '$.alert_count',
       due_at DATETIME PATH '$.due_at')) f ON f.id = c.id
     SET c.risk_level = f.risk_level, c.priority = f.priority, c.amount = f.amount, c.rule_count = f.rule_count,
       c.alert_count = f.alert_count, c.due_at = f.due_at, c.version = c.version + 1, c.updated_at = ?`,
    [JSON.stringify(updates), now],
    conn,
  );
}
