import { describe, expect, it } from 'vitest';
import { type Transfer, TransferWindow } from '../../lib/rules/network-rule.js';
import { DAY, detect, HOUR, only, transfer } from './network-helpers.js';

const MULE = 'LT121000011101001000';

describe('fan-in', () => {
  it('flags five clients who never paid an IBAN paying it within three days, on every transfer', () => {
    const transfers = [1, 2, 3, 4, 5].map((c) => transfer(c, MULE, c * 10));
    const findings = detect(only('fan-in'), transfers);
    expect(findings.map((f) => f.transactionId).sort((a, b) => a - b)).toEqual(transfers.map((t) => t.id));
    expect(findings[0]?.score).toBe(60);
    expect(findings[0]?.evidence).toMatchObject({
      recipient: MULE,
      newSenders: 5,
      transfers: 5,
      knownSenders: 0,
    });
  });

  it('stays silent at four senders, and when the fifth pays one minute after the window', () => {
    expect(
      detect(
        only('fan-in'),
        [1, 2, 3, 4].map((c) => transfer(c, MULE, c)),
      ),
    ).toEqual([]);
    const late = [1, 2, 3, 4].map((c) => transfer(c, MULE, c - 1));
    late.push(transfer(5, MULE, 72 + 1 / 60));
    expect(detect(only('fan-in'), late)).toEqual([]);
  });

  it('counts the fifth sender exactly at the end of the window', () => {
    const transfers = [1, 2, 3, 4].map((c) => transfer(c, MULE, 0));
    transfers.push(transfer(5, MULE, 72));
    expect(detect(only('fan-in'), transfers)).toHaveLength(5);
  });

  it('counts clients, not transfers: one client paying five times is no fan-in', () => {
    expect(
      detect(
        only('fan-in'),
        [1, 2, 3, 4, 5].map((h) => transfer(1, MULE, h)),
      ),
    ).toEqual([]);
  });

  it('leaves an established payee alone: a landlord whose tenants paid last month too', () => {
    const lastMonth = [1, 2, 3, 4, 5, 6].map((c) => transfer(c, 'DE11LANDLORD', -30 * 24 + c));
    const now = [1, 2, 3, 4, 5, 6].map((c) => transfer(c, 'DE11LANDLORD', c));
    const flagged = new Set(detect(only('fan-in'), [...lastMonth, ...now]).map((f) => f.transactionId));
    // The first month of rent is six new payers (nothing was known yet); the second is not.
    expect(lastMonth.every((t) => flagged.has(t.id))).toBe(true);
    expect(now.filter((t) => flagged.has(t.id))).toEqual([]);
  });

  it('judges an account of ours like any IBAN, and never counts the owner paying itself', () => {
    const transfers = [1, 2, 3, 4].map((c) => transfer(c, 9, c));
    transfers.push(transfer(9, 9, 5));
    expect(detect(only('fan-in'), transfers)).toEqual([]);
    transfers.push(transfer(5, 9, 6));
    const findings = detect(only('fan-in'), transfers);
    expect(findings).toHaveLength(5);
    expect(findings[0]?.evidence).toMatchObject({ recipientIsOurs: true });
  });

  it('scores more senders higher, up to the maximum at twice the minimum', () => {
    const transfers = Array.from({ length: 12 }, (_, c) => transfer(c + 1, MULE, c));
    const findings = detect(only('fan-in'), transfers);
    const byId = new Map(findings.map((f) => [f.transactionId, f.score]));
    expect(byId.get(transfers[4]?.id as number)).toBe(60);
    expect(byId.get(transfers[7]?.id as number)).toBe(72);
    expect(byId.get(transfers[11]?.id as number)).toBe(80);
  });

  it('sums each currency on its own', () => {
    const transfers = [1, 2, 3].map((c) => transfer(c, MULE, c, 100, 'EUR'));
    transfers.push(transfer(4, MULE, 4, 500, 'PLN'), transfer(5, MULE, 5, 700, 'PLN'));
    expect(detect(only('fan-in'), transfers)[0]?.evidence).toMatchObject({ totals: { EUR: 300, PLN: 1200 } });
  });
});

describe('cycle', () => {
  it('finds money coming back through three clients within a week, on every hop', () => {
    const loop = [transfer(1, 2, 0, 10_000), transfer(2, 3, 20, 9_800), transfer(3, 1, 40, 9_600)];
    const findings = detect(only('cycle'), loop);
    expect(findings.map((f) => f.transactionId)).toEqual(loop.map((t) => t.id));
    expect(findings[0]?.score).toBe(60);
    expect(findings[0]?.evidence).toMatchObject({ hops: 3, clients: 3, amounts: [10_000, 9_800, 9_600] });
  });

  it('scores a two-hop loop (paying back) low, and longer loops higher up to six hops', () => {
    expect(detect(only('cycle'), [transfer(1, 2, 0), transfer(2, 1, 5)])[0]?.score).toBe(20);
    const six = [1, 2, 3, 4, 5, 6].map((c, i) => transfer(c, c === 6 ? 1 : c + 1, i * 10));
    expect(detect(only('cycle'), six)[0]?.evidence).toMatchObject({ hops: 6 });
    expect(detect(only('cycle'), six)[0]?.score).toBe(75);
    const seven = [1, 2, 3, 4, 5, 6, 7].map((c, i) => transfer(c, c === 7 ? 1 : c + 1, i * 10));
    expect(detect(only('cycle'), seven)).toEqual([]);
  });

  it('misses a loop that closes one minute after its window', () => {
    const loop = [transfer(1, 2, 0), transfer(2, 3, 24), transfer(3, 1, 7 * 24 + 1 / 60)];
    expect(detect(only('cycle'), loop)).toEqual([]);
    const inTime = [transfer(1, 2, 0), transfer(2, 3, 24), transfer(3, 1, 7 * 24)];
    expect(detect(only('cycle'), inTime)).toHaveLength(3);
  });

  it('needs the hops in booking order and amounts within the tolerance, in one currency', () => {
    expect(detect(only('cycle'), [transfer(2, 3, 0), transfer(1, 2, 1), transfer(3, 1, 2)])).toEqual([]);
    expect(
      detect(only('cycle'), [transfer(1, 2, 0, 1000), transfer(2, 3, 1, 850), transfer(3, 1, 2, 840)]),
    ).toEqual([]);
    expect(
      detect(only('cycle'), [
        transfer(1, 2, 0),
        transfer(2, 3, 1, 1000, 'PLN'),
        transfer(3, 1, 2, 1000, 'PLN'),
      ]),
    ).toEqual([]);
  });

  it('never counts a sweep between one client’s own accounts, nor money leaving the bank', () => {
    const own: Transfer[] = [
      { ...transfer(1, 1, 0), account: 10, toAccount: 11, to: 'DE00OURS11' },
      { ...transfer(1, 1, 1), account: 11, toAccount: 10, to: 'DE00OURS10' },
    ];
    expect(detect(only('cycle'), own)).toEqual([]);
    expect(detect(only('cycle'), [transfer(1, 2, 0), transfer(2, MULE, 1)])).toEqual([]);
  });

  it('is found at the same transfer whatever came before within the window (ties by id)', () => {
    const loop = [transfer(1, 2, 0), transfer(2, 3, 0), transfer(3, 1, 0)];
    expect(detect(only('cycle'), loop)).toHaveLength(3);
  });

  it('keeps nothing older than the reach: a week-old loop start cannot close now', () => {
    const findings = detect(only('cycle'), [transfer(1, 2, -8 * 24), transfer(2, 1, 0)]);
    expect(findings).toEqual([]);
    expect(DAY).toBe(86_400_000);
  });
});

describe('transfer window', () => {
  it('keeps exactly the reach behind the latest transfer in every index, and finds by time within it', () => {
    const window = new TransferWindow(10 * DAY);
    // Client 1 pays client 2 every 6 hours for 100 days: one list per index, 400 transfers in each.
    for (let h = 0; h < 100 * 24; h += 6) window.add(transfer(1, 2, h));
    const latest = window.now;
    const kept = (list: Iterable<Transfer>) => [...list].map((t) => (latest - t.time) / HOUR);
    const reach = Array.from({ length: 41 }, (_, i) => 240 - i * 6);
    expect(kept(window.paidTo('DE00OURS20', Number.NEGATIVE_INFINITY))).toEqual(reach);
    expect(kept(window.paidFrom(10, Number.NEGATIVE_INFINITY))).toEqual(reach);
    expect(kept(window.paidByClient(1, Number.NEGATIVE_INFINITY))).toEqual(reach);
    expect(kept(window.paidByClient(1, latest - 12 * HOUR))).toEqual([12, 6, 0]);
    expect(kept(window.paidByClient(2, Number.NEGATIVE_INFINITY))).toEqual([]);
  });
});
