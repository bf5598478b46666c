import { describe, expect, it } from 'vitest';
import { recipientKey } from '../../lib/rules/engine.js';
import { decodeRow, parseDate, parseDateTime } from '../../lib/scan/source.js';

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
    const row = [
      7,
      1,
      3,
      '2025-01-02 10:00:00',
      '-120.50',
      'EUR',
      '880.00',
      'fr76 3000 6000 0112 3456 7890 189',
      'pending',
      'Rent',
    ];
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
    expect(
      decodeRow([8, 1, 5, '2025-01-02 10:00:00', '-5.00', 'EUR', null, '', 'completed', null], types),
    ).toMatchObject({ recipient: null, recipientCountry: null, transfer: false, balanceAfter: null });
    expect(
      decodeRow([9, 1, 3, '2025-01-02 10:00:00', '-5.00', 'EUR', null, null, 'cancelled', null], types),
    ).toBe(undefined);
  });
});
