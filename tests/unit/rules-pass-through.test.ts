import { describe, expect, it } from 'vitest';
import { DEFAULT_RULES_CONFIG } from '../../lib/rules/config.js';
import type { Txn } from '../../lib/rules/types.js';
import { context, findingsOf, population, timeline, txn } from './rules-helpers.js';

const cfg = DEFAULT_RULES_CONFIG['pass-through'];
const ctx = context(population);
const find = (txns: Txn[], c = ctx) => findingsOf('pass-through', timeline(txns), cfg, c);
const hours = cfg.windowHours * 60;
/** 5 000 received, then `out` sent on in two halves, the last `lastMinutes` after the credit. */
const layering = (out: number, lastMinutes: number, fields: Partial<Txn> = {}) => [
  txn({ amount: 5_000, ...fields }),
  txn({ amount: -out / 2, minutes: 30, recipient: 'DE44500105175407324931', ...fields }),
  txn({ amount: -out / 2, minutes: lastMinutes, recipient: 'DE44500105175407324932', ...fields }),
];

describe('pass-through', () => {
  it('finds nothing in an empty timeline or in one credit', () => {
    expect(find([])).toEqual([]);
    expect(find([txn({ amount: 5_000 })])).toEqual([]);
  });

  it(`flags money sent on within exactly ${cfg.windowHours} hours at exactly ${cfg.tolerance * 100} % less than received`, () => {
    const txns = layering(5_000 * (1 - cfg.tolerance), hours);
    const findings = find(txns);
    expect(findings.map((f) => f.transactionId)).toEqual(txns.map((t) => t.id));
    expect(findings[0]?.score).toBe(cfg.baseScore);
    expect(findings[0]?.related).toEqual(txns.slice(1).map((t) => t.id));
    expect(findings[0]?.evidence).toMatchObject({ received: 5_000, sentOn: 4_500, balanceBefore: null });
  });

  it('does not flag a little less sent on, a debit one minute outside the window, or no population to size it', () => {
    expect(find(layering(4_490, 60))).toEqual([]);
    expect(find(layering(5_000, hours + 1))).toEqual([]);
    expect(find(layering(5_000, 60), context())).toEqual([]);
  });

  it('scores higher when the balance before the credit was small, and finds nothing when it was above the flow', () => {
    const [credit, ...debits] = layering(5_000, 60);
    const findings = find([{ ...(credit as Txn), balanceAfter: 5_500 }, ...debits]);
    expect(findings[0]?.score).toBe(cfg.baseScore + cfg.lowBalanceBonus);
    expect(findings[0]?.evidence).toMatchObject({ balanceBefore: 500 });
    const [some, ...others] = layering(5_000, 60);
    const atMost = 5_000 + cfg.maxBalanceShare * 5_000;
    expect(find([{ ...(some as Txn), balanceAfter: atMost }, ...others])[0]?.score).toBe(cfg.baseScore);
    const [rich, ...rest] = layering(5_000, 60);
    expect(find([{ ...(rich as Txn), balanceAfter: atMost + 0.01 }, ...rest])).toEqual([]);
  });

  it('ends the flow at the debit that sends the money on: the client’s later bookings neither hide it nor join it', () => {
    const txns = [
      txn({ amount: 5_000 }),
      txn({ amount: -4_700, minutes: 60, recipient: 'DE44500105175407324931' }),
      txn({ amount: 2_000, minutes: 120 }),
      txn({ amount: -80, minutes: 180, recipient: 'DE44500105175407324932' }),
    ];
    expect(find(txns).map((f) => f.transactionId)).toEqual(txns.slice(0, 2).map((t) => t.id));
    expect(find(txns)[0]?.evidence).toMatchObject({ received: 5_000, sentOn: 4_700 });
  });

  it('does not score an overdraft as deep as the flow as a small balance; one within the share is', () => {
    const [credit, ...debits] = layering(5_000, 60);
    const deep = -cfg.lowBalanceShare * 5_000 - 0.01;
    expect(find([{ ...(credit as Txn), balanceAfter: 5_000 + deep }, ...debits])[0]?.score).toBe(
      cfg.baseScore,
    );
    const shallow = -cfg.lowBalanceShare * 5_000;
    expect(find([{ ...(credit as Txn), balanceAfter: 5_000 + shallow }, ...debits])[0]?.score).toBe(
      cfg.baseScore + cfg.lowBalanceBonus,
    );
  });

  it('does not take a sweep between the client’s own accounts for a pass-through', () => {
    const salary = txn({ amount: 5_000, accountId: 1 });
    const sweep = [
      txn({ amount: -5_000, minutes: 60, accountId: 1 }),
      txn({ amount: 5_000, minutes: 60, accountId: 2 }),
    ];
    expect(find([salary, ...sweep])).toEqual([]);
  });

  it('keeps currencies apart and counts ties in time', () => {
    const mixed = layering(5_000, 0).map((t, i) => (i === 2 ? { ...t, currency: 'PLN' } : t));
    expect(find(mixed)).toEqual([]);
    expect(find(layering(5_000, 0))).toHaveLength(3);
  });
});
