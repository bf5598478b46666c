import { describe, expect, it } from 'vitest';
import { DEFAULT_RULES_CONFIG } from '../../lib/rules/config.js';
import { findingsOf, timeline, txn } from './rules-helpers.js';

const cfg = DEFAULT_RULES_CONFIG.structuring;
const limit = cfg.thresholds.EUR as number;

describe('structuring', () => {
  it('finds nothing in an empty timeline', () => {
    expect(findingsOf('structuring', timeline([]), cfg)).toEqual([]);
  });

  it('flags three deposits just under the threshold within a day, the lowest exactly at the band’s floor', () => {
    const txns = [cfg.lowerShare * limit, limit - 0.01, limit - 100].map((amount, i) =>
      txn({ amount, type: 'deposit', minutes: i * 60 * 11.99 }),
    );
    const findings = findingsOf('structuring', timeline(txns), cfg);
    expect(findings).toHaveLength(3);
    expect(findings[0]?.score).toBe(cfg.baseScore);
    expect(findings[0]?.evidence).toMatchObject({
      reportingThreshold: limit,
      count: 3,
      band: { below: limit },
    });
  });

  it('does not count an amount at the threshold (that one is reported) or just below the band', () => {
    const txns = [limit, limit * cfg.lowerShare - 0.01, limit - 1, limit - 2].map((amount, i) =>
      txn({ amount, minutes: i }),
    );
    expect(findingsOf('structuring', timeline(txns), cfg)).toEqual([]);
  });

  it('needs them within the window', () => {
    const txns = [0, 12, cfg.windowHours + 0.01].map((h) => txn({ amount: limit - 10, minutes: h * 60 }));
    expect(findingsOf('structuring', timeline(txns), cfg)).toEqual([]);
  });

  it('keeps currencies apart, uses each one’s threshold, and skips currencies without one', () => {
    const pln = cfg.thresholds.PLN as number;
    const mixed = [
      txn({ amount: -(limit - 10) }),
      txn({ amount: -(pln - 10), currency: 'PLN', minutes: 1 }),
      txn({ amount: -(limit - 20), minutes: 2 }),
    ];
    expect(findingsOf('structuring', timeline(mixed), cfg)).toEqual([]);
    const plnDay = [1, 2, 3].map((i) => txn({ amount: pln - 10 * i, currency: 'PLN', minutes: i }));
    expect(findingsOf('structuring', timeline(plnDay), cfg)).toHaveLength(3);
    const chf = [1, 2, 3].map((i) => txn({ amount: 9_990, currency: 'CHF', minutes: i }));
    expect(findingsOf('structuring', timeline(chf), cfg)).toEqual([]);
  });

  it('counts debits and several accounts of the client, and ties in time', () => {
    const txns = [1, 2, 3, 4].map((i) => txn({ amount: -(limit - i), accountId: i, minutes: 0 }));
    const findings = findingsOf('structuring', timeline(txns), cfg);
    expect(findings).toHaveLength(4);
    expect(findings[0]?.score).toBe(cfg.baseScore + cfg.scorePerExtra);
  });
});
