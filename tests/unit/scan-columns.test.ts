import { describe, expect, it } from 'vitest';
import { groupByClient, TxnColumns } from '../../lib/scan/columns.js';
import { chunkByClient } from '../../lib/scan/scan.js';
import { decodeRow, parseDate, parseDateTime, type ScanAccount } from '../../lib/scan/source.js';

const types = new Map([
  [3, { type: 'outgoing transfer', transfer: true }],
  [5, { type: 'card payment', transfer: false }],
]);
const account = (id: number, clientId: number): ScanAccount => ({
  id,
  clientId,
  currency: 'EUR',
  openedAt: 0,
  clientCountry: 'DE',
});

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
      status: 'pending',
    });
    expect(
      decodeRow([8, 1, 5, '2025-01-02 10:00:00', '-5.00', 'EUR', null, '', 'completed', null], types),
    ).toMatchObject({ recipient: null, recipientCountry: null, transfer: false, balanceAfter: null });
    expect(
      decodeRow([9, 1, 3, '2025-01-02 10:00:00', '-5.00', 'EUR', null, null, 'cancelled', null], types),
    ).toBe(undefined);
  });

  it('chunks accounts without splitting a client', () => {
    const accounts = [
      account(1, 1),
      account(2, 1),
      account(3, 2),
      account(4, 3),
      account(5, 3),
      account(6, 3),
    ];
    expect(chunkByClient(accounts, 2).map((c) => c.map((a) => a.id))).toEqual([
      [1, 2],
      [3, 4, 5, 6],
    ]);
    expect(chunkByClient([], 2)).toEqual([]);
  });

  it('groups column rows by client in booking order', () => {
    const columns = new TxnColumns(1);
    const eur = columns.currencyOf('EUR');
    columns.push(1, 2, 300, -10, Number.NaN, 3, eur, false, 'LT601010012345678901');
    columns.push(2, 1, 100, 50, 50, 5, eur, false, null);
    columns.push(3, 3, 50, -5, 45, 5, eur, true, null);
    columns.push(4, 1, 100, -5, 45, 5, eur, false, null);
    const { order, clientStart } = groupByClient(columns, [account(1, 1), account(2, 1), account(3, 2)]);
    expect([...order]).toEqual([1, 3, 0, 2]);
    expect([...clientStart]).toEqual([0, 3, 4]);
    expect(columns.txn(0, types)).toMatchObject({
      recipientCountry: 'LT',
      balanceAfter: null,
      transfer: true,
    });
    expect(columns.txn(2, types).status).toBe('pending');
  });
});
