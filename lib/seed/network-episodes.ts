/**
 * Injected episodes spanning several clients of the bank (lib/seed/episode-kit.ts books them; every transaction of
 * the episode is labelled, on every client involved):
 *
 * - `fan-in`: 5–10 clients of ours, new to one recipient (an account of ours or an IBAN elsewhere), pay it within
 *   2 hours to 4½ days — victims of a scam, or a mule collecting;
 * - `cycle`: money going round 2–6 accounts of ours of distinct clients in one currency, a 0.5–5 % cut off each hop,
 *   an hour to 30 hours between hops, back to the first account within 6½ days;
 * - `scatter-gather`: one client pays 3–6 mule accounts of ours (in its currency when enough are free), each passing
 *   85–98 % of it on to one common IBAN within 1 to 72 hours;
 * - `gather-scatter`: 3–6 senders (some clients of ours, some elsewhere) pay one account of ours within two days,
 *   which disperses 88–98 % of it to 3–6 recipients within another two.
 */

import { convertCents } from './candidates.js';
import {
  claimAccount,
  claimAccounts,
  DAY_SECONDS,
  eurCents,
  inHomeCurrency,
  outsideIban,
  type Payee,
} from './episode-kit.js';
import { type Story, splitCents, spreadTimes } from './flow-episodes.js';
import { FOREIGN_IBAN_COUNTRIES } from './iban.js';
import { T_EXPRESS, T_OUTGOING } from './model.js';

const HOUR = 3600;
const SCAM_TITLES = [
  'Investment deposit',
  'Order payment',
  'Wallet top-up',
  'Deposit for the flat',
  'Loan fee',
];
const HOP_TITLES = ['Invoice', 'Consulting services', 'Loan', 'Goods delivery', 'Transfer'];
const payType = (r: number) => (r < 0.5 ? T_EXPRESS : T_OUTGOING);

const fanIn: Story = {
  plan(e, rng) {
    const n = rng.int(5, 10);
    const ours = rng.chance(0.4) ? 1 : 0;
    const r = rng.next();
    const hours = r < 0.5 ? rng.int(2, 24) : r < 0.85 ? rng.int(24, 72) : rng.int(72, 108);
    const twice = rng.int(0, 2);
    e.shape = [n, ours, hours, twice];
    e.size = (n + twice) * (ours ? 2 : 1);
    e.span = Math.ceil((18 * HOUR + hours * HOUR + 6 * HOUR) / DAY_SECONDS);
  },
  place(e, ctx, w) {
    const [n = 5, ours = 0, hours = 2, twice = 0] = e.shape;
    const lastDay = ctx.day + e.span;
    const { a, rng } = ctx;
    const mule = ours ? claimAccount(ctx, { lastDay, types: ['personal'] }) : -1;
    const senders = claimAccounts(ctx, n, {
      lastDay,
      types: ['personal'],
      notClients: new Set(mule >= 0 ? [a.clientIndex[mule] as number] : []),
    });
    if (senders.length < 3) return false;
    const to: Payee =
      mule >= 0 ? mule : outsideIban(a, senders[0] as number, rng, 0.3, FOREIGN_IBAN_COUNTRIES);
    const title = rng.pick(SCAM_TITLES);
    const payers = [...senders, ...senders.slice(0, twice)];
    const times = spreadTimes(rng, payers.length, rng.int(7 * HOUR, 18 * HOUR), hours * HOUR);
    for (let i = 0; i < payers.length; i++) {
      const k = payers[i] as number;
      w.pay(times[i] as number, k, to, eurCents(a, k, rng.logNormal(600, 0.8)), payType(rng.next()), title);
    }
    e.account = mule >= 0 ? mule : (senders[0] as number);
    e.note = `${senders.length} clients paying one new ${mule >= 0 ? 'account of ours' : 'IBAN elsewhere'} within ${hours} h`;
    return true;
  },
};

const cycle: Story = {
  plan(e, rng) {
    const accounts = [2, 3, 3, 3, 4, 4, 4, 5, 5, 6][rng.int(0, 9)] as number;
    const gaps = Array.from({ length: accounts }, () => rng.int(HOUR, 30 * HOUR));
    const total = gaps.reduce((s, g) => s + g, 0);
    const room = 6.5 * DAY_SECONDS - 16 * HOUR;
    e.shape = total > room ? gaps.map((g) => Math.max(600, Math.floor((g * room) / total))) : gaps;
    e.size = 2 * accounts;
    e.span = 7;
  },
  place(e, ctx, w) {
    const lastDay = ctx.day + e.span;
    const { a, rng } = ctx;
    const first = claimAccount(ctx, {
      lastDay,
      types: ['personal', 'business'],
      accept: (x) => inHomeCurrency(a, x),
      score: (x) => a.balanceCents[x] as number,
    });
    if (first < 0) return false;
    const others = claimAccounts(ctx, e.shape.length - 1, {
      lastDay,
      currency: a.currency[first] as number,
      notClients: new Set([a.clientIndex[first] as number]),
    });
    if (others.length < e.shape.length - 1) return false;
    const ring = [first, ...others, first];
    let cents = Math.max(
      eurCents(a, first, rng.logNormal(12_000, 0.5)),
      (a.balanceCents[first] as number) * 0.5,
    );
    const t0 = rng.int(8 * HOUR, 16 * HOUR);
    let t = t0;
    for (let i = 0; i + 1 < ring.length; i++) {
      if (i > 0) {
        t += e.shape[i] as number;
        cents *= 1 - rng.float(0.005, 0.05);
      }
      w.pay(
        t,
        ring[i] as number,
        ring[i + 1] as number,
        Math.round(cents / 100) * 100,
        payType(rng.next()),
        rng.pick(HOP_TITLES),
      );
    }
    e.account = first;
    e.note = `round trip through ${e.shape.length} accounts of distinct clients in ${Math.round((t - t0) / HOUR)} h`;
    return true;
  },
};

const scatterGather: Story = {
  plan(e, rng) {
    const m = rng.int(3, 6);
    const hours = rng.int(1, 72);
    e.shape = [m, hours];
    e.size = 3 * m;
    e.span = Math.ceil((16 * HOUR + 3 * HOUR + hours * HOUR) / DAY_SECONDS);
  },
  place(e, ctx, w) {
    const [m = 3, hours = 1] = e.shape;
    const lastDay = ctx.day + e.span;
    const { a, rng } = ctx;
    const source = claimAccount(ctx, {
      lastDay,
      types: ['personal', 'business'],
      accept: (x) => inHomeCurrency(a, x),
      score: (x) => a.balanceCents[x] as number,
    });
    if (source < 0) return false;
    // Mules at home first (one currency end to end); abroad only when too few are free (a small bank).
    const wish = {
      lastDay,
      types: ['personal'] as const,
      notClients: new Set([a.clientIndex[source] as number]),
    };
    const mules = claimAccounts(ctx, m, { ...wish, currency: a.currency[source] as number });
    for (const k of mules) wish.notClients.add(a.clientIndex[k] as number);
    mules.push(...claimAccounts(ctx, m - mules.length, wish));
    if (mules.length < 3) return false;
    const sink = outsideIban(a, source, rng, 0.5, FOREIGN_IBAN_COUNTRIES);
    const total = Math.max(
      eurCents(a, source, rng.logNormal(15_000, 0.5)),
      (a.balanceCents[source] as number) * 0.7,
    );
    const parts = splitCents(rng, total, mules.length, false);
    const times = spreadTimes(rng, mules.length, rng.int(8 * HOUR, 16 * HOUR), 3 * HOUR);
    for (let i = 0; i < mules.length; i++) {
      const mule = mules[i] as number;
      const t = times[i] as number;
      w.pay(t, source, mule, parts[i] as number, payType(rng.next()), rng.pick(HOP_TITLES));
      const on = convertCents(a, source, mule, parts[i] as number) * rng.float(0.85, 0.98);
      w.pay(t + rng.int(HOUR, hours * HOUR + HOUR), mule, sink, on, T_EXPRESS, 'Transfer');
    }
    e.account = source;
    e.note = `${mules.length} accounts of ours paid, each passing it on to one IBAN within ${hours + 1} h`;
    return true;
  },
};

const gatherScatter: Story = {
  plan(e, rng) {
    const g = rng.int(3, 6);
    let ours = 0;
    for (let i = 0; i < g; i++) if (rng.chance(0.6)) ours++;
    const s = rng.int(3, 6);
    const inHours = rng.int(1, 48);
    const outHours = rng.int(2, 48);
    e.shape = [g, ours, s, inHours, outHours];
    e.size = g + ours + s;
    e.span = Math.ceil((17 * HOUR + inHours * HOUR + outHours * HOUR + 2 * HOUR) / DAY_SECONDS);
  },
  place(e, ctx, w) {
    const [g = 3, ours = 0, s = 3, inHours = 1, outHours = 2] = e.shape;
    const lastDay = ctx.day + e.span;
    const { a, rng } = ctx;
    const hub = claimAccount(ctx, {
      lastDay,
      types: ['personal', 'business'],
      score: (x) => -(a.balanceCents[x] as number) / Math.max(1, a.income[x] as number),
    });
    if (hub < 0) return false;
    const senders = claimAccounts(ctx, ours, {
      lastDay,
      notClients: new Set([a.clientIndex[hub] as number]),
    });
    const times = spreadTimes(rng, g, rng.int(7 * HOUR, 17 * HOUR), inHours * HOUR);
    let gathered = 0;
    for (let i = 0; i < g; i++) {
      const t = times[i] as number;
      const sender = senders[i];
      const eur = rng.logNormal(3000, 0.6);
      gathered += eurCents(a, hub, eur);
      if (sender !== undefined)
        w.pay(t, sender, hub, eurCents(a, sender, eur), payType(rng.next()), rng.pick(HOP_TITLES));
      else w.receive(t, hub, eurCents(a, hub, eur), rng.pick(HOP_TITLES));
    }
    const start = (times[times.length - 1] as number) + rng.int(HOUR, 2 * HOUR);
    const parts = splitCents(rng, gathered * rng.float(0.88, 0.98), s, false);
    const outTimes = spreadTimes(rng, s, start, outHours * HOUR);
    for (let i = 0; i < s; i++)
      w.pay(
        outTimes[i] as number,
        hub,
        outsideIban(a, hub, rng, 0.4, FOREIGN_IBAN_COUNTRIES),
        parts[i] as number,
        T_EXPRESS,
        'Transfer',
      );
    e.account = hub;
    e.note = `${g} senders into one account of ours, dispersed to ${s} recipients within ${inHours + outHours + 2} h`;
    return true;
  },
};

/** The kinds spanning several clients. */
export const NETWORK_STORIES = {
  'fan-in': fanIn,
  cycle,
  'scatter-gather': scatterGather,
  'gather-scatter': gatherScatter,
} as const;
