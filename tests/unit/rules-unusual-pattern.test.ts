import { describe, expect, it } from 'vitest';
import { DEFAULT_RULES_CONFIG } from '../../lib/rules/config.js';
import { findingsOf, timeline, txn } from './rules-helpers.js';

const cfg = DEFAULT_RULES_CONFIG['unusual-pattern'];
const burst = (n: number, spanMinutes: number, fields = {}) =>
  Array.from({ length: n }, (_, i) =>
    txn({ amount: -50, minutes: n === 1 ? 0 : (i * spanMinutes) / (n - 1), ...fields }),
  );

describe('unusual-pattern', () => {
  it('finds nothing in an empty timeline', () => {
    expect(findingsOf('unusual-pattern', timeline([]), cfg)).toEqual([]);
  });

  it(`flags exactly ${cfg.minCount} transfers within exactly ${cfg.windowMinutes} minutes, each with the others' ids`, () => {
    const txns = burst(cfg.minCount, cfg.windowMinutes);
    const findings = findingsOf('unusual-pattern', timeline(txns), cfg);
    expect(findings).toHaveLength(cfg.minCount);
    expect(findings[0]?.related).toEqual(txns.slice(1).map((t) => t.id));
    expect(findings[0]?.evidence).toMatchObject({ transfers: cfg.minCount, spanMinutes: cfg.windowMinutes });
    expect(findings[0]?.score).toBe(cfg.baseScore);
  });

  it('does not flag one transfer fewer, or the same count spread a little wider', () => {
    expect(findingsOf('unusual-pattern', timeline(burst(cfg.minCount - 1, 1)), cfg)).toEqual([]);
    expect(
      findingsOf('unusual-pattern', timeline(burst(cfg.minCount, cfg.windowMinutes + 0.01)), cfg),
    ).toEqual([]);
  });

  it('counts mobile payments but not card payments or credits', () => {
    const mobile = burst(cfg.minCount, 5, { type: 'mobile payment', transfer: false });
    expect(findingsOf('unusual-pattern', timeline(mobile), cfg)).toHaveLength(cfg.minCount);
    const cards = burst(cfg.minCount, 5, { type: 'card payment', transfer: false });
    expect(findingsOf('unusual-pattern', timeline(cards), cfg)).toEqual([]);
    const credits = Array.from({ length: 8 }, (_, i) => txn({ amount: 50, minutes: i }));
    expect(findingsOf('unusual-pattern', timeline(credits), cfg)).toEqual([]);
  });

  it('scores a longer burst higher, up to the cap, and merges overlapping windows into one burst', () => {
    const long = burst(30, 60);
    const findings = findingsOf('unusual-pattern', timeline(long), cfg);
    expect(findings).toHaveLength(30);
    expect(findings[0]?.score).toBe(cfg.maxScore);
  });

  it('keeps accounts apart and handles ties in time', () => {
    const a = burst(3, 0, { accountId: 1 });
    const b = burst(3, 0, { accountId: 2 });
    expect(findingsOf('unusual-pattern', timeline([...a, ...b]), cfg)).toEqual([]);
    expect(findingsOf('unusual-pattern', timeline(burst(cfg.minCount, 0)), cfg)).toHaveLength(cfg.minCount);
  });
});
