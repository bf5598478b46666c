import { describe, expect, it } from 'vitest';
import { DEFAULT_RULES_CONFIG } from '../../lib/rules/config.js';
import { ClientDetector, type Settled, STATE_VERSION } from '../../lib/rules/engine.js';
import { readStateHead, StateReader } from '../../lib/rules/state-codec.js';
import { MAX_EPISODE } from '../../lib/rules/stats.js';
import type { Finding, Txn } from '../../lib/rules/types.js';
import {
  context,
  DAYS,
  detectTimeline,
  eventfulYear,
  population,
  T0,
  timeline,
  txn,
} from './rules-helpers.js';

const rules = DEFAULT_RULES_CONFIG;

const keys = (findings: readonly Finding[]) =>
  [...new Set(findings.map((f) => `${f.transactionId}|${f.ruleId}`))].sort();

/** Runs `txns` through detectors saved and restored after each of `cuts` (as chunked scans do). */
function inChunks(txns: readonly Txn[], cuts: readonly number[]): Finding[] {
  const sorted = timeline([...txns]).txns;
  const ctx = context(population);
  const findings: Finding[] = [];
  let saved: Buffer | undefined;
  let start = 0;
  for (const end of [...cuts, sorted.length]) {
    const d = saved
      ? ClientDetector.restore(1, 'DE', rules, ctx, saved)
      : new ClientDetector(1, 'DE', rules, ctx);
    d.describeAccount({ id: 1, currency: 'EUR', openedAt: T0 - 3 * 365 * DAYS });
    for (const s of d.judge(sorted.slice(start, end))) findings.push(...s.findings);
    saved = d.save();
    start = end;
  }
  return findings;
}

describe('detection engine', () => {
  it('finds the same alerts when its memory is saved and restored between chunks, wherever the cuts fall', () => {
    const txns = eventfulYear();
    const whole = detectTimeline(timeline([...txns]), context(population), rules);
    expect(keys(whole).length).toBeGreaterThan(10);
    expect(new Set(whole.map((f) => f.ruleId))).toEqual(
      new Set([
        'client-baseline',
        'high-amount',
        'unusual-pattern',
        'rapid-transfers',
        'structuring',
        'unusual-location',
        'dormant-reactivation',
        'fan-out',
        'repeated-counterparty',
        'pass-through',
        'velocity',
      ]),
    );
    for (const cuts of [[41], [43, 44], [50], [48, 49, 50, 51], [53]]) {
      expect(keys(inChunks(txns, cuts)), `cuts at ${cuts}`).toEqual(keys(whole));
    }
  });

  it('hands out a transaction once, with the findings of every rule, only after its burst and its series have closed', () => {
    const ctx = context(population);
    // Without the rules that hold every payment for their windows of hours or days (the burst and the series are the
    // point).
    const off = { enabled: false };
    const d = new ClientDetector(
      1,
      'DE',
      {
        ...rules,
        'repeated-counterparty': { ...rules['repeated-counterparty'], ...off },
        'pass-through': { ...rules['pass-through'], ...off },
        velocity: { ...rules.velocity, ...off },
      },
      ctx,
    );
    d.describeAccount({ id: 1, currency: 'EUR', openedAt: T0 - DAYS });
    const settled: Settled[] = [];
    const big = txn({ amount: -5_000, minutes: 0, recipient: 'DE01' });
    d.push(big);
    d.settle(settled);
    expect(settled).toEqual([]);
    for (let i = 1; i < 5; i++) {
      d.push(txn({ amount: -20, minutes: i, recipient: `DE0${i}` }));
      d.settle(settled);
    }
    expect(settled).toEqual([]);
    // The burst closes 15 minutes after its last transfer, but the series of transfers could still go on for an hour.
    d.advance(big.time + 20 * 60_000);
    d.settle(settled);
    expect(settled).toEqual([]);
    d.advance(big.time + 65 * 60_000);
    d.settle(settled);
    const entry = settled.find((s) => s.id === big.id);
    expect(entry?.findings.map((f) => f.ruleId).sort()).toEqual([
      'client-baseline',
      'high-amount',
      'unusual-pattern',
    ]);
    expect(entry?.txn).toBe(big);
    expect(settled.filter((s) => s.id === big.id)).toHaveLength(1);
  });

  it('saves a versioned state of numbers and codes only (no IBAN), which restores to the same detector', () => {
    const d = new ClientDetector(1, 'DE', rules, context());
    const txns = eventfulYear().slice(0, 48);
    for (const t of txns) d.push(t);
    const saved = d.save();
    expect(saved.length % 8).toBe(0);
    expect(readStateHead(saved)).toEqual({
      version: STATE_VERSION,
      latest: Math.max(...txns.map((t) => t.time)),
    });
    // Every value is a number; text is only short codes (currency, country), never a recipient's IBAN.
    const input = new StateReader(saved);
    const values: number[] = [];
    while (!input.done) values.push(input.next());
    expect(values.every((v) => typeof v === 'number')).toBe(true);
    const text = String.fromCharCode(...values.filter((v) => Number.isInteger(v) && v >= 48 && v <= 90));
    expect(text).toContain('EUR');
    expect(text).not.toMatch(/DE89370400440532013000|DE0\d37/);
    expect(saved.toString('latin1')).not.toMatch(/DE89|FR76/);
    // Saving the restored detector gives the same state.
    expect(ClientDetector.restore(1, 'DE', rules, context(), saved).save().equals(saved)).toBe(true);
    const wrongVersion = Buffer.from(saved);
    wrongVersion.writeDoubleLE(0, 0); // (little-endian, as every platform in use)
    expect(() => ClientDetector.restore(1, 'DE', rules, context(), wrongVersion)).toThrow(/version/);
    expect(() => ClientDetector.restore(1, 'DE', rules, context(), saved.subarray(0, 40))).toThrow(
      /saved scan state/,
    );
    expect(readStateHead(Buffer.from('{"v":1,"t":1766507027,"a":[]}'))).toBeUndefined();
  });

  it('judges a late transaction by the amount and location rules only', () => {
    const d = new ClientDetector(1, 'DE', rules, context());
    const settled: Settled[] = [];
    d.push(txn({ amount: -10, minutes: 100 }));
    const late = Array.from({ length: 6 }, (_, i) =>
      txn({ amount: -10, minutes: i, recipient: 'FR7630006000011234567890189' }),
    );
    for (const t of late) d.push(t);
    d.flush();
    d.settle(settled, true);
    const fired = new Set(settled.flatMap((s) => s.findings.map((f) => f.ruleId)));
    expect(fired.has('unusual-pattern')).toBe(false);
    expect(fired.has('unusual-location')).toBe(true);
  });
});

describe('detection engine memory', () => {
  it('bounds an endless burst: episodes of at most MAX_EPISODE transfers, a state of bounded size', () => {
    const d = new ClientDetector(1, 'DE', rules, context(population));
    d.describeAccount({ id: 1, currency: 'EUR', openedAt: T0 - DAYS });
    const settled: Settled[] = [];
    for (let i = 0; i < 2_000; i++) {
      d.push(txn({ amount: -5, minutes: i * 2, type: 'mobile payment', transfer: false }));
      d.settle(settled);
    }
    d.flush();
    d.settle(settled, true);
    const bursts = settled.flatMap((s) => s.findings).filter((f) => f.ruleId === 'unusual-pattern');
    expect(bursts.length).toBe(2_000);
    expect(Math.max(...bursts.map((f) => f.related.length + 1))).toBeLessThanOrEqual(MAX_EPISODE);
    expect(d.save().length).toBeLessThan(60_000);
  });
});
