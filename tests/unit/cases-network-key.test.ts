import { describe, expect, it } from 'vitest';
import { networkKey } from '../../lib/cases/network-cases.js';

describe('networkKey', () => {
  it('is the same for every alert of a finding: payer or receiving side, evidence as text or parsed', () => {
    const evidence = { recipient: 'LT60…', relatedTransactionIds: [30, 12, 9] };
    const payer = networkKey('fan-in', JSON.stringify(evidence), 30);
    const receiver = networkKey('fan-in', { ...evidence, receivingSide: true, paymentTransactionId: 30 }, 31);
    expect(receiver).toBe(payer);
    expect(payer).toMatch(/^[0-9a-f]{64}$/);
  });

  it('keeps a growing finding (a fan-in gaining payers) and tells rules and findings apart', () => {
    const first = networkKey('fan-in', { relatedTransactionIds: [9, 12, 30] }, 9);
    expect(networkKey('fan-in', { relatedTransactionIds: [9, 12, 30, 44] }, 44)).toBe(first);
    expect(networkKey('cycle', { relatedTransactionIds: [9, 12, 30] }, 9)).not.toBe(first);
    expect(networkKey('fan-in', { relatedTransactionIds: [12, 30, 44] }, 44)).not.toBe(first);
  });

  it('falls back on the alert’s own transaction when its evidence names none', () => {
    expect(networkKey('pass-through', '{}', 7)).toBe(networkKey('pass-through', 'not json', 7));
    expect(networkKey('pass-through', {}, 7)).not.toBe(networkKey('pass-through', {}, 8));
  });
});
