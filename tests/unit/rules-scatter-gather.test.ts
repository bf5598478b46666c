import { describe, expect, it } from 'vitest';
import type { Transfer } from '../../lib/rules/network-rule.js';
import { detect, emissions, flaggedIds, only, transfer } from './network-helpers.js';

const MULE = 'LT121000011101001000';

/**
 * Client 1 pays each intermediary 1 000 at hour 0, 1, 2 …; each passes `passed` (default 950) on to `gatherer` a
 * day later, one hour apart. Returns the scatter legs and the gather legs, in that order.
 */
function scatterGather(
  intermediaries: readonly number[],
  { gatherer = MULE as string | number, passed = 950, gatherAt = 24, currency = 'EUR' } = {},
): { scatter: Transfer[]; gather: Transfer[] } {
  const scatter = intermediaries.map((c, i) => transfer(1, c, i, 1_000, currency));
  const gather = intermediaries.map((c, i) => transfer(c, gatherer, gatherAt + i, passed, currency));
  return { scatter, gather };
}

describe('scatter-gather', () => {
  it('flags one client paying three others who each pass most of it on to one IBAN within the week, on every leg', () => {
    const { scatter, gather } = scatterGather([2, 3, 4]);
    const findings = detect(only('scatter-gather'), [...scatter, ...gather]);
    expect(flaggedIds(findings)).toEqual([...scatter, ...gather].map((t) => t.id));
    expect(findings[0]?.score).toBe(60);
    expect(findings[0]?.evidence).toMatchObject({
      originClient: 1,
      originAccounts: [10],
      gatherer: MULE,
      gathererIsOurs: false,
      intermediaries: 3,
      currency: 'EUR',
      scattered: 3_000,
      gathered: 2_850,
      gatheredShare: 0.95,
      layers: [
        { client: 2, received: 1_000, passedOn: 950 },
        { client: 3, received: 1_000, passedOn: 950 },
        { client: 4, received: 1_000, passedOn: 950 },
      ],
      hours: 26,
      thresholds: { windowDays: 7, minWidth: 3, tolerance: 0.2 },
    });
  });

  it('stays silent at two intermediaries, one below the minimum width (and at three when four are asked)', () => {
    const two = scatterGather([2, 3]);
    expect(detect(only('scatter-gather'), [...two.scatter, ...two.gather])).toEqual([]);
    const three = scatterGather([2, 3, 4]);
    expect(detect(only('scatter-gather', { minWidth: 4 }), [...three.scatter, ...three.gather])).toEqual([]);
  });

  it('misses a pattern whose last payment on comes one minute after the window, and counts it exactly at its end', () => {
    const late = scatterGather([2, 3, 4], { gatherAt: 7 * 24 - 2 + 1 / 60 });
    expect(detect(only('scatter-gather'), [...late.scatter, ...late.gather])).toEqual([]);
    const inTime = scatterGather([2, 3, 4], { gatherAt: 7 * 24 - 2 });
    expect(detect(only('scatter-gather'), [...inTime.scatter, ...inTime.gather])).toHaveLength(6);
  });

  it('needs each intermediary to pass on within the tolerance of what it received: 80 % and 120 % count, just outside not', () => {
    for (const [passed, flagged] of [
      [799.99, 0],
      [800, 6],
      [1_200, 6],
      [1_200.01, 0],
    ] as const) {
      const { scatter, gather } = scatterGather([2, 3, 4], { passed });
      expect(detect(only('scatter-gather'), [...scatter, ...gather]), `passed ${passed}`).toHaveLength(
        flagged,
      );
    }
  });

  it('judges one currency at a time: legs in another currency do not count, a pattern in PLN does', () => {
    const mixed = scatterGather([2, 3, 4]);
    const pln = transfer(4, MULE, 30, 950, 'PLN');
    const mixedGather = [...mixed.gather.slice(0, 2), pln];
    expect(detect(only('scatter-gather'), [...mixed.scatter, ...mixedGather])).toEqual([]);
    const { scatter, gather } = scatterGather([2, 3, 4], { currency: 'PLN' });
    const findings = detect(only('scatter-gather'), [...scatter, ...gather]);
    expect(findings).toHaveLength(6);
    expect(findings[0]?.evidence).toMatchObject({ currency: 'PLN', scattered: 3_000 });
  });

  it('orders ties by id: everything at one minute counts, a payment on booked before the money came does not', () => {
    const tie = [2, 3, 4].map((c) => transfer(1, c, 0));
    tie.push(...[2, 3, 4].map((c) => transfer(c, MULE, 0, 1_000)));
    expect(detect(only('scatter-gather'), tie)).toHaveLength(6);
    const early = transfer(4, MULE, 5, 1_000);
    const legs = [transfer(1, 2, 5), transfer(1, 3, 5), transfer(1, 4, 5)];
    const rest = [transfer(2, MULE, 5, 1_000), transfer(3, MULE, 5, 1_000)];
    expect(detect(only('scatter-gather'), [early, ...legs, ...rest])).toEqual([]);
  });

  it('finds nothing in no transfers', () => {
    expect(detect(only('scatter-gather'), [])).toEqual([]);
  });

  it('leaves a payroll alone: employees paying a landlord that many clients paid last month', () => {
    const employees = [2, 3, 4, 5, 6, 7];
    const lastMonth = employees.map((c) => transfer(c, 'DE11LANDLORD', -30 * 24 + c, 1_000));
    // Salaries of 1 000 and rent of 1 000: the amounts alone would match.
    const salaries = employees.map((c) => transfer(1, c, c, 1_000));
    const rent = employees.map((c) => transfer(c, 'DE11LANDLORD', 24 + c, 1_000));
    expect(detect(only('scatter-gather'), [...lastMonth, ...salaries, ...rent])).toEqual([]);
    // Without the month before, the same flow is a pattern: the established payee is what leaves it alone.
    expect(detect(only('scatter-gather'), [...salaries, ...rent]).length).toBeGreaterThan(0);
  });

  it('does not count an intermediary that paid the gatherer before the window: its usual payee', () => {
    const habit = transfer(4, MULE, -20 * 24);
    const { scatter, gather } = scatterGather([2, 3, 4]);
    expect(detect(only('scatter-gather'), [habit, ...scatter, ...gather])).toEqual([]);
  });

  it('never counts a client’s own accounts: the origin paying itself, an intermediary paying itself', () => {
    const own = scatterGather([2, 3]);
    const sweep = [transfer(1, 1, 0), transfer(1, MULE, 20, 950)];
    expect(detect(only('scatter-gather'), [...own.scatter, ...sweep, ...own.gather])).toEqual([]);
    const toSelf = scatterGather([2, 3, 4], { gatherer: 4 });
    expect(detect(only('scatter-gather'), [...toSelf.scatter, ...toSelf.gather])).toEqual([]);
  });

  it('takes a gatherer of ours, whose owner is no intermediary, the origin itself included (a round trip)', () => {
    const { scatter, gather } = scatterGather([2, 3, 4], { gatherer: 9 });
    const findings = detect(only('scatter-gather'), [...scatter, ...gather]);
    expect(findings).toHaveLength(6);
    expect(findings[0]?.evidence).toMatchObject({
      gatherer: 'DE00OURS90',
      gathererIsOurs: true,
      gathererIsOrigin: false,
    });
    const back = scatterGather([2, 3, 4], { gatherer: 1 });
    expect(detect(only('scatter-gather'), [...back.scatter, ...back.gather])[0]?.evidence).toMatchObject({
      gatherer: 'DE00OURS10',
      gathererIsOrigin: true,
    });
  });

  it('flags what a later intermediary adds, scoring the wider pattern higher up to twice the minimum', () => {
    const { scatter, gather } = scatterGather([2, 3, 4, 5, 6, 7]);
    const findings = detect(only('scatter-gather'), [...scatter, ...gather]);
    const scoreOf = new Map(findings.map((f) => [f.transactionId, f.score]));
    // The third payment on completes it (60); the fourth adds its own two legs at 66.67; the sixth reaches 80.
    expect(scoreOf.get(scatter[0]?.id as number)).toBe(60);
    expect(scoreOf.get(scatter[3]?.id as number)).toBe(66.67);
    expect(scoreOf.get(gather[3]?.id as number)).toBe(66.67);
    expect(scoreOf.get(gather[5]?.id as number)).toBe(80);
    expect(findings).toHaveLength(12);
    // Each leg is emitted once: a wider pattern adds its new legs, never the ones flagged already.
    expect(flaggedIds(emissions(only('scatter-gather'), [...scatter, ...gather]))).toEqual(
      flaggedIds(findings),
    );
  });
});

const HUB = 9;

/**
 * Clients `senders` each pay client 9's account 1 000, an hour apart from hour 0; then client 9 pays `out` (default
 * 950) to each of `recipients` new IBANs, an hour apart from hour `outAt`.
 */
function gatherScatter(
  senders: readonly number[],
  recipients: number,
  { out = 950, outAt = 24, currency = 'EUR' } = {},
): { ins: Transfer[]; outs: Transfer[] } {
  const ins = senders.map((c, i) => transfer(c, HUB, i, 1_000, currency));
  const outs = Array.from({ length: recipients }, (_, i) =>
    transfer(HUB, `PL0${i}000011112222`, outAt + i, out, currency),
  );
  return { ins, outs };
}

describe('gather-scatter', () => {
  it('flags an account of ours that four new senders pay and that pays as much on to four new recipients, on every transfer', () => {
    const { ins, outs } = gatherScatter([1, 2, 3, 4], 4);
    const findings = detect(only('gather-scatter'), [...ins, ...outs]);
    expect(flaggedIds(findings)).toEqual([...ins, ...outs].map((t) => t.id));
    expect(findings[0]?.score).toBe(55);
    expect(findings[0]?.evidence).toMatchObject({
      account: 90,
      iban: 'DE00OURS90',
      currency: 'EUR',
      newSenders: 4,
      knownSenders: 0,
      newRecipients: 4,
      received: 4_000,
      paidOut: 3_800,
      paidOutShare: 0.95,
      hours: 27,
      thresholds: { windowHours: 72, minSenders: 4, minRecipients: 4, tolerance: 0.2 },
    });
  });

  it('stays silent one below each minimum: three senders, or three recipients', () => {
    const threeIn = gatherScatter([1, 2, 3], 4, { out: 750 });
    expect(detect(only('gather-scatter'), [...threeIn.ins, ...threeIn.outs])).toEqual([]);
    const threeOut = gatherScatter([1, 2, 3, 4], 3, { out: 1_300 });
    expect(detect(only('gather-scatter'), [...threeOut.ins, ...threeOut.outs])).toEqual([]);
  });

  it('misses a flow whose last payment out is one minute after the window, and counts it exactly at its end', () => {
    const late = gatherScatter([1, 2, 3, 4], 4, { outAt: 72 - 3 + 1 / 60 });
    expect(detect(only('gather-scatter'), [...late.ins, ...late.outs])).toEqual([]);
    const inTime = gatherScatter([1, 2, 3, 4], 4, { outAt: 72 - 3 });
    expect(detect(only('gather-scatter'), [...inTime.ins, ...inTime.outs])).toHaveLength(8);
  });

  it('needs what goes out within the tolerance of what came in: 80 % and 120 % count, just outside not', () => {
    for (const [out, flagged] of [
      [799.99, 0],
      [800, 8],
      [1_200, 8],
      [1_200.01, 0],
    ] as const) {
      const { ins, outs } = gatherScatter([1, 2, 3, 4], 4, { out });
      expect(detect(only('gather-scatter'), [...ins, ...outs]), `out ${out}`).toHaveLength(flagged);
    }
  });

  it('judges one currency at a time', () => {
    const { ins } = gatherScatter([1, 2, 3, 4], 0);
    const pln = gatherScatter([], 4, { currency: 'PLN' }).outs;
    expect(detect(only('gather-scatter'), [...ins, ...pln])).toEqual([]);
    const both = gatherScatter([1, 2, 3, 4], 4, { currency: 'PLN' });
    expect(detect(only('gather-scatter'), [...both.ins, ...both.outs])[0]?.evidence).toMatchObject({
      currency: 'PLN',
      received: 4_000,
    });
  });

  it('orders ties by id, and never counts a payment out booked before the first payment in', () => {
    const tie = [1, 2, 3, 4].map((c) => transfer(c, HUB, 0));
    tie.push(...[0, 1, 2, 3].map((i) => transfer(HUB, `PL0${i}000011112222`, 0, 1_000)));
    expect(detect(only('gather-scatter'), tie)).toHaveLength(8);
    const early = transfer(HUB, 'PL09000011112222', 0, 1_000);
    const { ins, outs } = gatherScatter([1, 2, 3, 4], 3, { out: 1_000 });
    expect(detect(only('gather-scatter'), [early, ...ins, ...outs])).toEqual([]);
  });

  it('finds nothing in no transfers', () => {
    expect(detect(only('gather-scatter'), [])).toEqual([]);
  });

  it('leaves an established payee alone: a landlord whose tenants paid last month, paying its bills', () => {
    const lastMonth = [1, 2, 3, 4, 5].map((c) => transfer(c, HUB, -30 * 24 + c));
    const { ins, outs } = gatherScatter([1, 2, 3, 4, 5, 6, 7, 8], 5, { out: 1_500 });
    expect(detect(only('gather-scatter'), [...lastMonth, ...ins, ...outs])).toEqual([]);
  });

  it('does not count the usual recipients of the account, nor its holder’s own accounts', () => {
    const usual = [0, 1].map((i) => transfer(HUB, `PL0${i}000011112222`, -10 * 24));
    const { ins, outs } = gatherScatter([1, 2, 3, 4], 4);
    expect(detect(only('gather-scatter'), [...usual, ...ins, ...outs])).toEqual([]);
    const ownIn = [1, 2, 3].map((c) => transfer(c, HUB, c));
    ownIn.push(transfer(HUB, HUB, 4));
    const spread = [0, 1, 2, 3].map((i) => transfer(HUB, `PL0${i}000011112222`, 10 + i, 750));
    expect(detect(only('gather-scatter'), [...ownIn, ...spread])).toEqual([]);
  });

  it('flags a later payment out on its own, scoring a wider flow higher up to twice the minimums', () => {
    const { ins, outs } = gatherScatter([1, 2, 3, 4, 5, 6, 7, 8], 8, { out: 1_000 });
    const findings = detect(only('gather-scatter'), [...ins, ...outs]);
    // Eight in (8 000): seven out reach 7 000 = 87.5 %, the first time the flow qualifies.
    const completing = outs[6] as Transfer;
    const first = findings.filter((f) => f.related.length === 14);
    expect(new Set(first.map((f) => f.transactionId)).has(completing.id)).toBe(true);
    expect(findings.find((f) => f.transactionId === completing.id)?.score).toBe(72.5);
    expect(findings.find((f) => f.transactionId === outs[7]?.id)?.score).toBe(75);
    expect(flaggedIds(findings)).toEqual([...ins, ...outs].map((t) => t.id));
    expect(flaggedIds(emissions(only('gather-scatter'), [...ins, ...outs]))).toEqual(flaggedIds(findings));
  });
});
