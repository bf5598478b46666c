import { describe, expect, it } from 'vitest';
import { type Transfer, TransferWindow } from '../../lib/rules/network-rule.js';

const T0 = Date.UTC(2025, 0, 1);
const HOUR = 3_600_000;
const DAY = 24 * HOUR;

/** Transfer `id`, booked `hours` after T0, from account `account` to `to`. */
function transfer(id: number, hours: number, account: number, to: string): Transfer {
  return {
    id,
    time: T0 + hours * HOUR,
    account,
    client: account,
    from: `DE00OURS${account}`,
    to,
    toAccount: 0,
    toClient: 0,
    amount: 100,
    currency: 'EUR',
  };
}

/** A month of a small bank's transfers: 3 000, one every 15 minutes, among 40 accounts and 25 recipients. */
function month(): Transfer[] {
  const out: Transfer[] = [];
  for (let i = 0; i < 3_000; i++) out.push(transfer(i + 1, i / 4, (i * 7) % 40, `LT${(i * 11) % 25}`));
  return out;
}

const ids = (transfers: Iterable<Transfer>) => [...transfers].map((t) => t.id);

describe('TransferWindow', () => {
  it('answers who paid a recipient and where an account’s money went since a time, oldest first', () => {
    const all = month();
    const window = new TransferWindow(2 * DAY);
    for (const t of all) window.add(t);
    const now = window.now;
    for (const since of [now - DAY, now - 2 * DAY, now - 5 * HOUR]) {
      expect(ids(window.paidTo('LT3', since))).toEqual(
        ids(all.filter((t) => t.to === 'LT3' && t.time >= since)),
      );
      expect(ids(window.paidFrom(7, since))).toEqual(
        ids(all.filter((t) => t.account === 7 && t.time >= since)),
      );
    }
    expect(ids(window.paidTo('LT-nobody', now - DAY))).toEqual([]);
  });

  it('forgets what is older than its reach, and a recipient no longer paid within it, however many it keeps', () => {
    const window = new TransferWindow(4 * DAY);
    window.add(transfer(1, 0, 1, 'LT-once'));
    const often = [transfer(2, 1, 2, 'LT-often')];
    for (let i = 0; i < 2_000; i++) often.push(transfer(3 + i, 2 + i / 20, 2, 'LT-often'));
    for (const t of often) window.add(t);
    const all = Number.NEGATIVE_INFINITY;
    expect(ids(window.paidTo('LT-once', all))).toEqual([]);
    expect(ids(window.paidFrom(1, all))).toEqual([]);
    const reached = ids(often.filter((t) => t.time >= window.now - 4 * DAY));
    expect(reached.length).toBeGreaterThan(1_900);
    expect(reached[0]).toBeGreaterThan(2);
    expect(ids(window.paidTo('LT-often', all))).toEqual(reached);
    expect(ids(window.paidFrom(2, all))).toEqual(reached);
  });
});
