import { describe, expect, it } from 'vitest';
import { relatedTransactionIds } from '../../lib/alerts/repository.js';
import { createAlertBodySchema, listAlertsQuerySchema, timeString } from '../../lib/alerts/schemas.js';

describe('alerts request schemas', () => {
  it('turn query strings into typed filters', () => {
    expect(
      listAlertsQuerySchema.parse({ risk_level: 'High', account_id: '17', limit: '20', to: '2026-03-05' }),
    ).toEqual({
      risk_level: 'High',
      account_id: 17,
      limit: 20,
      to: { sql: '2026-03-05 00:00:00', dateOnly: true },
    });
  });

  it.each([
    ['2026-03-01', { sql: '2026-03-01 00:00:00', dateOnly: true }],
    ['2026-03-01T12:30', { sql: '2026-03-01 12:30:00', dateOnly: false }],
    ['2026-03-01T12:30:15Z', { sql: '2026-03-01 12:30:15', dateOnly: false }],
    ['2024-02-29', { sql: '2024-02-29 00:00:00', dateOnly: true }],
  ])('read the time %j', (value, expected) => {
    expect(timeString.parse(value)).toEqual(expected);
  });

  it.each([
    '2026-02-29',
    '2026-13-01',
    '2026-03-01T25:00',
    '2026-03-01T12:00+02:00',
    '1969-12-31',
    '20260301',
    '',
  ])('refuse the time %j', (value) => {
    expect(timeString.safeParse(value).success).toBe(false);
  });

  it('trim the reason and refuse control characters', () => {
    expect(
      createAlertBodySchema.parse({ transaction_id: 1, reason: '  high amount ', risk_level: 'Low' }).reason,
    ).toBe('high amount');
    expect(
      createAlertBodySchema.safeParse({ transaction_id: 1, reason: 'a\u0007b', risk_level: 'Low' }).success,
    ).toBe(false);
  });
});

describe('relatedTransactionIds', () => {
  it('reads the scan’s relatedTransactionIds, without the alert’s own transaction', () => {
    expect(relatedTransactionIds({ relatedTransactionIds: [3, 4, 5, 4] }, 5)).toEqual([3, 4]);
  });

  it('accepts other spellings, numeric strings, objects with ids and one level of nesting', () => {
    expect(relatedTransactionIds({ related: ['7', { id: 8 }], episode: { transactionIds: [9] } })).toEqual([
      7, 8, 9,
    ]);
  });

  it('ignores anything else', () => {
    expect(relatedTransactionIds(null)).toEqual([]);
    expect(relatedTransactionIds('text')).toEqual([]);
    expect(relatedTransactionIds({ related: 'no' })).toEqual([]);
    expect(relatedTransactionIds({ related: [-1, 0, 1.5, 'x', null, 2 ** 60] })).toEqual([]);
    expect(relatedTransactionIds({ a: { b: { related: [1] } } })).toEqual([]);
  });
});
