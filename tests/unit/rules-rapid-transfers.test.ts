import { describe, expect, it } from 'vitest';
import { DEFAULT_RULES_CONFIG } from '../../lib/rules/config.js';
import type { Txn } from '../../lib/rules/types.js';
import { findingsOf, timeline, txn } from './rules-helpers.js';

const cfg = DEFAULT_RULES_CONFIG['rapid-transfers'];

/** `n` transfers `gap` minutes apart from a balance of 1000, moving `share` of it in equal parts. */
function series(n: number, gap: number, share: number, fields: Partial<Txn> = {}): Txn[] {
  let balance = 1000;
  const part = (1000 * share) / n;
  return Array.from({ length: n }, (_, i) => {
    balance -= part;
    return txn({
      amount: -part,
      minutes: i * gap,
      balanceAfter: balance,
      recipient: `LT${i}0000`,
      ...fields,
    });
  });
}

describe('rapid-transfers', () => {
  it('finds nothing in an empty timeline', () => {
    expect(findingsOf('rapid-transfers', timeline([]), cfg)).toEqual([]);
  });

  it('flags a series of exactly minSeries transfers, maxGap apart, moving exactly minDrainShare of the balance', () => {
    const txns = series(cfg.minSeries, cfg.maxGapMinutes, cfg.minDrainShare);
    const findings = findingsOf('rapid-transfers', timeline(txns), cfg);
    expect(findings).toHaveLength(cfg.minSeries);
    expect(findings[0]?.score).toBe(cfg.baseScore);
    expect(findings[0]?.evidence).toMatchObject({
      startBalance: 1000,
      moved: 500,
      drainedShare: 0.5,
      transfers: 3,
    });
  });

  it('scores a full drain at the maximum', () => {
    const [finding] = findingsOf('rapid-transfers', timeline(series(4, 5, 1)), cfg);
    expect(finding?.score).toBe(cfg.maxScore);
  });

  it('does not flag one transfer fewer, a wider gap, a smaller share, or an unknown balance', () => {
    expect(findingsOf('rapid-transfers', timeline(series(cfg.minSeries - 1, 1, 1)), cfg)).toEqual([]);
    expect(
      findingsOf('rapid-transfers', timeline(series(cfg.minSeries, cfg.maxGapMinutes + 1, 1)), cfg),
    ).toEqual([]);
    expect(
      findingsOf('rapid-transfers', timeline(series(cfg.minSeries, 1, cfg.minDrainShare - 0.01)), cfg),
    ).toEqual([]);
    expect(findingsOf('rapid-transfers', timeline(series(5, 1, 1, { balanceAfter: null })), cfg)).toEqual([]);
  });

  it('ignores card payments and keeps accounts apart', () => {
    const cards = series(5, 1, 1, { transfer: false, type: 'card payment' });
    expect(findingsOf('rapid-transfers', timeline(cards), cfg)).toEqual([]);
    const a = series(2, 1, 1, { accountId: 1 });
    const b = series(2, 1, 1, { accountId: 2 });
    expect(findingsOf('rapid-transfers', timeline([...a, ...b]), cfg)).toEqual([]);
  });
});
