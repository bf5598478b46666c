/**
 * What the multi-row, multi-account and multi-day episodes (flows, networks, recurring decoys) share: the context
 * they are placed in, a writer booking their rows on any day of their span with their amounts decided up front
 * (a payment to an account of the bank books its credit too, at the same second), and the picking of accounts
 * free to carry a story.
 *
 * Times are seconds from 00:00 of the episode's first day, so an episode crosses midnight by counting on.
 */
import { LOCALES } from '../domain/bank.js';
import { Candidate, Kind, mirrorCandidate } from './candidates.js';
import type { Episode } from './episodes.js';
import { otherIban } from './iban.js';
import { ACCOUNT_TYPES, currencyFx, T_INCOMING, toCents } from './model.js';
import { type Accounts, ALL_COUNTRIES, CURRENCIES } from './population.js';
import type { Random, WeightedTable } from './random.js';

export const DAY_SECONDS = 86_400;

/** Where and when an episode is placed. */
export interface PlaceContext {
  a: Accounts;
  rng: Random;
  /** The episode's first day (epoch day). */
  day: number;
  table: WeightedTable;
  /** Whether account `k` may book on `day`: open, not closed, not dormant. */
  eligible: (k: number, day: number) => boolean;
  /** Adds a row to the day it falls on (today, or a later day of the range). */
  book: (day: number, c: Candidate) => void;
}

/** A recipient: an account of the bank (its index) or an IBAN elsewhere. */
export type Payee = number | string;

/** Books an episode's rows, each with its amount; counts them. */
export class EpisodeWriter {
  rows = 0;
  constructor(
    readonly e: Episode,
    readonly ctx: PlaceContext,
  ) {}

  private add(t: number, acc: number, type: number, cents: number, title: string, to: string | null) {
    const day = this.ctx.day + Math.floor(t / DAY_SECONDS);
    const c = new Candidate(t % DAY_SECONDS, acc, Kind.Episode, type, 0, title, to, false, this.e, this.rows);
    c.plannedCents = Math.max(1, Math.round(cents));
    this.ctx.book(day, c);
    this.rows++;
    return { c, day };
  }

  /** A debit of `cents` from account `from` at second `t` to `to`; when `to` is ours its credit is booked too. */
  pay(t: number, from: number, to: Payee, cents: number, type: number, title: string): void {
    const iban = typeof to === 'number' ? this.ctx.a.iban.get(to) : to;
    const { c, day } = this.add(t, from, type, cents, title, iban);
    if (typeof to !== 'number') return;
    c.peer = to;
    this.ctx.book(day, mirrorCandidate(c, this.ctx.a.iban.get(from), to, Kind.Episode, this.e, this.rows));
    this.rows++;
  }

  /** An incoming transfer from another bank onto account `acc`. */
  receive(t: number, acc: number, cents: number, title: string): void {
    this.add(t, acc, T_INCOMING, cents, title, null);
  }

  /** A debit without a recipient account (card, mobile payment, cash) from account `acc`. */
  spend(t: number, acc: number, type: number, cents: number, title: string): void {
    this.add(t, acc, type, cents, title, null);
  }
}

/** What an account must be to carry a story from the context's day to `lastDay`. */
export interface AccountWish {
  lastDay: number;
  types?: readonly (typeof ACCOUNT_TYPES)[number][];
  /** Only this currency (index into CURRENCIES). */
  currency?: number;
  /** Only clients of this country (index into ALL_COUNTRIES): neighbours, colleagues and families live nearby. */
  country?: number;
  /** Clients already in the episode (index into the population): their accounts are not picked. */
  notClients?: ReadonlySet<number>;
  /** The account existed before this day (an established account, even early in the range). */
  openBefore?: number;
  accept?: (k: number) => boolean;
  /** Higher is better among the sampled accounts; the first fit wins without it. */
  score?: (k: number) => number;
}

/** Whether account `k` is free to carry the story asked for. */
function fits(ctx: PlaceContext, k: number, w: AccountWish): boolean {
  const { a } = ctx;
  if (a.inEpisode[k] === 1 || a.dormantTo[k] !== 0) return false;
  if (!ctx.eligible(k, ctx.day) || !ctx.eligible(k, w.lastDay)) return false;
  if (w.openBefore !== undefined ? (a.openDay[k] as number) >= w.openBefore : (a.txCount[k] as number) < 5)
    return false;
  if (w.types && !w.types.includes(ACCOUNT_TYPES[a.type[k] as number] ?? 'personal')) return false;
  if (w.currency !== undefined && a.currency[k] !== w.currency) return false;
  if (w.country !== undefined && a.country[k] !== w.country) return false;
  if (w.notClients?.has(a.clientIndex[k] as number)) return false;
  return w.accept ? w.accept(k) : true;
}

/**
 * An account fitting `w`, sampled by activity (the best of the sampled by `w.score`; when none of the sampled fits,
 * the first that does), claimed for the episode; -1 when no account fits.
 */
export function claimAccount(ctx: PlaceContext, w: AccountWish, tries = 64): number {
  let best = -1;
  let bestScore = Number.NEGATIVE_INFINITY;
  for (let t = 0; t < tries; t++) {
    const k = ctx.table.sample(ctx.rng);
    if (!fits(ctx, k, w)) continue;
    if (!w.score) {
      best = k;
      break;
    }
    const score = w.score(k);
    if (score > bestScore) {
      bestScore = score;
      best = k;
    }
  }
  if (best < 0) best = firstFit(ctx, w);
  if (best >= 0) ctx.a.inEpisode[best] = 1;
  return best;
}

/** The first account fitting `w` from a random start (when sampling found none: a small bank, a rare wish). */
function firstFit(ctx: PlaceContext, w: AccountWish): number {
  const { count } = ctx.a;
  const start = ctx.rng.int(0, count - 1);
  for (let i = 0; i < count; i++) {
    const k = (start + i) % count;
    if (fits(ctx, k, w)) return k;
  }
  return -1;
}

/** Up to `n` accounts of distinct clients fitting `w` (and none of `w.notClients`), claimed. */
export function claimAccounts(ctx: PlaceContext, n: number, w: AccountWish): number[] {
  const clients = new Set(w.notClients ?? []);
  const out: number[] = [];
  for (let i = 0; i < n; i++) {
    const k = claimAccount(ctx, { ...w, notClients: clients });
    if (k < 0) break;
    out.push(k);
    clients.add(ctx.a.clientIndex[k] as number);
  }
  return out;
}

/** Another account of the same client as `k` fitting `w` (the client's accounts are consecutive), claimed; or -1. */
export function claimSiblingAccount(ctx: PlaceContext, k: number, w: AccountWish): number {
  const { a } = ctx;
  const client = a.clientIndex[k];
  for (let x = Math.max(0, k - 3); x <= Math.min(a.count - 1, k + 3); x++) {
    if (x === k || a.clientIndex[x] !== client || a.currency[x] !== a.currency[k]) continue;
    if (!fits(ctx, x, w)) continue;
    a.inEpisode[x] = 1;
    return x;
  }
  return -1;
}

/** Whether account `k` is in its country's own currency (others are EUR or USD accounts, fewer to pair with). */
export function inHomeCurrency(a: Accounts, k: number): boolean {
  return CURRENCIES[a.currency[k] as number] === LOCALES[a.country[k] as number]?.currency;
}

/** The account's home country code and currency code. */
export function homeOf(a: Accounts, k: number): { home: string; currency: string } {
  return {
    home: ALL_COUNTRIES[a.country[k] as number] as string,
    currency: CURRENCIES[a.currency[k] as number] as string,
  };
}

/** `eur` euros in account `k`'s currency, in cents. */
export function eurCents(a: Accounts, k: number, eur: number): number {
  return toCents(eur * currencyFx(CURRENCIES[a.currency[k] as number] as string));
}

/** An IBAN at another bank: of the account's country, or (with probability `foreign`) of a risky foreign one. */
export function outsideIban(
  a: Accounts,
  k: number,
  rng: Random,
  foreign = 0,
  abroad: readonly string[] = [],
) {
  const { home } = homeOf(a, k);
  return otherIban(rng.chance(foreign) && abroad.length > 0 ? rng.pick(abroad) : home, rng);
}
