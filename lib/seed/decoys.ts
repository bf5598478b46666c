/**
 * Decoys: legitimate behaviour that looks like a typology (labelled suspicious = 0; an alert on them must stay Low).
 * Recurring ones run through the range, as they would in a real bank, from a week into it to a week before its end:
 *
 * - `decoy-payroll` (looks like fan-out): a business account pays the same 6–14 employees (some of them clients of
 *   ours) on a fixed day each month (the Friday before when it falls on a weekend), as one batch or by hand over the
 *   morning, after its customers' invoices came in during the days before;
 * - `decoy-rent` (looks like fan-in): 3–8 tenants, most of them clients of ours, pay their landlord (an account of
 *   ours, or at another bank) the same rent around the 1st of each month;
 * - `decoy-family` (looks like a two-hop cycle): 2–3 members pay each other for dinners, shopping and holidays,
 *   often paid back within two weeks;
 * - `decoy-sweep` (looks like pass-through): a client moves part of its pay to its savings account each month and
 *   some back now and then;
 * - `decoy-merchant` (looks like gather-scatter): for 4–8 weeks a shop's business account takes a daily card
 *   settlement and customer transfers (regular customers among our clients), pays the day's takings to its owner's
 *   other account most evenings and its suppliers each Monday.
 */

import {
  claimAccount,
  claimAccounts,
  claimSiblingAccount,
  DAY_SECONDS,
  type EpisodeWriter,
  eurCents,
  homeOf,
  outsideIban,
  type PlaceContext,
} from './episode-kit.js';
import type { Episode } from './episodes.js';
import type { Story } from './flow-episodes.js';
import { MEDIAN_INCOME_EUR, T_OUTGOING, T_STANDING, toCents } from './model.js';
import { DAY_MS } from './population.js';

const HOUR = 3600;

/** Epoch days in [from, to) on day-of-month `dom` (the month's last day when shorter; Friday before a weekend). */
export function monthlyDays(from: number, to: number, dom: number): number[] {
  const out: number[] = [];
  const start = new Date(from * DAY_MS);
  for (let m = 0; ; m++) {
    const y = start.getUTCFullYear();
    const month = start.getUTCMonth() + m;
    const last = new Date(Date.UTC(y, month + 1, 0)).getUTCDate();
    let day = Math.floor(Date.UTC(y, month, Math.min(dom, last)) / DAY_MS);
    const weekday = new Date(day * DAY_MS).getUTCDay();
    if (weekday === 6) day -= 1;
    else if (weekday === 0) day -= 2;
    if (day >= to) return out;
    if (day >= from) out.push(day);
  }
}

/** Recurring decoys run from a week into the range to a week before its end (when it is long enough). */
function planRecurring(e: Episode, fromDay: number, toDay: number, rowsPerMonth: number): void {
  e.day = Math.min(fromDay + 7, toDay - 1);
  e.span = Math.max(0, toDay - 8 - e.day);
  e.size = Math.max(1, Math.round(((e.span + 1) / 30) * rowsPerMonth));
}

/** The time of day `day` (epoch) at second `sec`, from the episode's first day. */
const at = (ctx: PlaceContext, day: number, sec: number) => (day - ctx.day) * DAY_SECONDS + sec;

const payroll: Story = {
  plan(e, rng, fromDay, toDay) {
    const n = rng.int(6, 14);
    e.shape = [n, rng.pick([25, 26, 27, 28, 1, 10]), rng.chance(0.6) ? 1 : 0];
    planRecurring(e, fromDay, toDay, n * 1.3 + 3);
  },
  place(e, ctx, w) {
    const [n = 6, dom = 25, batch = 1] = e.shape;
    const lastDay = ctx.day + e.span;
    const { a, rng } = ctx;
    const biz = claimAccount(ctx, {
      lastDay,
      types: ['business'],
      openBefore: ctx.day - 30,
      score: (x) => a.income[x] as number,
    });
    if (biz < 0) return false;
    const { home } = homeOf(a, biz);
    const ours = claimAccounts(ctx, Math.round(n * 0.3), {
      lastDay,
      openBefore: ctx.day,
      types: ['personal'],
      currency: a.currency[biz] as number,
      country: a.country[biz] as number,
      notClients: new Set([a.clientIndex[biz] as number]),
    });
    const staff = Array.from({ length: n }, (_, i) => ours[i] ?? outsideIban(a, biz, rng));
    const pay = staff.map(() => eurCents(a, biz, (MEDIAN_INCOME_EUR[home] ?? 2000) * rng.logNormal(1, 0.3)));
    const total = pay.reduce((s, x) => s + x, 0);
    // From a week in: the invoices before each payday fall within the span.
    for (const day of monthlyDays(ctx.day + 7, lastDay + 1, dom)) {
      const month = new Date(day * DAY_MS).toISOString().slice(0, 7);
      for (let i = 0, invoices = rng.int(2, 4); i < invoices; i++)
        w.receive(
          at(ctx, day - rng.int(1, 6), rng.int(9 * HOUR, 16 * HOUR)),
          biz,
          (total * 1.15) / invoices,
          'Invoice settlement',
        );
      let t = at(ctx, day, rng.int(6 * HOUR, 8 * HOUR));
      for (let i = 0; i < n; i++) {
        const cents = Math.round(((pay[i] as number) * rng.float(0.98, 1.03)) / 100) * 100;
        w.pay(t, biz, staff[i] as number | string, cents, T_OUTGOING, `Salary ${month}`);
        t += batch ? 0 : rng.int(60, 900);
      }
    }
    e.account = biz;
    e.note = `payroll of ${n} employees (${ours.length} ours) on day ${dom} each month (legitimate)`;
    return true;
  },
};

const rent: Story = {
  plan(e, rng, fromDay, toDay) {
    const n = rng.int(3, 8);
    e.shape = [n, rng.chance(0.7) ? 1 : 0];
    planRecurring(e, fromDay, toDay, n * 1.8);
  },
  place(e, ctx, w) {
    const [n = 3, landlordOurs = 1] = e.shape;
    const lastDay = ctx.day + e.span;
    const { a, rng } = ctx;
    const landlord = landlordOurs
      ? claimAccount(ctx, { lastDay, types: ['personal', 'business'], openBefore: ctx.day })
      : -1;
    // Tenants live where the flat is: the landlord's country, or the first tenant's when the landlord banks elsewhere.
    const first =
      landlord >= 0 ? landlord : claimAccount(ctx, { lastDay, types: ['personal'], openBefore: ctx.day });
    if (first < 0) return false;
    const tenants = claimAccounts(ctx, Math.max(1, Math.round(n * 0.75)) - (landlord >= 0 ? 0 : 1), {
      lastDay,
      openBefore: ctx.day,
      types: ['personal'],
      country: a.country[first] as number,
      notClients: new Set([a.clientIndex[first] as number]),
    });
    if (landlord < 0) tenants.unshift(first);
    if (tenants.length === 0) return false;
    const to = landlord >= 0 ? landlord : outsideIban(a, tenants[0] as number, rng);
    const { home } = homeOf(a, tenants[0] as number);
    const others = landlord >= 0 ? n - tenants.length : 0;
    const payers = [...tenants, ...Array.from({ length: others }, () => -1)];
    const rents = payers.map(() => rng.float(0.3, 0.6) * (MEDIAN_INCOME_EUR[home] ?? 2000));
    const habit = payers.map(() => rng.int(-4, 3));
    const standing = payers.map(() => rng.chance(0.5));
    // Due on the 1st (the Friday before at a weekend); paid from 4 days before to 4 days after, never outside the span.
    for (const due of monthlyDays(ctx.day + 7, lastDay - 4, 1)) {
      const month = new Date((due + 3) * DAY_MS).toISOString().slice(0, 7);
      payers.forEach((k, i) => {
        const day = due + (habit[i] as number) + rng.int(0, 1);
        const title = `Rent ${month} flat ${i + 1}`;
        if (k < 0)
          w.receive(
            at(ctx, day, rng.int(8 * HOUR, 20 * HOUR)),
            landlord,
            eurCents(a, landlord, rents[i] as number),
            title,
          );
        else {
          const sec = standing[i] ? rng.int(5 * HOUR, 7 * HOUR) : rng.int(8 * HOUR, 22 * HOUR);
          const cents = Math.round(eurCents(a, k, rents[i] as number) / 100) * 100;
          w.pay(at(ctx, day, sec), k, to, cents, standing[i] ? T_STANDING : T_OUTGOING, title);
        }
      });
    }
    e.account = landlord >= 0 ? landlord : (tenants[0] as number);
    e.note = `${n} tenants (${tenants.length} ours) paying their landlord (${landlord >= 0 ? 'ours' : 'elsewhere'}) each month (legitimate)`;
    return true;
  },
};

const FAMILY_TITLES = ['Dinner', 'Groceries', 'Concert tickets', 'Birthday present', 'Petrol', 'Pizza'];

/** One family payment and, often, its payback within two weeks; returns the next event's day. */
function familyEvent(
  ctx: PlaceContext,
  w: EpisodeWriter,
  members: number[],
  day: number,
  lastDay: number,
): void {
  const { a, rng } = ctx;
  const i = rng.int(0, members.length - 1);
  const j = (i + rng.int(1, members.length - 1)) % members.length;
  const payer = members[i] as number;
  const payee = members[j] as number;
  const big = rng.chance(0.15);
  const eur = big ? rng.logNormal(400, 0.6) : rng.logNormal(50, 0.8);
  const title = big ? rng.pick(['Holiday share', 'Flights', 'Car repair']) : rng.pick(FAMILY_TITLES);
  const cents = Math.round(eurCents(a, payer, eur) / 100) * 100;
  w.pay(at(ctx, day, rng.int(9 * HOUR, 22 * HOUR)), payer, payee, cents, T_OUTGOING, title);
  const back = day + rng.int(1, 14);
  if (!rng.chance(0.6) || back > lastDay) return;
  const share = rng.chance(0.5) ? 1 : rng.pick([0.5, 0.33, 0.8]);
  const backCents = Math.max(100, Math.round((eurCents(a, payee, eur) * share) / 100) * 100);
  w.pay(
    at(ctx, back, rng.int(9 * HOUR, 22 * HOUR)),
    payee,
    payer,
    backCents,
    T_OUTGOING,
    `Payback: ${title}`,
  );
}

/**
 * `size` members of one country (distinct clients), the first claimed again elsewhere when it has no relative free
 * (a small bank: few clients of a country are free of another story).
 */
function familyOf(ctx: PlaceContext, size: number, lastDay: number): number[] {
  const { a } = ctx;
  for (let attempt = 0; attempt < 6; attempt++) {
    const first = claimAccount(ctx, { lastDay, types: ['personal'], openBefore: ctx.day });
    if (first < 0) return [];
    const others = claimAccounts(ctx, size - 1, {
      lastDay,
      openBefore: ctx.day,
      types: ['personal'],
      country: a.country[first] as number,
      notClients: new Set([a.clientIndex[first] as number]),
    });
    if (others.length > 0) return [first, ...others];
    a.inEpisode[first] = 0;
  }
  return [];
}

const family: Story = {
  plan(e, rng, fromDay, toDay) {
    e.shape = [rng.chance(0.75) ? 2 : 3, rng.int(5, 12)];
    planRecurring(e, fromDay, toDay, (30 / (e.shape[1] as number)) * 3.2);
  },
  place(e, ctx, w) {
    const [size = 2, every = 8] = e.shape;
    const lastDay = ctx.day + e.span;
    const members = familyOf(ctx, size, lastDay);
    if (members.length < 2) return false;
    for (let day = ctx.day; day <= lastDay; day += ctx.rng.int(1, 2 * every))
      familyEvent(ctx, w, members, day, lastDay);
    e.account = members[0] as number;
    e.note = `${members.length} family members paying each other back and forth (legitimate)`;
    return true;
  },
};

const sweep: Story = {
  plan(e, rng, fromDay, toDay) {
    e.shape = [rng.int(1, 5)];
    planRecurring(e, fromDay, toDay, 5);
  },
  place(e, ctx, w) {
    const [payday = 1] = e.shape;
    const lastDay = ctx.day + e.span;
    const { a, rng } = ctx;
    let savings = -1;
    const current = claimAccount(ctx, {
      lastDay,
      types: ['personal'],
      openBefore: ctx.day,
      accept: (k) => {
        savings = claimSiblingAccount(ctx, k, { lastDay, types: ['savings'], openBefore: ctx.day });
        return savings >= 0;
      },
    });
    if (current < 0) return false;
    const income = a.income[current] as number;
    let saved = 0;
    for (const day of monthlyDays(ctx.day, lastDay + 1, payday)) {
      const cents = toCents(income * rng.float(0.1, 0.4), 10);
      w.pay(
        at(ctx, day, rng.int(7 * HOUR, 21 * HOUR)),
        current,
        savings,
        cents,
        T_OUTGOING,
        'Transfer to savings',
      );
      saved += cents;
      for (let back = rng.int(0, 2); back > 0 && day + 25 <= lastDay; back--) {
        const cents2 = Math.min(saved * 0.6, toCents(income * rng.float(0.1, 0.6), 10));
        if (cents2 < 1000) break;
        w.pay(
          at(ctx, day + rng.int(5, 25), rng.int(8 * HOUR, 22 * HOUR)),
          savings,
          current,
          cents2,
          T_OUTGOING,
          'From savings',
        );
        saved -= cents2;
      }
    }
    e.account = current;
    e.note = 'moves between its own current and savings accounts (legitimate)';
    return true;
  },
};

/** One trading day of the shop: card settlement, customer transfers, the evening payout. */
function merchantDay(
  ctx: PlaceContext,
  w: EpisodeWriter,
  shop: { k: number; owner: number | string; pool: number[] },
  day: number,
): void {
  const { a, rng } = ctx;
  const card = eurCents(a, shop.k, rng.logNormal(900, 0.5));
  w.receive(
    at(ctx, day, rng.int(4 * HOUR, 6 * HOUR)),
    shop.k,
    card,
    `Card settlement ${new Date((day - 1) * DAY_MS).toISOString().slice(0, 10)}`,
  );
  let takings = card;
  for (let c = rng.int(0, 3); c > 0 && shop.pool.length > 0; c--) {
    const customer = rng.pick(shop.pool);
    const eur = rng.logNormal(80, 0.8);
    takings += eurCents(a, shop.k, eur);
    w.pay(
      at(ctx, day, rng.int(8 * HOUR, 21 * HOUR)),
      customer,
      shop.k,
      eurCents(a, customer, eur),
      T_OUTGOING,
      `Order ${rng.int(1000, 99999)}`,
    );
  }
  for (let c = rng.int(0, 2); c > 0; c--) {
    const cents = eurCents(a, shop.k, rng.logNormal(80, 0.8));
    takings += cents;
    w.receive(at(ctx, day, rng.int(8 * HOUR, 21 * HOUR)), shop.k, cents, `Order ${rng.int(1000, 99999)}`);
  }
  if (rng.chance(0.6))
    w.pay(
      at(ctx, day, rng.int(20 * HOUR, 23 * HOUR)),
      shop.k,
      shop.owner,
      Math.round(takings * rng.float(0.7, 0.95)),
      T_OUTGOING,
      'Daily takings',
    );
}

const merchant: Story = {
  plan(e, rng, fromDay, toDay) {
    const days = rng.int(4, 8) * 7;
    e.day = rng.int(fromDay + 7, Math.max(fromDay + 7, toDay - days - 8));
    e.span = Math.max(0, Math.min(days, toDay - 8 - e.day));
    e.size = Math.round(e.span * 5);
  },
  place(e, ctx, w) {
    const lastDay = ctx.day + e.span;
    const { a, rng } = ctx;
    const k = claimAccount(ctx, { lastDay, types: ['business'], openBefore: ctx.day });
    if (k < 0) return false;
    const sibling = claimSiblingAccount(ctx, k, { lastDay, openBefore: ctx.day });
    const owner = sibling >= 0 ? sibling : outsideIban(a, k, rng);
    const pool = claimAccounts(ctx, rng.int(4, 10), {
      lastDay,
      openBefore: ctx.day,
      types: ['personal'],
      country: a.country[k] as number,
      notClients: new Set([a.clientIndex[k] as number]),
    });
    const suppliers = Array.from({ length: rng.int(2, 4) }, () => outsideIban(a, k, rng));
    for (let day = ctx.day; day <= lastDay; day++) {
      const weekday = new Date(day * DAY_MS).getUTCDay();
      if (weekday === 0) continue;
      merchantDay(ctx, w, { k, owner, pool }, day);
      if (weekday === 1)
        for (const s of suppliers)
          if (rng.chance(0.7))
            w.pay(
              at(ctx, day, rng.int(9 * HOUR, 12 * HOUR)),
              k,
              s,
              eurCents(a, k, rng.logNormal(1500, 0.5)),
              T_OUTGOING,
              `Invoice ${rng.int(100, 9999)}`,
            );
    }
    e.account = k;
    e.note = `shop settlement account: card and customer payments in, takings to the owner's ${sibling >= 0 ? 'own account' : 'account elsewhere'} (legitimate)`;
    return true;
  },
};

/** The decoys of the new typologies. */
export const DECOY_STORIES = {
  'decoy-payroll': payroll,
  'decoy-rent': rent,
  'decoy-family': family,
  'decoy-sweep': sweep,
  'decoy-merchant': merchant,
} as const;
