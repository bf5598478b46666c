import { describe, expect, it } from 'vitest';
import { monthlyDays } from '../../lib/seed/decoys.js';
import { epochDay } from '../../lib/seed/population.js';
import type { Row } from '../../lib/seed/rows.js';
import { generate, typeOf } from './seed-helpers.js';

/** One episode as the tables show it: its rows in booking order, each with its account's client. */
interface EpisodeRows {
  kind: string;
  rows: Row[];
}

const g = generate({ seed: 11, clients: 200, transactions: 40_000, anomalyRate: 0.02 });
const ours = new Map(g.ibans.map((iban, k) => [iban, k + 1]));
const clientOf = (account: unknown) => g.accounts.clientIndex[(account as number) - 1];
const amount = (r: Row) => Number(r[4]);
const isDebit = (r: Row) => amount(r) < 0;

function episodes(kind: string): EpisodeRows[] {
  const byId = new Map(g.rows.map((r) => [r[0] as number, r]));
  const out = new Map<number, EpisodeRows>();
  for (const l of g.labels) {
    if (l[2] !== kind) continue;
    const e = out.get(l[1] as number) ?? { kind, rows: [] };
    e.rows.push(byId.get(l[0] as number) as Row);
    out.set(l[1] as number, e);
  }
  const list = [...out.values()];
  expect(list.length, `episodes of ${kind}`).toBeGreaterThan(0);
  return list;
}

describe('seed episodes spanning accounts, clients and days', () => {
  it('books every payment of an episode to an account of ours on both sides, both labelled with the episode', () => {
    const label = new Map(g.labels.map((l) => [l[0] as number, l]));
    let internal = 0;
    for (let i = 0; i < g.rows.length; i++) {
      const r = g.rows[i] as Row;
      const l = label.get(r[0] as number);
      const to = ours.get(r[7] as string);
      if (!l || to === undefined || Number(r[4]) > 0) continue;
      internal++;
      const credit = g.rows[i + 1] as Row;
      expect(credit[1]).toBe(to);
      expect(typeOf(credit[2] as number)).toBe('incoming transfer');
      expect(label.get(credit[0] as number)?.[1], `credit of ${r[0]}`).toBe(l[1]);
    }
    expect(internal).toBeGreaterThan(50);
  });

  it('makes a fan-in of several clients of ours paying one recipient within days', () => {
    for (const e of episodes('fan-in')) {
      const debits = e.rows.filter(isDebit);
      expect(new Set(debits.map((r) => clientOf(r[1]))).size).toBeGreaterThanOrEqual(3);
      expect(new Set(debits.map((r) => r[7])).size).toBe(1);
      const days = (Date.parse(String(debits.at(-1)?.[3])) - Date.parse(String(debits[0]?.[3]))) / 86_400_000;
      expect(days).toBeLessThan(5);
    }
  });

  it('closes a cycle on the account it left, through distinct clients, a small cut off each hop', () => {
    for (const e of episodes('cycle')) {
      const debits = e.rows.filter(isDebit);
      const credits = e.rows.filter((r) => !isDebit(r));
      expect(debits.length).toBeGreaterThanOrEqual(2);
      expect(credits.at(-1)?.[1]).toBe(debits[0]?.[1]);
      expect(new Set(debits.map((r) => clientOf(r[1]))).size).toBe(debits.length);
      for (let i = 1; i < debits.length; i++) {
        expect(debits[i]?.[1]).toBe(credits[i - 1]?.[1]);
        const ratio = amount(debits[i] as Row) / amount(debits[i - 1] as Row);
        expect(ratio).toBeGreaterThan(0.94);
        expect(ratio).toBeLessThanOrEqual(1);
      }
    }
  });

  it('has the mules of a scatter-gather pass most of what they got on to one common IBAN elsewhere', () => {
    for (const e of episodes('scatter-gather')) {
      const source = e.rows[0]?.[1];
      const onward = e.rows.filter((r) => isDebit(r) && r[1] !== source);
      expect(onward.length).toBeGreaterThanOrEqual(3);
      expect(new Set(onward.map((r) => r[7])).size).toBe(1);
      expect(ours.has(onward[0]?.[7] as string)).toBe(false);
      for (const out of onward) {
        const got = e.rows.find((r) => r[1] === out[1] && !isDebit(r)) as Row;
        expect(-amount(out) / amount(got)).toBeGreaterThan(0.84);
        expect(-amount(out) / amount(got)).toBeLessThan(0.99);
      }
    }
  });

  it('sends a pass-through on less a cut of 1-8 % within a day', () => {
    for (const e of episodes('pass-through')) {
      const received = e.rows.filter((r) => !isDebit(r)).reduce((s, r) => s + amount(r), 0);
      const sent = -e.rows.filter(isDebit).reduce((s, r) => s + amount(r), 0);
      expect(sent / received).toBeGreaterThan(0.9);
      expect(sent / received).toBeLessThan(0.995);
    }
  });

  it('pays 5 or more distinct recipients elsewhere in a fan-out', () => {
    for (const e of episodes('fan-out')) {
      const to = e.rows.filter(isDebit).map((r) => r[7]);
      expect(new Set(to).size).toBe(to.length);
      expect(to.length).toBeGreaterThanOrEqual(5);
    }
  });

  it('pays the same employees each month in a payroll decoy, labelled legitimate', () => {
    for (const e of episodes('decoy-payroll')) {
      const byMonth = new Map<string, Set<unknown>>();
      for (const r of e.rows.filter((x) => isDebit(x) && String(x[9]).startsWith('Salary '))) {
        const month = String(r[9]).slice(7);
        byMonth.set(month, (byMonth.get(month) ?? new Set()).add(r[7]));
      }
      const sets = [...byMonth.values()].map((s) => [...s].sort().join());
      expect(sets.length).toBeGreaterThanOrEqual(6);
      expect(new Set(sets).size).toBe(1);
    }
    expect(g.labels.filter((l) => String(l[2]).startsWith('decoy-')).every((l) => l[3] === 0)).toBe(true);
  });

  it('finds a monthly day, moved to the Friday before a weekend', () => {
    // 2025-11-01 is a Saturday, 2026-02-01 and 2026-03-01 Sundays.
    const days = monthlyDays(epochDay('2025-10-01'), epochDay('2026-03-01'), 1);
    expect(days.map((d) => new Date(d * 86_400_000).toISOString().slice(0, 10))).toEqual([
      '2025-10-01',
      '2025-10-31',
      '2025-12-01',
      '2026-01-01',
      '2026-01-30',
      '2026-02-27',
    ]);
  });
});
