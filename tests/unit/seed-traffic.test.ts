import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  ANOMALY_KINDS,
  DECOY_KINDS,
  REPORTING_THRESHOLDS,
  TRANSACTION_TYPES,
} from '../../lib/domain/bank.js';
import type { Row } from '../../lib/seed/rows.js';
import { spreadOverDays } from '../../lib/seed/traffic.js';
import { CLASSIC_KINDS, type Generated, generate, typeOf } from './seed-helpers.js';

const cents = (s: unknown) => Math.round(Number(s) * 100);
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] as number;
const quantile = (xs: number[], q: number) =>
  [...xs].sort((a, b) => a - b)[Math.floor(xs.length * q)] as number;

describe('seed traffic', () => {
  const g = generate();

  it('writes exactly the requested number of transactions, ids and booking times ascending', () => {
    expect(g.rows).toHaveLength(30_000);
    for (let i = 1; i < g.rows.length; i++) {
      expect(g.rows[i]?.[0]).toBe((g.rows[i - 1]?.[0] as number) + 1);
      expect(String(g.rows[i]?.[3]) >= String(g.rows[i - 1]?.[3])).toBe(true);
    }
  });

  it('keeps every account balance consistent: opening row first, balance_after chains, final = accounts.balance', () => {
    const running = new Map<number, number>();
    for (const r of g.rows) {
      const account = r[1] as number;
      if (!running.has(account)) expect(String(r[9])).toMatch(/^(Opening deposit|Balance brought forward)$/);
      if (r[8] !== 'completed') {
        expect(r[6]).toBeNull();
        continue;
      }
      const next = (running.get(account) ?? 0) + cents(r[4]);
      expect(cents(r[6])).toBe(next);
      running.set(account, next);
    }
    for (let k = 0; k < g.accounts.count; k++)
      expect(g.accounts.balanceCents[k]).toBe(running.get(k + 1) ?? 0);
  });

  it('books a transfer to another account of the bank on both sides: the debit, then its credit', () => {
    const ours = new Map(g.ibans.map((iban, k) => [iban, k + 1]));
    const sameCurrency = (x: Row, y: Row) => x[5] === y[5];
    let internal = 0;
    for (let i = 0; i < g.rows.length; i++) {
      const r = g.rows[i] as Row;
      const to = ours.get(r[7] as string);
      if (to === undefined || r[8] === 'cancelled' || Number(r[4]) > 0) continue;
      internal++;
      const credit = g.rows[i + 1] as Row;
      expect(credit[1], `credit of ${r[0]}`).toBe(to);
      expect(typeOf(credit[2] as number)).toBe('incoming transfer');
      expect(credit[3]).toBe(r[3]);
      expect(credit[7], 'the credit names its payer').toBe(g.ibans[(r[1] as number) - 1]);
      expect(credit[8]).toBe(r[8]);
      if (sameCurrency(r, credit)) expect(cents(credit[4])).toBe(-cents(r[4]));
      else expect(cents(credit[4])).toBeGreaterThan(0);
    }
    expect(internal).toBeGreaterThan(100);
  });

  it('signs every amount by its type: credits positive, debits negative; only transfers name a counterparty', () => {
    for (const r of g.rows) {
      const type = TRANSACTION_TYPES[(r[2] as number) - 1];
      const amount = Number(r[4]);
      expect(type?.direction === 'credit' ? amount > 0 : amount < 0).toBe(true);
      expect(r[7] === null || type?.transfer || type?.type === 'incoming transfer').toBe(true);
    }
  });

  it('marks rows pending only in the last two days; some cancelled; mostly completed', () => {
    for (const r of g.rows) if (r[8] === 'pending') expect(String(r[3]) >= '2025-12-30').toBe(true);
    expect(g.stats.pending).toBeGreaterThan(0);
    expect(g.stats.cancelled / g.stats.transactions).toBeGreaterThan(0.005);
    expect(g.stats.completed / g.stats.transactions).toBeGreaterThan(0.95);
  });

  it('draws heavy-tailed amounts per type, larger for business accounts', () => {
    const card = g.rows.filter((r) => typeOf(r[2] as number) === 'card payment').map((r) => -Number(r[4]));
    expect(quantile(card, 0.99) / median(card)).toBeGreaterThan(5);
    expect(Math.max(...card) / median(card)).toBeGreaterThan(20);
    const business = new Set<number>();
    for (let k = 0; k < g.accounts.count; k++) if (g.accounts.type[k] === 2) business.add(k + 1);
    const bizCard = g.rows
      .filter((r) => typeOf(r[2] as number) === 'card payment' && business.has(r[1] as number))
      .map((r) => -Number(r[4]));
    const personalCard = g.rows
      .filter((r) => typeOf(r[2] as number) === 'card payment' && !business.has(r[1] as number))
      .map((r) => -Number(r[4]));
    expect(median(bizCard)).toBeGreaterThan(median(personalCard) * 1.5);
  });

  it('follows a daily and monthly rhythm: little at night, salaries early in the month', () => {
    const regular = g.rows.filter((r) => !String(r[3]).endsWith(' 00:00:00'));
    const night = regular.filter((r) => Number(String(r[3]).slice(11, 13)) < 5).length;
    expect(night / regular.length).toBeLessThan(0.03);
    // Regular salaries (a payroll decoy pays its own on its own day).
    const labelled = new Set(g.labels.map((l) => l[0]));
    const salaries = g.rows.filter((r) => String(r[9]).startsWith('Salary ') && !labelled.has(r[0]));
    expect(salaries.length).toBeGreaterThan(100);
    for (const s of salaries) expect(Number(String(s[3]).slice(8, 10))).toBeLessThanOrEqual(4);
    const weekday = (r: Row) => new Date(`${String(r[3]).slice(0, 10)}T00:00:00Z`).getUTCDay();
    const sundays = regular.filter((r) => weekday(r) === 0).length;
    const fridays = regular.filter((r) => weekday(r) === 5).length;
    expect(fridays).toBeGreaterThan(sundays * 2);
  });

  it('labels every kind of anomaly and decoy; a classic kind stays on one account', () => {
    const kinds = new Set(g.labels.map((l) => l[2]));
    for (const kind of [...ANOMALY_KINDS, ...DECOY_KINDS]) expect(kinds, kind).toContain(kind);
    const byId = new Map(g.rows.map((r) => [r[0] as number, r]));
    const episodes = new Map<number, Row[]>();
    for (const l of g.labels) {
      expect(l[3]).toBe((ANOMALY_KINDS as readonly unknown[]).includes(l[2]) ? 1 : 0);
      episodes.set(l[1] as number, [
        ...(episodes.get(l[1] as number) ?? []),
        byId.get(l[0] as number) as Row,
      ]);
    }
    for (const l of g.labels) {
      const rows = episodes.get(l[1] as number) ?? [];
      if (CLASSIC_KINDS.includes(String(l[2]))) expect(new Set(rows.map((r) => r[1])).size).toBe(1);
      if (l[2] === 'burst') {
        expect(rows.length).toBeGreaterThanOrEqual(8);
        const first = Date.parse(`${String(rows[0]?.[3]).replace(' ', 'T')}Z`);
        const last = Date.parse(`${String(rows.at(-1)?.[3]).replace(' ', 'T')}Z`);
        expect(last - first).toBeLessThanOrEqual(15 * 60_000);
      }
      if (l[2] === 'structuring') {
        for (const r of rows) {
          const threshold = REPORTING_THRESHOLDS[String(r[5])] as number;
          expect(Number(r[4])).toBeLessThan(threshold);
          expect(Number(r[4])).toBeGreaterThan(threshold * 0.85);
        }
      }
    }
  });

  it('puts an amount spike far above the account regular history before it', () => {
    const byId = new Map(g.rows.map((r) => [r[0] as number, r]));
    const labelled = new Set(g.labels.map((l) => l[0]));
    const spikes = g.labels.filter((x) => x[2] === 'amount-spike');
    expect(spikes.length).toBeGreaterThan(0);
    expect(spikes).toHaveLength(g.stats.episodes['amount-spike'] as number);
    for (const l of spikes) {
      const spike = byId.get(l[0] as number) as Row;
      expect(spike, `row of spike ${l[0]}`).toBeDefined();
      const before = g.rows.filter(
        (r) =>
          r[1] === spike[1] &&
          (r[0] as number) < (spike[0] as number) &&
          Number(r[4]) < 0 &&
          r[8] === 'completed' &&
          !labelled.has(r[0]),
      );
      // The seeder puts spikes on accounts with history; without it "far above" would compare with nothing.
      expect(before.length, `regular debits before spike ${l[0]}`).toBeGreaterThan(0);
      const largest = Math.max(...before.map((r) => -Number(r[4])));
      expect(-Number(spike[4])).toBeGreaterThanOrEqual(largest * 3.9);
    }
  });

  it('is deterministic for the same seed and differs for another', () => {
    const hash = (x: Generated) =>
      createHash('sha256')
        .update(JSON.stringify([x.rows, x.labels]))
        .digest('hex');
    const small = { clients: 40, transactions: 4_000 };
    expect(hash(generate({ ...small, seed: 1 }))).toBe(hash(generate({ ...small, seed: 1 })));
    expect(hash(generate({ ...small, seed: 1 }))).not.toBe(hash(generate({ ...small, seed: 2 })));
  });

  it('writes the same bank as before its per-account state moved off the JS heap (IBANs, labels, openings)', () => {
    // Pinned: the digest of the accounts' IBANs, the transactions and the labels as the seeder wrote them when
    // IBANs were a string array, labels arrays of cells and the first day's balances one candidate each.
    const x = generate({ clients: 40, transactions: 4_000, seed: 1 });
    expect(
      createHash('sha256')
        .update(JSON.stringify([x.ibans, x.rows, x.labels]))
        .digest('hex'),
    ).toBe('f810d8e4fd88af63fcc473db4916c45d3d6504210ff3805392a7aac9f096a5fc');
  });

  it('spreads a total over days exactly', () => {
    expect(spreadOverDays(10, [1, 1, 1])).toEqual([3, 4, 3]);
    expect(spreadOverDays(1_000, [5, 0.5, 2, 7]).reduce((s, n) => s + n, 0)).toBe(1_000);
  });

  it('injects nothing when the anomaly rate is 0', () => {
    expect(generate({ clients: 30, transactions: 2_000, anomalyRate: 0 }).labels).toEqual([]);
  });
});
