/**
 * The candidate rows of one day of traffic (lib/seed/traffic.ts): an account's opening row, a regular row (its type,
 * title, recipient and amount in units), the credit side of a transfer between two of the bank's accounts, and an
 * injected episode's row. A candidate's amount becomes final, in cents,
 * only when it is booked against the account's running balance.
 *
 * Every choice draws from the random stream it is given, in a fixed order: the same seed gives the same rows.
 */
import { CITIES } from './data/cities.js';
import type { Episode } from './episodes.js';
import { otherIban } from './iban.js';
import {
  ACCOUNT_TYPES,
  currencyFx,
  INCOMING_TITLES,
  MERCHANTS,
  regularAmount,
  STANDING_ORDER_TITLES,
  secondOfDay,
  T_ATM,
  T_CARD,
  T_DEPOSIT,
  T_EXPRESS,
  T_INCOMING,
  T_MOBILE,
  T_OUTGOING,
  T_STANDING,
  TRANSFER_TITLES,
  toCents,
} from './model.js';
import { type Accounts, ALL_COUNTRIES, CURRENCIES } from './population.js';
import { Random } from './random.js';

export enum Kind {
  Opening = 0,
  Regular = 1,
  Episode = 2,
}

/**
 * One row before its amount is final. A class, so every candidate has the same hidden shape (hot path).
 *
 * A row may take its amount from another (`source`, booked before it): the credit of a transfer between two of the
 * bank's accounts mirrors its debit.
 */
export class Candidate {
  seq = 0;
  /** The bank's account this debit pays (its credit is a row of its own), or -1. */
  peer = -1;
  source: Candidate | null = null;
  /** An episode row whose amount was decided when it was placed (cents, positive); 0 when worked out later. */
  plannedCents = 0;
  /** Set when the row is finalised: its amount in cents (positive) and status. */
  cents = 0;
  status = '';
  constructor(
    public sec: number,
    public acc: number,
    public kind: Kind,
    public type: number,
    public units: number,
    public title: string,
    public recipient: string | null,
    public salary: boolean,
    public episode: Episode | undefined,
    public index: number,
  ) {}
}

/** Account `k`'s first row: "Balance brought forward" at midnight if it opened before `fromDay`, else its deposit. */
export function openingCandidate(fromDay: number, a: Accounts, k: number, rng: Random): Candidate {
  const before = (a.openDay[k] as number) < fromDay;
  return new Candidate(
    before ? 0 : rng.int(9 * 3600, 16 * 3600),
    k,
    Kind.Opening,
    T_DEPOSIT,
    0,
    before ? 'Balance brought forward' : 'Opening deposit',
    null,
    false,
    undefined,
    0,
  );
}

/** Row `index` of episode `e`, at second `sec` of the day (kept within the day). */
export function episodeCandidate(
  e: Episode,
  index: number,
  sec: number,
  type: number,
  title: string,
  recipient: string | null,
): Candidate {
  return new Candidate(
    Math.min(86_399, sec),
    e.account,
    Kind.Episode,
    type,
    0,
    title,
    recipient,
    false,
    e,
    index,
  );
}

/** Payees in an account's book by account type: a household pays a few, a business its suppliers. */
const PAYEE_BOOK: Readonly<Record<string, number>> = { personal: 8, savings: 4, business: 30 };
/** Share of transfers to a payee the account never paid before nor will again (a one-off purchase, a refund). */
const ONE_OFF_SHARE = 0.15;

/**
 * A payee of account `k` in `country`: mostly one of its book (the first ones more often: the landlord, the
 * utility, the usual suppliers), each the same IBAN every time (its own stream: seed, account, slot); sometimes a
 * one-off. People pay the same few payees month after month, so a new one means something.
 */
function bookPayee(seed: number, a: Accounts, k: number, country: string, rng: Random): string {
  if (rng.chance(ONE_OFF_SHARE)) return otherIban(country, rng);
  const size = PAYEE_BOOK[ACCOUNT_TYPES[a.type[k] as number] ?? 'personal'] ?? 8;
  const slot = Math.floor(size * rng.next() ** 2);
  return otherIban(
    country,
    new Random(seed, 22, k, country === ALL_COUNTRIES[a.country[k] as number] ? slot : 100 + slot),
  );
}

/**
 * The recipient of a regular transfer from account `k`: ~72 % another domestic bank, ~14 % an account of ours that
 * may book that day (`peerOk`; it then gets the matching credit, see `mirrorCandidate`), the rest the client's usual
 * foreign country; payees at other banks come from the account's book (`bookPayee`).
 */
function assignRecipient(
  seed: number,
  c: Candidate,
  a: Accounts,
  k: number,
  rng: Random,
  peerOk: (x: number) => boolean,
) {
  const home = ALL_COUNTRIES[a.country[k] as number] as string;
  const r = rng.next();
  if (r < 0.72) c.recipient = bookPayee(seed, a, k, home, rng);
  else if (r < 0.86) {
    const other = rng.int(0, a.count - 1);
    if (other !== k && peerOk(other)) {
      c.peer = other;
      c.recipient = a.iban.get(other);
    } else c.recipient = bookPayee(seed, a, k, home, rng);
  } else {
    const foreign = a.usualForeign[k] as number;
    c.recipient = bookPayee(seed, a, k, foreign >= 0 ? (ALL_COUNTRIES[foreign] as string) : home, rng);
  }
}

/**
 * The credit on account `acc` of a transfer from another account of the bank (`source`, its debit): an incoming
 * transfer at the same second, with the debit's title, naming the payer's IBAN (as a bank statement does); its amount
 * is the debit's, converted to `acc`'s currency.
 */
export function mirrorCandidate(
  source: Candidate,
  payerIban: string,
  acc: number,
  kind: Kind,
  episode: Episode | undefined,
  index: number,
): Candidate {
  const c = new Candidate(
    source.sec,
    acc,
    kind,
    T_INCOMING,
    0,
    source.title,
    payerIban,
    false,
    episode,
    index,
  );
  c.source = source;
  return c;
}

/** `cents` of account `from`'s currency in account `to`'s (rounded to the cent). */
export function convertCents(a: Accounts, from: number, to: number, cents: number): number {
  if (a.currency[from] === a.currency[to]) return cents;
  const rate =
    currencyFx(CURRENCIES[a.currency[to] as number] as string) /
    currencyFx(CURRENCIES[a.currency[from] as number] as string);
  return Math.round(cents * rate);
}

/**
 * The amount (cents) of an episode's row: a credit mirroring an episode's debit takes the debit's, converted; a row
 * planned with its amount keeps it; the others are worked out now by `later` (the classic kinds, against the
 * account's balance).
 */
export function episodeRowCents(a: Accounts, c: Candidate, later: () => number): number {
  if (c.source) return Math.max(1, convertCents(a, c.source.acc, c.acc, c.source.cents));
  return c.plannedCents > 0 ? c.plannedCents : later();
}

/**
 * The amount of a regular credit mirroring a debit (`c.source`): the debit's, converted. When the debit did not go
 * out after all (cancelled, or turned into a credit because the balance was short) the row stays an ordinary
 * incoming transfer from another bank (`c.source` is cleared, so its status is drawn as any regular row's).
 */
export function mirrorCents(a: Accounts, c: Candidate, rng: Random): number {
  const source = c.source as Candidate;
  if (source.peer === c.acc && source.status !== 'cancelled')
    return Math.max(1, convertCents(a, source.acc, c.acc, source.cents));
  c.source = null;
  c.title = rng.pick(INCOMING_TITLES);
  return toCents((a.income[c.acc] as number) * rng.logNormal(0.08, 1.0));
}

/**
 * A regular row of `type` on account `k` on `date`: its amount in units, time, title and recipient. A standing
 * order's title and recipient come from streams of their own (`seed`, account), so they repeat month after month.
 */
export function regularCandidate(
  seed: number,
  a: Accounts,
  k: number,
  type: number,
  salary: boolean,
  rng: Random,
  date: Date,
  peerOk: (x: number) => boolean,
): Candidate {
  const accountType = ACCOUNT_TYPES[a.type[k] as number] ?? 'personal';
  const currency = CURRENCIES[a.currency[k] as number] as string;
  const home = ALL_COUNTRIES[a.country[k] as number] as string;
  const income = a.income[k] as number;
  let units = regularAmount(rng, type, accountType, income, currencyFx(currency), currency);
  let sec = secondOfDay(rng);
  let title: string;
  let recipient: string | null = null;
  switch (type) {
    case T_DEPOSIT:
      title = 'Cash deposit';
      break;
    case T_INCOMING:
      if (salary) {
        units = income * rng.logNormal(1, 0.04);
        sec = rng.int(6 * 3600, 9 * 3600);
        title = `Salary ${date.toISOString().slice(0, 7)}`;
      } else title = rng.pick(INCOMING_TITLES);
      break;
    case T_CARD:
      title = `Card payment ${rng.pick(MERCHANTS[home] ?? [])}`;
      break;
    case T_MOBILE:
      title = `${home === 'PL' ? 'BLIK' : 'Mobile payment'} ${rng.pick(MERCHANTS[home] ?? [])}`;
      break;
    case T_ATM: {
      const cities = CITIES[home] ?? [];
      title = `ATM ${rng.pick(cities).city}`;
      break;
    }
    case T_STANDING: {
      const which = new Random(seed, 20, k).int(0, STANDING_ORDER_TITLES.length - 1);
      title = STANDING_ORDER_TITLES[which] as string;
      recipient = otherIban(home, new Random(seed, 21, k));
      sec = rng.int(5 * 3600, 7 * 3600);
      break;
    }
    case T_OUTGOING:
    case T_EXPRESS: {
      const t = rng.pick(TRANSFER_TITLES);
      title = t === 'Invoice payment' ? `Invoice ${date.getUTCFullYear()}/${rng.int(1, 999)}` : t;
      const c = new Candidate(sec, k, Kind.Regular, type, units, title, null, salary, undefined, 0);
      assignRecipient(seed, c, a, k, rng, peerOk);
      return c;
    }
    default:
      title = 'Cash withdrawal at branch';
  }
  return new Candidate(sec, k, Kind.Regular, type, units, title, recipient, salary, undefined, 0);
}
