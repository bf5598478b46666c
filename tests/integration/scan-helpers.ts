/**
 * What the scan's integration tests read and reset between runs: the system alerts as comparable keys, duplicates,
 * and the scan's own tables. Not a test file itself (no .test.ts): the scan tests import it.
 */
import { execute, query } from '../../lib/db/pool.js';

/** Empties everything a scan writes (cases, alerts, their history, runs, watermarks, histogram, client states). */
export async function resetScanState(): Promise<void> {
  for (const table of [
    'case_history',
    'case_notes',
    'case_clients',
    'case_alerts',
    'cases',
    'alert_history',
    'alerts',
    'scan_runs',
    'scan_watermarks',
    'scan_amount_histogram',
    'scan_client_state',
  ])
    await execute(`DELETE FROM ${table}`);
}

/** Deletes the alerts of transactions above `id`, and their places in cases (a test's own rows, cleaned up). */
export async function forgetAlertsAbove(id: number): Promise<void> {
  await execute(
    'DELETE ca FROM case_alerts ca JOIN alerts a ON a.id = ca.alert_id WHERE a.transaction_id > ?',
    [id],
  );
  await execute(
    'DELETE h FROM alert_history h JOIN alerts a ON a.id = h.alert_id WHERE a.transaction_id > ?',
    [id],
  );
  await execute('DELETE FROM alerts WHERE transaction_id > ?', [id]);
}

/** Every system alert as "transaction|rule|risk". */
export async function alertKeys(): Promise<string[]> {
  const rows = await query<{ transaction_id: number; rule_id: string; risk_level: string }>(
    "SELECT transaction_id, rule_id, risk_level FROM alerts WHERE flagged_by = 'system' ORDER BY transaction_id, rule_id",
  );
  return rows.map((r) => `${r.transaction_id}|${r.rule_id}|${r.risk_level}`);
}

/** How many (transaction, rule) pairs have more than one alert. */
export async function duplicates(): Promise<number> {
  const rows = await query<{ n: number }>(
    'SELECT COUNT(*) AS n FROM (SELECT transaction_id, rule_id FROM alerts WHERE rule_id IS NOT NULL GROUP BY transaction_id, rule_id HAVING COUNT(*) > 1) d',
  );
  return Number(rows[0]?.n ?? 0);
}

/**
 * Every case as comparable text, oldest first: a client case as `client <id> <status> <risk>: <its alerts>`, a
 * network case as `network <its clients> <status> <risk>: <its alerts>`, an alert as "transaction|rule".
 */
export async function caseKeys(): Promise<string[]> {
  const cases = await query<{
    id: number;
    kind: string;
    client_id: number | null;
    status: string;
    risk_level: string;
  }>('SELECT id, kind, client_id, status, risk_level FROM cases ORDER BY kind, client_id, id');
  const keys: string[] = [];
  for (const c of cases) {
    const alerts = await query<{ transaction_id: number; rule_id: string }>(
      `SELECT a.transaction_id, a.rule_id FROM case_alerts ca JOIN alerts a ON a.id = ca.alert_id
        WHERE ca.case_id = ? ORDER BY a.transaction_id, a.rule_id`,
      [c.id],
    );
    const named = await query<{ client_id: number }>(
      'SELECT client_id FROM case_clients WHERE case_id = ? ORDER BY client_id',
      [c.id],
    );
    const who =
      c.kind === 'client' ? `client ${c.client_id}` : `network ${named.map((n) => n.client_id).join(',')}`;
    keys.push(
      `${who} ${c.status} ${c.risk_level}: ${alerts.map((a) => `${a.transaction_id}|${a.rule_id}`).join(' ')}`,
    );
  }
  return keys.sort();
}
