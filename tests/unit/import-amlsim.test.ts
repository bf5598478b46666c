import { describe, expect, it } from 'vitest';
import { type AmlsimData, parseNodeLine, parseTransferLine, patternOf } from '../../lib/import/amlsim.js';
import { bookingTime, ibanOf, importRows } from '../../lib/import/rows.js';
import { isValidIban } from '../../lib/seed/iban.js';

const accounts = new Map([
  [0, { node: 0, fraud: false, initBalance: 100, fraudStep: -1 }],
  [1, { node: 1, fraud: true, initBalance: 50, fraudStep: 2 }],
]);

describe('import-amlsim', () => {
  it('reads a node line and names what is wrong with a bad one', () => {
    expect(parseNodeLine(['7', '1', '12.50', '4'])).toEqual({
      node: 7,
      fraud: true,
      initBalance: 12.5,
      fraudStep: 4,
    });
    expect(parseNodeLine(['7', '2', '12.50', '4'])).toBe('isFraud "2" is not 0 or 1');
    expect(parseNodeLine(['7', '1', '12.50'])).toBe('expected 4 fields, found 3');
  });

  it('reads a transfer between known accounts and refuses unknown accounts, self-transfers and bad values', () => {
    expect(parseTransferLine(['0', '1', '10.05', '3'], accounts, 0)).toEqual({
      source: 0,
      target: 1,
      cents: 1005,
      step: 3,
      order: 0,
    });
    expect(parseTransferLine(['0', '9', '1', '3'], accounts, 0)).toBe('targetNodeId 9 is not in nodes.csv');
    expect(parseTransferLine(['1', '1', '1', '3'], accounts, 0)).toBe('a transfer from account 1 to itself');
    expect(parseTransferLine(['0', '1', '-1', '3'], accounts, 0)).toBe('value "-1" is not a positive amount');
  });

  it('takes the typology from metadata.txt when it names one', () => {
    expect(patternOf('nodes: 20,000\npatterns: 200 fan-in\n')).toBe('fan-in');
    expect(patternOf('patterns: 200 cycles\n')).toBe('cycle');
    expect(patternOf('patterns: 200 fan-in, 200 cycles\n')).toBeUndefined();
  });

  it('spreads the transfers of a step evenly over its day', () => {
    const start = new Date('2025-01-01T00:00:00Z');
    expect(bookingTime(start, 1, 0, 2)).toBe('2025-01-02 06:00:00');
    expect(bookingTime(start, 1, 1, 2)).toBe('2025-01-02 18:00:00');
  });

  it('gives every account a valid, stable IBAN', () => {
    expect(isValidIban(ibanOf(0))).toBe(true);
    expect(ibanOf(12345)).toBe(ibanOf(12345));
    expect(ibanOf(1)).not.toBe(ibanOf(2));
  });

  it('books a transfer as a debit on the source and a credit on the target, and labels the fraud account', () => {
    const data: AmlsimData = {
      accounts,
      transfers: [
        { source: 1, target: 0, cents: 500, step: 1, order: 1 },
        { source: 0, target: 1, cents: 1000, step: 0, order: 0 },
      ],
      bad: [],
      pattern: 'fan-in',
    };
    const rows = importRows(data, new Date('2025-01-01T00:00:00Z'), { outgoing: 3, incoming: 4 });
    const transactions = [...rows.transactions];
    expect(transactions.map((t) => [t[0], t[1], t[2], t[4], t[6]])).toEqual([
      [1, 1, 3, '-10.00', '90.00'],
      [2, 2, 4, '10.00', '60.00'],
      [3, 2, 3, '-5.00', '55.00'],
      [4, 1, 4, '5.00', '95.00'],
    ]);
    expect(transactions[0]?.[7]).toBe(ibanOf(1));
    expect(rows.labels.map((l) => [l[0], l[1], l[2]])).toEqual([
      [2, 2, 'amlsim-fan-in'],
      [3, 2, 'amlsim-fan-in'],
    ]);
    expect(rows.accounts.map((a) => a[5])).toEqual(['95.00', '55.00']);
  });
});
