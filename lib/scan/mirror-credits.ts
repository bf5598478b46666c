/**
 * The receiving side of a network finding. A transfer between two accounts of the bank is booked twice: the debit on
 * the payer's account, which the network rules judge, and a credit on the recipient's at the same booking time,
 * naming the payer's IBAN as its counterparty (in the payee's currency, so the amount may differ) — or, where the
 * data names no counterparty on credits, for the same amount in the same currency. A finding on the debit is placed on that credit too, so
 * the account that received the money (a mule, a collection account, the next hop of a cycle) carries the alert as
 * well as the one that paid.
 */
import type { Pool, PoolConnection, RowDataPacket } from 'mysql2/promise';
import type { Finding } from '../rules/types.js';

/** Debit ids looked up per query. */
const LOOKUP_BATCH = 2_000;

/**
 * The credits mirroring the debits `debitIds`, by debit id (a debit to an IBAN outside the bank, or whose credit is
 * missing or cancelled, has none). Transfers between the same two accounts booked at the same second pair up in id
 * order, one credit each. IBANs compare upper case without spaces.
 */
export async function mirrorCredits(
  conn: Pool | PoolConnection,
  debitIds: readonly number[],
): Promise<Map<number, number>> {
  const mirrors = new Map<number, number>();
  const taken = new Set<number>();
  for (let i = 0; i < debitIds.length; i += LOOKUP_BATCH) {
    const [rows] = await conn.query<RowDataPacket[]>(
      `SELECT d.id AS debit, c.id AS credit
         FROM transactions d
         JOIN accounts payer ON payer.id = d.account_id
         JOIN accounts payee ON payee.account_number = REPLACE(UPPER(d.recipient_account), ' ', '')
         JOIN transactions c ON c.account_id = payee.id AND c.date = d.date AND c.amount > 0
          AND c.status <> 'cancelled'
          AND (REPLACE(UPPER(c.recipient_account), ' ', '') = REPLACE(UPPER(payer.account_number), ' ', '')
            OR (COALESCE(c.recipient_account, '') = '' AND c.amount = -d.amount AND c.currency = d.currency))
        WHERE d.id IN (?)
        ORDER BY d.id, c.id`,
      [debitIds.slice(i, i + LOOKUP_BATCH)],
    );
    for (const row of rows) {
      const debit = Number(row.debit);
      const credit = Number(row.credit);
      if (mirrors.has(debit) || taken.has(credit)) continue;
      mirrors.set(debit, credit);
      taken.add(credit);
    }
  }
  return mirrors;
}

/** `f` as it lands on the credit mirroring its debit: the debit becomes one of its related transactions. */
export function onCredit(f: Finding, credit: number): Finding {
  return {
    ...f,
    transactionId: credit,
    related: [f.transactionId, ...f.related],
    evidence: { ...f.evidence, receivingSide: true, paymentTransactionId: f.transactionId },
  };
}
