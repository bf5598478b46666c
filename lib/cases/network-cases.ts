/**
 * Network cases: a finding about money moving between clients — fan-in, fan-out, cycle, scatter-gather,
 * gather-scatter, pass-through — whose transactions (those its evidence names, their senders and the bank's own
 * recipients) belong to two or more clients opens one case naming all of them (case_clients); each of those clients'
 * cases links to it (GET /cases/{id}: `network_cases`, `related_clients`).
 *
 * A finding is known by its key: SHA-256 of its rule and the smallest transaction id its evidence names. Every alert
 * of the finding carries the same evidence — the payer's and the receiving side's, the first chunk's and the one
 * that completes it in the next — so the same finding seen again (a re-run, a full rescan, an incremental scan across
 * a chunk edge) finds its case through the unique key instead of opening another. A finding that grows (a fan-in
 * gaining senders) keeps its earliest transfer, and its case. A closed network case is never reopened: the
 * finding's later alerts join nothing.
 */
import { createHash } from 'node:crypto';
import type { PoolConnection } from 'mysql2/promise';
import { relatedTransactionIds } from '../alerts/repository.js';
import { execute, query } from '../db/pool.js';
import type { CaseChange } from './history.js';

/** The rules whose findings are about several parties, and may span clients. */
export const NETWORK_CASE_RULES = [
  'fan-in',
  'fan-out',
  'cycle',
  'scatter-gather',
  'gather-scatter',
  'pass-through',
] as const;

/** An alert of a network-case rule. */
export interface NetworkAlert {
  alertId: number;
  transactionId: number;
  ruleId: string;
  /** Its evidence, as JSON text or parsed (as the driver gives a JSON column). */
  evidence: unknown;
  bookedAt: Date;
}

/** One finding among the alerts: its key, its alerts, the transactions it names and their clients. */
export interface NetworkFinding {
  key: string;
  alerts: NetworkAlert[];
  transactions: Set<number>;
  /** Ascending. */
  clients: number[];
}

function parse(evidence: unknown): unknown {
  if (typeof evidence !== 'string') return evidence ?? {};
  try {
    return JSON.parse(evidence);
  } catch {
    return {};
  }
}

/**
 * A finding's key: SHA-256 (hex) of `rule:id`, id being the smallest transaction its evidence names (the alert's own
 * transaction when it names none).
 *
 * @example networkKey('fan-in', '{"relatedTransactionIds":[12,9,30]}', 30) // sha256('fan-in:9')
 */
export function networkKey(ruleId: string, evidence: unknown, transactionId: number): string {
  const named = relatedTransactionIds(parse(evidence));
  const first = named.length ? Math.min(...named) : transactionId;
  return createHash('sha256').update(`${ruleId}:${first}`).digest('hex');
}

function findingsOf(alerts: readonly NetworkAlert[]): NetworkFinding[] {
  const byKey = new Map<string, NetworkFinding>();
  for (const a of alerts) {
    const key = networkKey(a.ruleId, a.evidence, a.transactionId);
    const f = byKey.get(key) ?? { key, alerts: [], transactions: new Set<number>(), clients: [] };
    f.alerts.push(a);
    f.transactions.add(a.transactionId);
    for (const id of relatedTransactionIds(parse(a.evidence))) f.transactions.add(id);
    byKey.set(key, f);
  }
  return [...byKey.values()].sort((a, b) => (a.key < b.key ? -1 : 1));
}

/** The clients each transaction concerns: its account's owner and, when it pays one of the bank's accounts, that one's. */
async function clientsOfTransactions(
  conn: PoolConnection,
  ids: readonly number[],
): Promise<Map<number, Set<number>>> {
  const rows = await query<{ tx: number; client_id: number }>(
    `SELECT t.id AS tx, ac.client_id FROM transactions t JOIN accounts ac ON ac.id = t.account_id WHERE t.id IN (?)
     UNION
     SELECT t.id, r.client_id FROM transactions t
       JOIN accounts r ON r.account_number = REPLACE(UPPER(t.recipient_account), ' ', '')
      WHERE t.id IN (?) AND t.amount < 0`,
    [ids, ids],
    conn,
  );
  const clients = new Map<number, Set<number>>();
  for (const r of rows) {
    const set = clients.get(Number(r.tx)) ?? new Set<number>();
    set.add(Number(r.client_id));
    clients.set(Number(r.tx), set);
  }
  return clients;
}

/** Opens the findings' cases (keys in order: two attachers take their key locks in the same order) and reads them. */
async function openNetworkCases(conn: PoolConnection, keys: readonly string[], now: string) {
  await execute(
    `INSERT IGNORE INTO cases (kind, network_key, status, risk_level, priority, due_at, opened_at, updated_at)
     VALUES ${keys.map(() => "('network', ?, 'open', 'Low', 0, ?, ?, ?)").join(', ')}`,
    keys.flatMap((key) => [key, now, now, now]),
    conn,
  );
  const rows = await query<{ id: number; network_key: string; status: string; alert_count: number }>(
    'SELECT id, network_key, status, alert_count FROM cases WHERE network_key IN (?) ORDER BY network_key FOR UPDATE',
    [keys],
    conn,
  );
  return new Map(rows.map((r) => [r.network_key, r]));
}

/**
 * The network findings among `alerts` (those of network-case rules, with their evidence) that span two or more
 * clients, with their clients — read before anything is locked (a plain read), so the attacher can lock those
 * clients first.
 */
export async function readNetworkFindings(
  conn: PoolConnection,
  alerts: readonly NetworkAlert[],
): Promise<NetworkFinding[]> {
  if (alerts.length === 0) return [];
  const findings = findingsOf(alerts);
  const owners = await clientsOfTransactions(
    conn,
    findings.flatMap((f) => [...f.transactions]),
  );
  for (const f of findings)
    f.clients = [...new Set([...f.transactions].flatMap((id) => [...(owners.get(id) ?? [])]))].sort(
      (a, b) => a - b,
    );
  return findings.filter((f) => f.clients.length >= 2);
}

/**
 * Puts the alerts of `findings` that may join a network case (`open`: not in one yet, as the attacher read them
 * under its locks) into their findings' network cases, opening a case for a finding that has none and naming its
 * clients; returns the cases opened (and those opened only by history), the links to make and the history rows of
 * what it did. The caller links and refreshes.
 */
export async function attachToNetworkCases(
  conn: PoolConnection,
  findings: readonly NetworkFinding[],
  open: ReadonlyArray<{ alertId: number }>,
  now: string,
  isOld: (bookedAt: Date) => boolean,
): Promise<{
  opened: number[];
  openedOnHistory: number[];
  links: Array<[caseId: number, alertId: number]>;
  history: CaseChange[];
}> {
  const out = {
    opened: [] as number[],
    openedOnHistory: [] as number[],
    links: [] as Array<[number, number]>,
  };
  const history: CaseChange[] = [];
  const joining = new Set(open.map((a) => a.alertId));
  const spanning = findings.filter((f) => f.alerts.some((a) => joining.has(a.alertId)));
  if (spanning.length === 0) return { ...out, history };
  const cases = await openNetworkCases(
    conn,
    spanning.map((f) => f.key),
    now,
  );
  const named: Array<[number, number]> = [];
  for (const f of spanning) {
    const c = cases.get(f.key);
    if (!c || c.status === 'closed') continue;
    const caseId = Number(c.id);
    const alerts = f.alerts.filter((a) => joining.has(a.alertId));
    for (const a of alerts) out.links.push([caseId, a.alertId]);
    for (const clientId of f.clients) named.push([caseId, clientId]);
    if (Number(c.alert_count) !== 0 || out.opened.includes(caseId)) continue;
    out.opened.push(caseId);
    history.push([caseId, 'status', null, 'open']);
    if (alerts.every((a) => isOld(a.bookedAt))) out.openedOnHistory.push(caseId);
  }
  if (named.length)
    await execute(
      `INSERT IGNORE INTO case_clients (case_id, client_id) VALUES ${named.map(() => '(?, ?)').join(', ')}`,
      named.flat(),
      conn,
    );
  return { ...out, history };
}
