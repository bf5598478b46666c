/**
 * Shared by the cases tests: clients with one account each, transactions booked when the test says, system alerts
 * of the risk it says (inserted as the scan writes them), and attaching them through the function the scan calls.
 */

import { type AttachResult, attachAlertsToCases } from '../../lib/cases/attach.js';
import { execute, query, withTransaction } from '../../lib/db/pool.js';

let clientNo = 0;

/** A client with one EUR account; returns the account id and the client id. */
export async function makeClient(): Promise<{ clientId: number; accountId: number }> {
  await execute(
    `INSERT IGNORE INTO transaction_types (id, type, description) VALUES (3, 'outgoing transfer', 'Transfer')`,
  );
  clientNo++;
  const client = await execute(
    `INSERT INTO clients (first_name, last_name, identifier, birth_date, email, phone, gender, registration_date,
       is_active, country, locale) VALUES ('Case', ?, ?, '1980-01-01', ?, '+48 600 100 200', 'M', '2020-01-01',
       'Yes', 'PL', 'pl_PL')`,
    [`Client${clientNo}`, `8001011${String(clientNo).padStart(4, '0')}`, `case${clientNo}@example.pl`],
  );
  const account = await execute(
    `INSERT INTO accounts (client_id, account_number, account_type, opening_date, balance, currency)
     VALUES (?, ?, 'personal', '2020-01-01', 1000.00, 'EUR')`,
    [client.insertId, `PL27114020040000${String(clientNo).padStart(10, '0')}`],
  );
  return { clientId: client.insertId, accountId: account.insertId };
}

export interface AlertSpec {
  risk: 'Low' | 'Medium' | 'High';
  /** Booking time `YYYY-MM-DD HH:MM:SS`; default a fixed day. */
  booked?: string;
  rule?: string;
  amount?: string;
  /** Transactions the evidence names as related. */
  related?: number[];
}

/** A transaction on `accountId` and a system alert on it; returns the alert and transaction ids. */
export async function makeAlert(
  accountId: number,
  spec: AlertSpec,
): Promise<{ alertId: number; txId: number }> {
  const tx = await execute(
    `INSERT INTO transactions (account_id, transaction_type_id, date, amount, currency, balance_after,
       recipient_account, status, title) VALUES (?, 3, ?, ?, 'EUR', 100.00, 'DE89370400440532013000', 'completed', 'x')`,
    [accountId, spec.booked ?? '2026-03-01 10:00:00', spec.amount ?? '-1000.00'],
  );
  const alert = await execute(
    `INSERT INTO alerts (transaction_id, reason, risk_level, alert_date, flagged_by, rule_id, score, evidence, status)
     VALUES (?, 'rapid transfers', ?, NOW(), 'system', ?, 60, ?, 'open')`,
    [
      tx.insertId,
      spec.risk,
      spec.rule ?? 'rapid-transfers',
      JSON.stringify({ relatedTransactionIds: spec.related ?? [] }),
    ],
  );
  return { alertId: alert.insertId, txId: tx.insertId };
}

/** Attaches alerts in a transaction of their own, as the scan will. */
export function attach(alertIds: number[], by = 'scan'): Promise<AttachResult> {
  return withTransaction((conn) => attachAlertsToCases(conn, alertIds, by));
}

/** The case rows of a client, oldest first. */
export function casesOf(clientId: number) {
  return query<{ id: number; status: string; risk_level: string; alert_count: number; version: number }>(
    'SELECT id, status, risk_level, alert_count, version FROM cases WHERE client_id = ? ORDER BY id',
    [clientId],
  );
}

/** The alert ids of a case, ascending. */
export async function alertsOf(caseId: number): Promise<number[]> {
  const rows = await query<{ alert_id: number }>(
    'SELECT alert_id FROM case_alerts WHERE case_id = ? ORDER BY alert_id',
    [caseId],
  );
  return rows.map((r) => Number(r.alert_id));
}
