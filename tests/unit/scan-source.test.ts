import { describe, expect, it } from 'vitest';
import { recipientKey } from '../../lib/rules/stats.js';
import { decodeRow, parseDate, parseDateTime, TXN } from '../../lib/scan/source.js';

/** A row as the scan reads it (an array), its cells put where TXN says. */
function txnRow(cells: { [K in keyof typeof TXN]: unknown }): unknown[] {
  const row: unknown[] = [];
  for (const [column, value] of Object.entries(cells)) row[TXN[column as keyof typeof TXN]] = value;
  return row;
}

const types = new Map([
  [3, { type: 'outgoing transfer', transfer: true }],
  [5, { type: 'card payment', transfer: false }],
]);
describe('scan reading', () => {
  it('reads booking times as UTC wall-clock time', () => {
    expect(parseDateTime('2025-03-20 09:15:07')).toBe(Date.UTC(2025, 2, 20, 9, 15, 7));
    expect(parseDate('2024-02-29')).toBe(Date.UTC(2024, 1, 29));
  });

  it('decodes a row: signed amount, transfer flag, recipient country, legacy empty recipient, cancelled dropped', () => {
    const row = txnRow({
      id: 7,
      account_id: 1,
      transaction_type_id: 3,
      date: '2025-01-02 10:00:00',
      amount: '-120.50',
      currency: 'EUR',
      balance_after: '880.00',
      recipient_account: 'fr76 3000 6000 0112 3456 7890 189',
      status: 'pending',
      title: 'Rent',
    });
    expect(decodeRow(row, types)).toMatchObject({
      id: 7,
      direction: 'debit',
      transfer: true,
      amount: -120.5,
      balanceAfter: 880,
      recipient: 'FR7630006000011234567890189',
      recipientCountry: 'FR',
      recipientKey: recipientKey('FR7630006000011234567890189'),
      status: 'pending',
    });
    const payment = {
      id: 8,
      account_id: 1,
      transaction_type_id: 5,
      date: '2025-01-02 10:00:00',
      amount: '-5.00',
      currency: 'EUR',
      balance_after: null,
      recipient_account: '',
      status: 'completed',
      title: null,
    };
    expect(decodeRow(txnRow(payment), types)).toMatchObject({
      recipient: null,
      recipientCountry: null,
      transfer: false,
      balanceAfter: null,
    });
    expect(
      decodeRow(
        txnRow({ ...payment, id: 9, transaction_type_id: 3, recipient_account: null, status: 'cancelled' }),
        types,
      ),
    ).toBe(undefined);
  });
});
