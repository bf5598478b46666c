/**
 * What the scan's integration tests read and reset between runs: the system alerts as comparable keys, duplicates,
 * and the scan's own tables. Not a test file itself (no .test.ts): the scan tests import it.
 */
import { execute, query } from '../../lib/db/pool.js';

/** Empties everything a scan writes (alerts, their history, runs, watermarks, histogram, client states). */
export async function resetScanState(): Promise<void> {
  for (const table of [
    'alert_history',
    'alerts',
    'scan_runs',
    'scan_watermarks',
    'scan_amount_histogram',
    'scan_client_state',
  ])
    await execute(`DELETE FROM ${table}`);
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
