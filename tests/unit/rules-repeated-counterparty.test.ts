import { describe, expect, it } from 'vitest';
import { DEFAULT_RULES_CONFIG } from '../../lib/rules/config.js';
import type { Txn } from '../../lib/rules/types.js';
import { context, findingsOf, history, population, timeline, txn } from './rules-helpers.js';

const cfg = DEFAULT_RULES_CONFIG['repeated-counterparty'];
const mule = 'DE44500105175407324931';
/** Twenty days of one 100 debit a day: a usual debit of 100. */
const routine = () => history(20, 100, { recipient: 'DE89370400440532013000' });
/** `amounts` paid to `recipient`, evenly over `spanHours`. */
const parts = (amounts: number[], spanHours: number, fields: Partial<Txn> = {}) =>
  amounts.map((amount, i) =>
    txn({
      amount: -amount,
      minutes: amounts.length === 1 ? 0 : (i * spanHours * 60) / (amounts.length - 1),
      recipient: mule,
      ...fields,
    }),
  );
const find = (txns: Txn[], ctx = {}) => findingsOf('repeated-counterparty', timeline(txns), cfg, ctx);

describe('repeated-counterparty', () => {
  it('finds nothing in an empty timeline or in one payment', () => {
    expect(find([])).toEqual([]);
    expect(find(parts([5_000], 0))).toEqual([]);
  });

  it(`flags ${cfg.minCount} payments to one recipient within exactly ${cfg.windowHours} hours summing to exactly ${cfg.minMultiple}× the usual debit`, () => {
    const payments = parts([150, 200, 150], cfg.windowHours);
    const findings = find([...routine(), ...payments]);
    expect(findings.map((f) => f.transactionId)).toEqual(payments.map((t) => t.id));
    expect(findings[0]?.score).toBe(cfg.baseScore);
    expect(findings[0]?.related).toEqual(payments.slice(1).map((t) => t.id));
    expect(findings[0]?.evidence).toMatchObject({ payments: 3, total: 500, usualDebit: 100, multiple: 5 });
  });

  it('does not flag a sum just under the multiple, one payment fewer, or a window one minute too long', () => {
    expect(find([...routine(), ...parts([150, 199.99, 150], 1)])).toEqual([]);
    expect(find([...routine(), ...parts([250, 250], 1)])).toEqual([]);
    expect(find([...routine(), ...parts([150, 200, 150], cfg.windowHours + 1 / 60)])).toEqual([]);
  });

  it('scores near-equal parts of one amount higher', () => {
    const findings = find([...routine(), ...parts([3_000, 3_000, 3_000, 3_000], 2)]);
    expect(findings).toHaveLength(4);
    // The first three are flagged as the group qualifies, the fourth as it joins.
    expect(findings.map((f) => f.score)).toEqual([60, 60, 60, 65]);
    expect(findings[3]?.score).toBe(cfg.baseScore + cfg.scorePerExtra + cfg.nearEqualBonus);
    expect(findings[0]?.evidence).toMatchObject({ nearEqualParts: true });
  });

  it('keeps recipients and currencies apart, and counts ties in time', () => {
    const others = [0, 1, 2].map((i) =>
      txn({ amount: -400, minutes: i, recipient: `DE0${i}500105175407324931` }),
    );
    expect(find([...routine(), ...others])).toEqual([]);
    const mixed = parts([400, 400, 400], 0).map((t, i) => ({ ...t, currency: i === 2 ? 'PLN' : 'EUR' }));
    expect(find([...routine(), ...mixed])).toEqual([]);
    expect(find([...routine(), ...parts([400, 400, 400], 0)])).toHaveLength(3);
  });

  it("judges a client with one row of history against the population's p95, and without either not at all", () => {
    const one = [...history(1, 100, { recipient: 'DE89370400440532013000' }), ...parts([400, 400, 400], 1)];
    expect(find(one)).toEqual([]);
    // The population's debits are 10–209: p95 about 200, so 1 200 is 6× it.
    const findings = find(one, context(population));
    expect(findings).toHaveLength(3);
    expect(findings[0]?.evidence).toMatchObject({ total: 1_200 });
  });
});
