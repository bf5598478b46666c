import { describe, expect, it } from 'vitest';
import { DEFAULT_RULES_CONFIG } from '../../lib/rules/config.js';
import type { Txn } from '../../lib/rules/types.js';
import { context, findingsOf, history, population, timeline, txn } from './rules-helpers.js';

const cfg = DEFAULT_RULES_CONFIG['repeated-counterparty'];
const mule = 'DE44500105175407324931';
/** Twenty days of one 100 debit a day, each to another shop: a usual debit of 100. */
const routine = () =>
  Array.from({ length: 20 }, (_, i) =>
    txn({ amount: -100, days: -(20 - i), recipient: `DE${10 + i}370400440532013000` }),
  );
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

  it(`flags ${cfg.minCount} payments to one recipient within exactly ${cfg.windowHours} hours, whatever their size`, () => {
    const payments = parts([40, 70, 30], cfg.windowHours);
    const findings = find([...routine(), ...payments]);
    expect(findings.map((f) => f.transactionId)).toEqual(payments.map((t) => t.id));
    expect(findings[0]?.score).toBe(cfg.baseScore);
    expect(findings[0]?.related).toEqual(payments.slice(1).map((t) => t.id));
    expect(findings[0]?.evidence).toMatchObject({
      transfers: 3,
      direction: 'paid to one recipient',
      total: 140,
      usualDebit: 100,
      oneLargeAmountSplit: false,
    });
  });

  it('does not flag one payment fewer, or a window one minute too long', () => {
    expect(find([...routine(), ...parts([200, 300], 1)])).toEqual([]);
    expect(find([...routine(), ...parts([150, 200, 150], cfg.windowHours + 1 / 60)])).toEqual([]);
  });

  it(`adds ${cfg.largeSumBonus} when the parts sum to exactly ${cfg.minMultiple}× the usual debit, not just under`, () => {
    const at = find([...routine(), ...parts([150, 200, 150], 1)]);
    expect(at[0]?.score).toBe(cfg.baseScore + cfg.largeSumBonus);
    expect(at[0]?.evidence).toMatchObject({ total: 500, multiple: 5, oneLargeAmountSplit: true });
    const under = find([...routine(), ...parts([150, 199.99, 150], 1)]);
    expect(under[0]?.score).toBe(cfg.baseScore);
  });

  it('scores near-equal parts of one amount higher', () => {
    const findings = find([...routine(), ...parts([3_000, 3_000, 3_000, 3_000], 2)]);
    expect(findings).toHaveLength(4);
    // The first two are flagged as a near-equal pair, the third and fourth as they join.
    const pair = cfg.baseScore + cfg.largeSumBonus;
    const three = pair + cfg.nearEqualBonus;
    expect(findings.map((f) => f.score)).toEqual([pair, pair, three, three + cfg.scorePerExtra]);
    expect(findings[0]?.evidence).toMatchObject({ nearEqualParts: true });
  });

  it('flags the receiving side: payments from one payer, apart from payments to it', () => {
    const payer = 'DE02500105175407324931';
    const received = [4.2, 5.3, 3.1].map((amount, h) => txn({ amount, minutes: h * 180, recipient: payer }));
    const findings = find([...routine(), ...received]);
    expect(findings.map((f) => f.transactionId)).toEqual(received.map((t) => t.id));
    expect(findings[0]?.evidence).toMatchObject({ direction: 'received from one payer', transfers: 3 });
    expect(findings[0]?.evidence).not.toHaveProperty('usualDebit');
    // Two in, one out with the same counterparty: neither direction has three.
    const mixed = [
      txn({ amount: 50, minutes: 0, recipient: payer }),
      txn({ amount: 80, minutes: 60, recipient: payer }),
      txn({ amount: -50, minutes: 120, recipient: payer }),
    ];
    expect(find([...routine(), ...mixed])).toEqual([]);
  });

  it(`leaves a near-equal pair to a counterparty paid within ${cfg.knownDays} days before alone, not three payments`, () => {
    const earlier = (days: number) => txn({ amount: -100, days: -days, recipient: mule });
    expect(find([earlier(cfg.knownDays), ...routine(), ...parts([500, 500], 2)])).toEqual([]);
    expect(find([earlier(cfg.knownDays + 1), ...routine(), ...parts([500, 500], 2)])).toHaveLength(2);
    expect(find([earlier(1), ...routine(), ...parts([40, 70, 30], 2)])).toHaveLength(3);
  });

  it(`caps three payments to a counterparty paid on two days within ${cfg.knownDays} days before at ${cfg.knownScore}`, () => {
    const earlier = (days: number) => txn({ amount: -100, days: -days, recipient: mule });
    const burst = () => parts([150, 200, 150], 2); // 5 × the usual debit: 60 for a new counterparty
    const habit = find([earlier(cfg.knownDays), earlier(3), ...routine(), ...burst()]);
    expect(habit[0]?.score).toBe(cfg.knownScore);
    expect(habit[0]?.evidence).toMatchObject({ routineCounterparty: true });
    // One earlier payment is no habit (a test payment before the burst); two on one day neither.
    const once = find([earlier(3), ...routine(), ...burst()]);
    expect(once[0]?.score).toBe(cfg.baseScore + cfg.largeSumBonus);
    expect(once[0]?.evidence).toMatchObject({ routineCounterparty: false });
    const sameDay = [earlier(3), txn({ amount: -100, days: -3, minutes: 5, recipient: mule })];
    const third = burst();
    const onOneDay = find([...sameDay, ...routine(), ...third]).find((f) => f.transactionId === third[0]?.id);
    expect(onOneDay?.score).toBe(cfg.baseScore + cfg.largeSumBonus);
    // The older of the two days one day beyond knownDays: no habit.
    const stale = find([earlier(cfg.knownDays + 1), earlier(3), ...routine(), ...burst()]);
    expect(stale[0]?.score).toBe(cfg.baseScore + cfg.largeSumBonus);
  });

  it(`flags ${cfg.nearEqualCount} near-equal payments to a new recipient, not two that differ more`, () => {
    const pair = parts([500, 550], 20);
    expect(find([...routine(), ...pair]).map((f) => f.transactionId)).toEqual(pair.map((t) => t.id));
    expect(find([...routine(), ...parts([500, 550.01], 20)])).toEqual([]);
  });

  it('keeps recipients and currencies apart, and counts ties in time', () => {
    const others = [0, 1, 2].map((i) =>
      txn({ amount: -400, minutes: i, recipient: `DE0${i}500105175407324931` }),
    );
    expect(find([...routine(), ...others])).toEqual([]);
    const mixed = parts([400, 600, 400], 0).map((t, i) => ({ ...t, currency: i === 2 ? 'PLN' : 'EUR' }));
    expect(find([...routine(), ...mixed])).toEqual([]);
    expect(find([...routine(), ...parts([400, 400, 400], 0)])).toHaveLength(3);
  });

  it("measures a large split against the population's p95 with one row of history, and without either not at all", () => {
    const one = [...history(1, 100, { recipient: 'DE89370400440532013000' }), ...parts([400, 400, 400], 1)];
    expect(find(one)[2]?.evidence).toMatchObject({ transfers: 3, oneLargeAmountSplit: false });
    expect(find(one)[2]?.evidence).not.toHaveProperty('usualDebit');
    // The population's debits are 10–209: p95 about 200, so 1 200 is 6× it.
    const findings = find(one, context(population));
    expect(findings).toHaveLength(3);
    expect(findings[2]?.evidence).toMatchObject({ total: 1_200, oneLargeAmountSplit: true });
  });
});
