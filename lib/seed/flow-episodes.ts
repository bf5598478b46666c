/**
 * Injected episodes of one client moving money in a pattern (lib/seed/episode-kit.ts books them):
 *
 * - `fan-out`: 5–14 payments to new, distinct recipients (some abroad) within 1 to 40 hours, often right after a
 *   large credit arrived;
 * - `repeated-payments`: 3–7 payments to one new recipient (sometimes an account of ours) within 1–10 hours, half of
 *   them one sum split into near-equal parts;
 * - `pass-through`: a large credit onto an account that held little, sent on less a 1–8 % cut within 1–20 hours, in
 *   1–3 payments (sometimes partly in cash);
 * - `velocity`: 12–30 card, mobile and transfer payments within 20 minutes to 2½ hours, often at night — many small
 *   amounts, nothing that needs the balance to be seen.
 *
 * Sizes, timing and amounts vary within plausible ranges, not around a rule's thresholds.
 */

import {
  claimAccount,
  DAY_SECONDS,
  type EpisodeWriter,
  eurCents,
  homeOf,
  outsideIban,
  type PlaceContext,
} from './episode-kit.js';
import type { Episode } from './episodes.js';
import { FOREIGN_IBAN_COUNTRIES } from './iban.js';
import { cashStep, MERCHANTS, T_ATM, T_CARD, T_EXPRESS, T_MOBILE, T_OUTGOING } from './model.js';
import type { Random } from './random.js';

const HOUR = 3600;

/** How an episode kind is planned (its shape, rows and span in days) and placed (its accounts and rows). */
export interface Story {
  /** `fromDay`/`toDay`: the range (recurring stories place themselves in it; the others are given a day). */
  plan(e: Episode, rng: Random, fromDay: number, toDay: number): void;
  /** False when no accounts fit (nothing is booked then). */
  place(e: Episode, ctx: PlaceContext, w: EpisodeWriter): boolean;
}

/** `n` sorted offsets (seconds) spread over `span` seconds from `start`, the first at `start`. */
export function spreadTimes(rng: Random, n: number, start: number, span: number): number[] {
  const times = [start];
  for (let i = 1; i < n; i++) times.push(start + rng.int(60, Math.max(60, span)));
  return times.sort((x, y) => x - y);
}

/** `total` cents in `n` parts: near-equal (within ±2 %) or uneven (0.5–1.5 of an equal share). */
export function splitCents(rng: Random, total: number, n: number, nearEqual: boolean): number[] {
  const weights = Array.from({ length: n }, () => (nearEqual ? rng.float(0.98, 1.02) : rng.float(0.5, 1.5)));
  const sum = weights.reduce((s, x) => s + x, 0);
  return weights.map((x) => Math.max(100, Math.round((total * x) / sum / 100) * 100));
}

const OUT_TITLES = ['Transfer', 'Payment', 'Loan', 'Invoice', 'Services', 'Consulting fee', 'Goods'];
const IN_TITLES = ['Transfer', 'Invoice settlement', 'Payment for services', 'Loan', 'Sale of goods'];

const fanOut: Story = {
  plan(e, rng) {
    const n = rng.int(5, 14);
    const funded = rng.chance(0.5) ? 1 : 0;
    const r = rng.next();
    const hours = r < 0.6 ? rng.int(1, 8) : r < 0.9 ? rng.int(8, 24) : rng.int(24, 40);
    e.shape = [n, funded, hours];
    e.size = n + funded;
    e.span = Math.ceil((20 * HOUR + 4 * HOUR + hours * HOUR) / DAY_SECONDS);
  },
  place(e, ctx, w) {
    const [n = 5, funded = 0, hours = 1] = e.shape;
    const k = claimAccount(ctx, {
      lastDay: ctx.day + e.span,
      types: ['personal', 'business'],
      score: (x) => ctx.a.balanceCents[x] as number,
    });
    if (k < 0) return false;
    const { a, rng } = ctx;
    let t = rng.int(7 * HOUR, 20 * HOUR);
    const total = funded
      ? eurCents(a, k, rng.logNormal(8000, 0.5))
      : Math.max(eurCents(a, k, 1500), (a.balanceCents[k] as number) * rng.float(0.6, 0.9));
    if (funded) {
      w.receive(t, k, total * rng.float(1, 1.05), rng.pick(IN_TITLES));
      t += rng.int(HOUR / 2, 4 * HOUR);
    }
    const parts = splitCents(rng, total, n, false);
    const times = spreadTimes(rng, n, t, hours * HOUR);
    for (let i = 0; i < n; i++) {
      const to = outsideIban(a, k, rng, 0.25, FOREIGN_IBAN_COUNTRIES);
      w.pay(
        times[i] as number,
        k,
        to,
        parts[i] as number,
        rng.chance(0.6) ? T_OUTGOING : T_EXPRESS,
        rng.pick(OUT_TITLES),
      );
    }
    e.account = k;
    e.note = `${n} payments to new recipients within ${hours} h${funded ? ', after a large credit' : ''}`;
    return true;
  },
};

const repeatedPayments: Story = {
  plan(e, rng) {
    const n = rng.int(3, 7);
    const ours = rng.chance(0.25) ? 1 : 0;
    const hours = rng.int(1, 10);
    e.shape = [n, ours, hours, rng.chance(0.5) ? 1 : 0];
    e.size = ours ? 2 * n : n;
    e.span = 1;
  },
  place(e, ctx, w) {
    const [n = 3, ours = 0, hours = 1, nearEqual = 0] = e.shape;
    const k = claimAccount(ctx, { lastDay: ctx.day + 1, types: ['personal', 'business'] });
    if (k < 0) return false;
    const { a, rng } = ctx;
    let to: number | string = outsideIban(a, k, rng, 0.4, FOREIGN_IBAN_COUNTRIES);
    if (ours) {
      const peer = claimAccount(ctx, {
        lastDay: ctx.day + 1,
        notClients: new Set([a.clientIndex[k] as number]),
      });
      if (peer >= 0) to = peer;
    }
    const total = Math.max(eurCents(a, k, rng.logNormal(5000, 0.6)), (a.balanceCents[k] as number) * 0.5);
    const parts = splitCents(rng, total, n, nearEqual === 1);
    const times = spreadTimes(rng, n, rng.int(8 * HOUR, 18 * HOUR), hours * HOUR);
    const title = rng.pick(['Payment', 'Invoice', 'Transfer', 'Loan repayment', 'Order']);
    for (let i = 0; i < n; i++)
      w.pay(times[i] as number, k, to, parts[i] as number, rng.chance(0.5) ? T_EXPRESS : T_OUTGOING, title);
    e.account = k;
    e.note = `${n} payments to one new recipient within ${hours} h${nearEqual ? ', one sum in near-equal parts' : ''}`;
    return true;
  },
};

const passThrough: Story = {
  plan(e, rng) {
    const m = rng.int(1, 3);
    const hours = rng.int(1, 20);
    e.shape = [m, hours, m >= 2 && rng.chance(0.3) ? 1 : 0];
    e.size = 1 + m;
    e.span = 2;
  },
  place(e, ctx, w) {
    const [m = 1, hours = 1, cash = 0] = e.shape;
    const k = claimAccount(ctx, {
      lastDay: ctx.day + 2,
      types: ['personal'],
      // A conduit holds little of its own.
      score: (x) => -(ctx.a.balanceCents[x] as number) / Math.max(1, ctx.a.income[x] as number),
    });
    if (k < 0) return false;
    const { a, rng } = ctx;
    const received = eurCents(a, k, rng.logNormal(9000, 0.6));
    const cut = rng.float(0.01, 0.08);
    const t0 = rng.int(8 * HOUR, 16 * HOUR);
    w.receive(t0, k, received, rng.pick(IN_TITLES));
    const parts = splitCents(rng, received * (1 - cut), m, false);
    const times = spreadTimes(rng, m, t0 + rng.int(HOUR / 2, hours * HOUR), Math.max(60, (hours * HOUR) / 3));
    const to = outsideIban(a, k, rng, 0.5, FOREIGN_IBAN_COUNTRIES);
    const step = cashStep(homeOf(a, k).currency) * 100;
    for (let i = 0; i < m; i++) {
      const t = times[i] as number;
      if (cash && i === m - 1)
        w.spend(
          t,
          k,
          T_ATM,
          Math.max(step, Math.round((parts[i] as number) / step) * step),
          'ATM cash withdrawal',
        );
      else
        w.pay(
          t,
          k,
          i === 0 ? to : outsideIban(a, k, rng, 0.5, FOREIGN_IBAN_COUNTRIES),
          parts[i] as number,
          T_EXPRESS,
          'Transfer',
        );
    }
    e.account = k;
    e.note = `received and sent on less ${(cut * 100).toFixed(1)} % within ${hours} h`;
    return true;
  },
};

const velocity: Story = {
  plan(e, rng) {
    const n = rng.int(12, 30);
    const minutes = rng.int(20, 150);
    e.shape = [n, minutes];
    e.size = n;
    e.span = 1;
  },
  place(e, ctx, w) {
    const [n = 12, minutes = 20] = e.shape;
    const k = claimAccount(ctx, { lastDay: ctx.day + 1, types: ['personal'] });
    if (k < 0) return false;
    const { a, rng } = ctx;
    const { home } = homeOf(a, k);
    const start = rng.chance(0.4) ? rng.int(0, 5 * HOUR) : rng.int(8 * HOUR, 22 * HOUR);
    const times = spreadTimes(rng, n, start, minutes * 60);
    for (const t of times) {
      const cents = eurCents(a, k, rng.logNormal(70, 0.9));
      const r = rng.next();
      const shop = rng.pick(MERCHANTS[home] ?? ['Online shop']);
      if (r < 0.5) w.spend(t, k, T_CARD, cents, `Card payment ${shop} online`);
      else if (r < 0.8)
        w.spend(t, k, T_MOBILE, cents, `${home === 'PL' ? 'BLIK' : 'Mobile payment'} ${shop}`);
      else w.pay(t, k, outsideIban(a, k, rng, 0.3, FOREIGN_IBAN_COUNTRIES), cents, T_EXPRESS, 'Transfer');
    }
    e.account = k;
    e.note = `${n} payments within ${minutes} minutes`;
    return true;
  },
};

/** The client-flow kinds. */
export const FLOW_STORIES = {
  'fan-out': fanOut,
  'repeated-payments': repeatedPayments,
  'pass-through': passThrough,
  velocity,
} as const;
