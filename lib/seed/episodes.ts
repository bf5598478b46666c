/**
 * The injected anomaly and decoy episodes: planned up front (kind, day, size), placed on an account on their day,
 * and their amounts worked out against the account's balance when their rows are finalised (lib/seed/traffic.ts).
 *
 * Every choice draws from the random stream it is given, in a fixed order: the same seed gives the same episodes.
 */
import { type AnomalyKind, type DecoyKind, REPORTING_THRESHOLDS } from '../domain/bank.js';
import { CITIES } from './data/cities.js';
import { FOREIGN_IBAN_COUNTRIES, otherIban } from './iban.js';
import {
  ACCOUNT_TYPES,
  cashStep,
  currencyFx,
  secondOfDay,
  T_ATM,
  T_DEPOSIT,
  T_EXPRESS,
  T_INCOMING,
  T_MOBILE,
  T_OUTGOING,
  toCents,
} from './model.js';
import { type Accounts, ALL_COUNTRIES, CURRENCIES, DAY_MS } from './population.js';
import type { Random, WeightedTable } from './random.js';

export type EpisodeKind = AnomalyKind | DecoyKind;

export interface Episode {
  id: number;
  kind: EpisodeKind;
  day: number;
  /** Its rows (the classic kinds exactly; the others as planned, for the anomaly rate to count). */
  size: number;
  /** Days from `day` to its last row (0: one day). */
  span: number;
  /** The numbers its kind drew when planned (counts, hours, switches), read back when it is placed. */
  shape: number[];
  /** Preset account (dormant reactivation), else chosen on the day from the accounts' state. */
  account: number;
  note: string;
  /** Running state while its rows are finalised. */
  totalCents: number;
  shares: number[];
  mules: string[];
  country: number;
}

/** What plans episodes needs of the traffic's spec. */
export interface EpisodePlanSpec {
  fromDay: number;
  toDay: number;
  transactions: number;
  anomalyRate: number;
  firstEpisodeId: number;
}

/** Counters planning fills (the traffic's stats). */
export interface EpisodeCounts {
  episodes: Record<string, number>;
  labelledRows: Record<string, number>;
}

/** Receives row `index` of an episode: its second of the day, type (index into TRANSACTION_TYPES), title, recipient. */
export type EpisodeRowSink = (
  index: number,
  sec: number,
  type: number,
  title: string,
  recipient: string | null,
) => void;

// ---------------------------------------------------------------------------------------------------------------
// Placing on the day

/** How well account `x` fits the story of an episode of `kind` (higher is better; some kinds draw at random). */
function placementScore(kind: EpisodeKind, a: Accounts, x: number, rng: Random): number {
  if (kind === 'rapid-drain' || kind === 'decoy-house-deposit')
    return (a.balanceCents[x] as number) / Math.max(1, (a.income[x] as number) * 100);
  if (kind === 'amount-spike') return (a.balanceCents[x] as number) - 8 * (a.maxDebitCents[x] as number);
  if (kind === 'decoy-bonus' || kind === 'burst')
    return ACCOUNT_TYPES[a.type[x] as number] === 'personal' ? 1 : 0;
  return rng.next();
}

/** Samples accounts with some history and keeps the one that fits the story best; -1 when none is eligible. */
function chooseAccount(
  e: Episode,
  a: Accounts,
  day: number,
  rng: Random,
  table: WeightedTable,
  eligible: (k: number, day: number) => boolean,
): number {
  let best = -1;
  let bestScore = Number.NEGATIVE_INFINITY;
  for (let t = 0; t < 32; t++) {
    const x = table.sample(rng);
    if (!eligible(x, day) || (a.txCount[x] as number) < 5 || a.dormantTo[x] !== 0) continue;
    if (a.inEpisode[x] === 1 && t < 24) continue;
    const score = placementScore(e.kind, a, x, rng);
    if (score > bestScore) {
      bestScore = score;
      best = x;
    }
  }
  return best;
}

function pushBurst(e: Episode, home: string, rng: Random, push: EpisodeRowSink): void {
  let sec = Math.min(secondOfDay(rng), 86_399 - 12 * 70);
  const start = sec;
  for (let i = 0; i < e.size; i++) {
    const type = rng.pick([T_EXPRESS, T_OUTGOING, T_MOBILE]);
    push(
      i,
      sec,
      type,
      type === T_MOBILE ? 'Mobile payment' : 'Transfer',
      type === T_MOBILE ? null : otherIban(home, rng),
    );
    sec += rng.int(15, 65);
  }
  e.note = `${e.size} transfers within ${Math.max(1, Math.round((sec - start) / 60))} minutes`;
}

function pushRapidDrain(e: Episode, home: string, rng: Random, push: EpisodeRowSink): void {
  const muleCount = rng.int(2, 3);
  for (let m = 0; m < muleCount; m++)
    e.mules.push(otherIban(rng.chance(0.6) ? rng.pick(FOREIGN_IBAN_COUNTRIES) : home, rng));
  let sec = rng.chance(0.5) ? rng.int(0, 5 * 3600) : secondOfDay(rng);
  sec = Math.min(sec, 86_399 - 6 * 600);
  const weights = Array.from({ length: e.size }, () => rng.float(0.5, 1.5));
  const sum = weights.reduce((s, w) => s + w, 0);
  e.shares = weights.map((w) => w / sum);
  for (let i = 0; i < e.size; i++) {
    push(i, sec, T_EXPRESS, 'Express transfer', e.mules[i % muleCount] as string);
    sec += rng.int(180, 600);
  }
  e.note = `${e.size} express transfers emptying the account to ${muleCount} mule accounts`;
}

/** The countries any account of account `k`'s client paid so far (a client's accounts are numbered together). */
function clientCountriesSeen(a: Accounts, k: number): number {
  const client = a.clientIndex[k];
  let seen = 0;
  for (let i = k; i >= 0 && a.clientIndex[i] === client; i--) seen |= a.countriesSeen[i] as number;
  for (let i = k + 1; i < a.clientIndex.length && a.clientIndex[i] === client; i++)
    seen |= a.countriesSeen[i] as number;
  return seen;
}

/** A first transfer to a country neither this account nor any other of its client's paid before. */
function pushNewCountry(e: Episode, a: Accounts, k: number, rng: Random, push: EpisodeRowSink): void {
  const seen = clientCountriesSeen(a, k);
  const options = FOREIGN_IBAN_COUNTRIES.map((c) => ALL_COUNTRIES.indexOf(c)).filter(
    (i) => (seen & (1 << i)) === 0 && i !== (a.usualForeign[k] as number),
  );
  const country = options.length > 0 ? rng.pick(options) : ALL_COUNTRIES.indexOf('AE');
  e.country = country;
  const code = ALL_COUNTRIES[country] as string;
  push(0, secondOfDay(rng), T_OUTGOING, 'Transfer', otherIban(code, rng));
  e.note = `first transfer to ${code}`;
}

function pushStructuring(e: Episode, currency: string, rng: Random, push: EpisodeRowSink): void {
  const threshold = REPORTING_THRESHOLDS[currency] ?? 10_000;
  let sec = rng.int(9 * 3600, 11 * 3600);
  for (let i = 0; i < e.size; i++) {
    push(i, sec, T_DEPOSIT, 'Cash deposit', null);
    sec += rng.int(40 * 60, 100 * 60);
  }
  e.note = `${e.size} cash deposits just under the ${currency} ${threshold} reporting threshold`;
}

function pushDormantReactivation(e: Episode, home: string, rng: Random, push: EpisodeRowSink): void {
  let sec = secondOfDay(rng);
  sec = Math.min(sec, 86_399 - 5 * 2400);
  for (let i = 0; i < e.size; i++) {
    const type = i === 0 || rng.chance(0.5) ? T_EXPRESS : T_ATM;
    push(
      i,
      sec,
      type,
      type === T_EXPRESS ? 'Express transfer' : `ATM ${rng.pick(CITIES[home] ?? []).city}`,
      type === T_EXPRESS ? otherIban(rng.pick(FOREIGN_IBAN_COUNTRIES), rng) : null,
    );
    sec += rng.int(300, 2400);
  }
}

/** The rows of an episode placed on account `k` on `day`, handed to `push` (their amounts come later). */
function pushEpisodeRows(e: Episode, a: Accounts, k: number, day: number, rng: Random, push: EpisodeRowSink) {
  const home = ALL_COUNTRIES[a.country[k] as number] as string;
  const currency = CURRENCIES[a.currency[k] as number] as string;
  switch (e.kind) {
    case 'amount-spike':
      push(0, secondOfDay(rng), rng.chance(0.5) ? T_OUTGOING : T_EXPRESS, 'Transfer', otherIban(home, rng));
      break;
    case 'burst':
      return pushBurst(e, home, rng, push);
    case 'rapid-drain':
      return pushRapidDrain(e, home, rng, push);
    case 'new-country':
      return pushNewCountry(e, a, k, rng, push);
    case 'structuring':
      return pushStructuring(e, currency, rng, push);
    case 'dormant-reactivation':
      return pushDormantReactivation(e, home, rng, push);
    case 'decoy-bonus': {
      const year = new Date(day * DAY_MS).getUTCFullYear();
      push(0, rng.int(7 * 3600, 10 * 3600), T_INCOMING, `Annual bonus ${year}`, null);
      e.note = 'yearly bonus paid by the employer (legitimate)';
      break;
    }
    case 'decoy-house-deposit':
      push(
        0,
        rng.int(10 * 3600, 15 * 3600),
        T_OUTGOING,
        'Notary escrow - house purchase deposit',
        otherIban(home, rng),
      );
      e.note = 'deposit for a house purchase to a notary escrow account (legitimate)';
      break;
  }
}

/**
 * Places an episode on its day: on its reserved account (dormant reactivation) or the best fitting eligible one,
 * whose rows then go to `push`. False when no account fits (the caller turns its rows into regular traffic).
 */
export function placeEpisode(
  e: Episode,
  a: Accounts,
  day: number,
  rng: Random,
  table: WeightedTable,
  eligible: (k: number, day: number) => boolean,
  push: EpisodeRowSink,
): boolean {
  const k = e.kind === 'dormant-reactivation' ? e.account : chooseAccount(e, a, day, rng, table, eligible);
  if (k < 0) return false;
  e.account = k;
  a.inEpisode[k] = 1;
  pushEpisodeRows(e, a, k, day, rng, push);
  return true;
}

// ---------------------------------------------------------------------------------------------------------------
// Amounts

/** The amount (positive cents) of row `index` of an episode, from the account's state at that moment. */
export function episodeCents(e: Episode, index: number, a: Accounts, k: number, rng: Random): number {
  const income = a.income[k] as number;
  const balance = a.balanceCents[k] as number;
  const currency = CURRENCIES[a.currency[k] as number] as string;
  switch (e.kind) {
    case 'amount-spike': {
      // Far above the account's own largest debit, but within what the account holds when it can.
      const largest = Math.max(100, a.maxDebitCents[k] as number);
      const floor = largest * rng.float(4, 6);
      const wanted = Math.max(largest * rng.float(6, 12), income * 100 * rng.float(2, 4));
      const cents = Math.max(floor, Math.min(wanted, balance * 0.95));
      const rounded = Math.max(10_000, Math.round(cents / 10_000) * 10_000);
      e.note = `${(rounded / Math.max(1, largest)).toFixed(1)}x the account's largest debit so far`;
      return rounded;
    }
    case 'burst':
      return toCents(income * rng.logNormal(0.03, 0.5));
    case 'rapid-drain': {
      if (index === 0) e.totalCents = Math.max(balance * rng.float(0.95, 0.995), income * 100);
      return Math.max(100, Math.round(e.totalCents * (e.shares[index] ?? 0)));
    }
    case 'new-country':
      return toCents(income * rng.float(0.4, 1.6), 10);
    case 'structuring': {
      const threshold = REPORTING_THRESHOLDS[currency] ?? 10_000;
      return toCents(threshold * rng.float(0.86, 0.985), 10);
    }
    case 'dormant-reactivation': {
      if (index === 0)
        return Math.max(toCents(income * 0.5), Math.round(Math.max(0, balance) * rng.float(0.4, 0.7)));
      return toCents(rng.logNormal(250, 0.3) * currencyFx(currency), cashStep(currency));
    }
    case 'decoy-bonus':
      return toCents(income * rng.float(2, 5), 10);
    case 'decoy-house-deposit':
      return toCents(Math.max(income * 6, (Math.max(0, balance) * rng.float(0.6, 0.85)) / 100), 100);
    default:
      // The stories' rows carry their amounts from placement (lib/seed/episode-kit.ts).
      throw new Error(`episode kind ${e.kind} has no amount worked out at booking`);
  }
}
