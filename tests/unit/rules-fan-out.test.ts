import { describe, expect, it } from 'vitest';
import { DEFAULT_RULES_CONFIG } from '../../lib/rules/config.js';
import type { Txn } from '../../lib/rules/types.js';
import { findingsOf, timeline, txn } from './rules-helpers.js';

const cfg = DEFAULT_RULES_CONFIG['fan-out'];
const known = 'DE89370400440532013000';
/** Forty days of one payment a day to the same recipient: the client's observed history. */
const routine = () =>
  Array.from({ length: 40 }, (_, i) => txn({ amount: -50, days: -40 + i, recipient: known }));
/** `n` payments to distinct new recipients, evenly over `spanHours`. */
const fan = (n: number, spanHours: number, fields: Partial<Txn> & { days?: number; minutes?: number } = {}) =>
  Array.from({ length: n }, (_, i) =>
    txn({
      amount: -200,
      minutes: n === 1 ? 0 : (i * spanHours * 60) / (n - 1),
      recipient: `DE${String(10 + i).padStart(2, '0')}370400440532013000`,
      ...fields,
    }),
  );

describe('fan-out', () => {
  it('finds nothing in an empty timeline or in one payment', () => {
    expect(findingsOf('fan-out', timeline([]), cfg)).toEqual([]);
    expect(findingsOf('fan-out', timeline([txn({ amount: -50, recipient: known })]), cfg)).toEqual([]);
  });

  it(`flags exactly ${cfg.minNew} new recipients within exactly ${cfg.windowHours} hours, each with the others' ids`, () => {
    const payments = fan(cfg.minNew, cfg.windowHours);
    const findings = findingsOf('fan-out', timeline([...routine(), ...payments]), cfg);
    expect(findings.map((f) => f.transactionId)).toEqual(payments.map((t) => t.id));
    expect(findings[0]?.score).toBe(cfg.baseScore);
    expect(findings[0]?.related).toEqual(payments.slice(1).map((t) => t.id));
    expect(findings[0]?.evidence).toMatchObject({
      newRecipients: cfg.minNew,
      totalsByCurrency: { EUR: 1200 },
    });
  });

  it('does not flag one recipient fewer, or the same spread one minute wider than the window', () => {
    expect(findingsOf('fan-out', timeline([...routine(), ...fan(cfg.minNew - 1, 1)]), cfg)).toEqual([]);
    const wide = fan(cfg.minNew, cfg.windowHours + 1 / 60);
    expect(findingsOf('fan-out', timeline([...routine(), ...wide]), cfg)).toEqual([]);
  });

  it('counts nothing as new before the client has history, so a first payroll is not a fan-out', () => {
    expect(findingsOf('fan-out', timeline(fan(12, 1)), cfg)).toEqual([]);
  });

  it('does not flag a monthly payroll to the same recipients', () => {
    const payroll = [0, 1, 2, 3].flatMap((month) => fan(15, 1, { days: month * 30 }));
    expect(findingsOf('fan-out', timeline(payroll), cfg)).toEqual([]);
  });

  it('flags recipients not paid within the known horizon as new again', () => {
    const first = fan(cfg.minNew, 1, { days: -cfg.knownDays - 2 });
    const again = fan(cfg.minNew, 1);
    const findings = findingsOf('fan-out', timeline([...first, ...routine(), ...again]), cfg);
    expect(findings.map((f) => f.transactionId)).toEqual(again.map((t) => t.id));
  });

  it('counts a repeated new recipient once, and scores more recipients higher up to the cap', () => {
    const twice = [...fan(cfg.minNew - 1, 1), ...fan(1, 1, { minutes: 90 })];
    expect(findingsOf('fan-out', timeline([...routine(), ...twice]), cfg)).toEqual([]);
    const many = fan(40, 10);
    const findings = findingsOf('fan-out', timeline([...routine(), ...many]), cfg);
    expect(findings).toHaveLength(40);
    expect(findings[0]?.score).toBe(cfg.maxScore);
  });

  it('counts ties and several currencies and accounts of one client, totals kept per currency', () => {
    const mixed = fan(cfg.minNew, 0).map((t, i) => ({
      ...t,
      accountId: 1 + (i % 2),
      currency: i % 2 ? 'PLN' : 'EUR',
    }));
    const findings = findingsOf('fan-out', timeline([...routine(), ...mixed]), cfg);
    expect(findings).toHaveLength(cfg.minNew);
    expect(findings[0]?.evidence).toMatchObject({ totalsByCurrency: { EUR: 600, PLN: 600 } });
  });
});
