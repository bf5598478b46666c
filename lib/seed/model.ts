/**
 * The numbers behind the synthetic bank: incomes per country, exchange rates, the mix of transaction types per
 * account type, amount distributions per type (log-normal bodies with a Pareto tail), the daily and monthly
 * rhythm, and the words of titles and merchants. Change realism here, not in the generators.
 */
import { TRANSACTION_TYPES } from '../domain/bank.js';
import { type Random, WeightedTable } from './random.js';

export const ACCOUNT_TYPES = ['personal', 'savings', 'business'] as const;
export type AccountType = (typeof ACCOUNT_TYPES)[number];

/** Units of each currency per EUR (rounded; the seeder only needs plausible magnitudes). */
export const FX_PER_EUR: Readonly<Record<string, number>> = {
  EUR: 1,
  PLN: 4.3,
  GBP: 0.85,
  SEK: 11.3,
  USD: 1.08,
};

/** Median monthly net pay in EUR per country. */
export const MEDIAN_INCOME_EUR: Readonly<Record<string, number>> = {
  PL: 1_400,
  GB: 2_700,
  DE: 2_900,
  FR: 2_300,
  ES: 1_800,
  IT: 1_900,
  NL: 2_900,
  SE: 2_700,
  AT: 2_700,
};

/** Index of each type in TRANSACTION_TYPES, by name. */
export const TYPE = Object.fromEntries(TRANSACTION_TYPES.map((t, i) => [t.type, i])) as Record<
  string,
  number
>;
export const T_DEPOSIT = TYPE.deposit as number;
export const T_WITHDRAWAL = TYPE.withdrawal as number;
export const T_OUTGOING = TYPE['outgoing transfer'] as number;
export const T_INCOMING = TYPE['incoming transfer'] as number;
export const T_CARD = TYPE['card payment'] as number;
export const T_STANDING = TYPE['standing order'] as number;
export const T_ATM = TYPE['ATM withdrawal'] as number;
export const T_EXPRESS = TYPE['express transfer'] as number;
export const T_MOBILE = TYPE['mobile payment'] as number;

function mix(weights: Record<string, number>): number[] {
  return TRANSACTION_TYPES.map((t) => weights[t.type] ?? 0);
}

/** Relative frequency of each type (TRANSACTION_TYPES order) per account type. */
export const TYPE_MIX: Readonly<Record<AccountType, number[]>> = {
  personal: mix({
    deposit: 2,
    withdrawal: 1,
    'outgoing transfer': 10,
    'incoming transfer': 9,
    'card payment': 38,
    'standing order': 6,
    'ATM withdrawal': 9,
    'express transfer': 3,
    'mobile payment': 14,
  }),
  savings: mix({
    deposit: 18,
    withdrawal: 6,
    'outgoing transfer': 22,
    'incoming transfer': 40,
    'standing order': 4,
    'express transfer': 10,
  }),
  business: mix({
    deposit: 8,
    withdrawal: 2,
    'outgoing transfer': 30,
    'incoming transfer': 30,
    'card payment': 16,
    'standing order': 6,
    'ATM withdrawal': 2,
    'express transfer': 5,
    'mobile payment': 1,
  }),
};

/** Share of accounts per type for a client's first and later accounts. */
export const ACCOUNT_TYPE_WEIGHTS_FIRST = [88, 2, 10];
export const ACCOUNT_TYPE_WEIGHTS_MORE = [30, 55, 15];

/** Accounts per client: 1–4 with about 60/25/10/5 %. */
export const ACCOUNTS_PER_CLIENT_WEIGHTS = [60, 25, 10, 5];

/** Client ages (at the end of the range): skewed to working age. [min, max, weight] */
export const AGE_BANDS: ReadonlyArray<readonly [number, number, number]> = [
  [18, 24, 10],
  [25, 34, 22],
  [35, 44, 22],
  [45, 54, 19],
  [55, 64, 15],
  [65, 79, 10],
  [80, 92, 2],
];

/** Relative traffic per hour of day (little at night, peaks at lunch and after work). */
export const HOUR_WEIGHTS = [
  0.15, 0.08, 0.05, 0.04, 0.05, 0.15, 0.5, 1.2, 2.0, 2.6, 2.8, 2.9, 3.1, 2.9, 2.8, 2.8, 3.0, 3.2, 3.3, 3.0,
  2.5, 1.8, 1.0, 0.45,
];

const hourTable = new WeightedTable(HOUR_WEIGHTS);
/** A second of the day, its hour drawn by HOUR_WEIGHTS. */
export function secondOfDay(rng: Random): number {
  return hourTable.sample(rng) * 3600 + rng.int(0, 3599);
}

/** Relative traffic of a calendar day: weekday, payday at the start of the month, December, slow growth. */
export function dayWeight(date: Date, progress: number): number {
  const dow = [0.45, 1.05, 1.0, 1.0, 1.02, 1.2, 0.85][date.getUTCDay()] as number;
  const dom = date.getUTCDate();
  const payday = dom <= 3 ? 1.35 : dom >= 25 ? 1.1 : 1;
  const month = date.getUTCMonth();
  const season = month === 11 && dom <= 24 ? 1.25 : month === 0 ? 0.9 : month === 7 ? 0.92 : 1;
  return dow * payday * season * (0.92 + 0.16 * progress);
}

/** Rounds a positive amount in currency units to cents, to a coarser step for cash. */
export function toCents(units: number, step = 0.01): number {
  const rounded = Math.max(step, Math.round(units / step) * step);
  return Math.round(rounded * 100);
}

/** Units of a currency per euro (1 for a currency without a rate). */
export function currencyFx(currency: string): number {
  return FX_PER_EUR[currency] ?? 1;
}

/** Cash note used for ATM amounts in a currency. */
export function cashStep(currency: string): number {
  return currency === 'PLN' ? 50 : currency === 'SEK' ? 100 : currency === 'GBP' ? 10 : 20;
}

/** A heavy right tail: 1 % of amounts multiplied by a Pareto(1.6) factor capped at 40. */
function tail(rng: Random): number {
  return rng.chance(0.01) ? Math.min(40, rng.pareto(1, 1.6)) : 1;
}

/**
 * A regular (non-injected) amount in currency units, before any balance check. `income` is the account's monthly
 * income in its currency, `fx` units per EUR.
 */
export function regularAmount(
  rng: Random,
  typeIndex: number,
  accountType: AccountType,
  income: number,
  fx: number,
  currency: string,
): number {
  const biz = accountType === 'business' ? 3 : 1;
  switch (typeIndex) {
    case T_DEPOSIT:
      return income * rng.logNormal(0.2, 0.9) * tail(rng);
    case T_WITHDRAWAL:
      return Math.max(50, rng.logNormal(300, 0.7) * fx * biz);
    case T_OUTGOING:
      return income * rng.logNormal(accountType === 'savings' ? 0.25 : 0.07, 1.0) * tail(rng);
    case T_INCOMING:
      return income * rng.logNormal(accountType === 'savings' ? 0.2 : 0.08, 1.0) * tail(rng);
    case T_CARD:
      return rng.logNormal(24, 1.0) * fx * biz * tail(rng);
    case T_STANDING:
      return income * rng.logNormal(0.1, 0.6);
    case T_ATM:
      return Math.max(1, Math.round((rng.logNormal(90, 0.6) * fx) / cashStep(currency))) * cashStep(currency);
    case T_EXPRESS:
      return income * rng.logNormal(0.09, 1.0) * tail(rng);
    case T_MOBILE:
      return rng.logNormal(18, 0.9) * fx * tail(rng);
    default:
      return income * 0.05;
  }
}

export const STANDING_ORDER_TITLES = [
  'Rent',
  'Electricity',
  'Gas and heating',
  'Mobile phone',
  'Internet',
  'Home insurance',
  'Car insurance',
  'Gym membership',
  'Loan instalment',
  'Streaming subscription',
  'Kindergarten fee',
];
export const TRANSFER_TITLES = [
  'Transfer',
  'Invoice payment',
  'Gift',
  'Shared dinner',
  'Car repair',
  'Holiday booking',
  'Tax payment',
  'Furniture',
  'Tuition fee',
  'Pocket money',
];
export const INCOMING_TITLES = [
  'Transfer',
  'Refund',
  'Shared costs',
  'Invoice settlement',
  'Gift',
  'Sale of goods',
];

const COMMON_MERCHANTS = [
  'IKEA',
  'Lidl',
  'Aldi',
  'Amazon',
  'Zara',
  'H&M',
  'Decathlon',
  'Shell',
  'Spotify',
  'Uber',
];
export const MERCHANTS: Readonly<Record<string, readonly string[]>> = {
  PL: [
    ...COMMON_MERCHANTS,
    'Biedronka',
    'Żabka',
    'Orlen',
    'Allegro',
    'Rossmann',
    'Empik',
    'Kaufland',
    'PKP Intercity',
  ],
  GB: [
    ...COMMON_MERCHANTS,
    'Tesco',
    "Sainsbury's",
    'Boots',
    'Greggs',
    'TfL',
    'Pret A Manger',
    'Argos',
    'Waitrose',
  ],
  DE: [
    ...COMMON_MERCHANTS,
    'Rewe',
    'Edeka',
    'dm',
    'Deutsche Bahn',
    'MediaMarkt',
    'Rossmann',
    'Kaufland',
    'Aral',
  ],
  FR: [...COMMON_MERCHANTS, 'Carrefour', 'Monoprix', 'Fnac', 'SNCF', 'Leclerc', 'Auchan', 'Boulangerie Paul'],
  ES: [...COMMON_MERCHANTS, 'Mercadona', 'El Corte Inglés', 'Renfe', 'Dia', 'Repsol', 'Carrefour', 'Eroski'],
  IT: [...COMMON_MERCHANTS, 'Esselunga', 'Coop', 'Conad', 'Trenitalia', 'Eni', 'Autogrill', 'Feltrinelli'],
  NL: [...COMMON_MERCHANTS, 'Albert Heijn', 'Jumbo', 'NS', 'HEMA', 'Kruidvat', 'Bol.com', 'Action'],
  SE: [...COMMON_MERCHANTS, 'ICA', 'Coop', 'Systembolaget', 'SJ', 'Apotek Hjärtat', 'Clas Ohlson', 'Willys'],
  AT: [...COMMON_MERCHANTS, 'Billa', 'Spar', 'Hofer', 'ÖBB', 'Interspar', 'Bipa', 'MediaMarkt'],
};

export const EMAIL_DOMAINS: Readonly<Record<string, readonly string[]>> = {
  PL: ['gmail.com', 'wp.pl', 'onet.pl', 'o2.pl', 'interia.pl'],
  GB: ['gmail.com', 'outlook.com', 'btinternet.com', 'yahoo.co.uk', 'hotmail.co.uk'],
  DE: ['gmx.de', 'web.de', 't-online.de', 'gmail.com', 'posteo.de'],
  FR: ['orange.fr', 'free.fr', 'gmail.com', 'laposte.net', 'sfr.fr'],
  ES: ['gmail.com', 'hotmail.es', 'telefonica.net', 'yahoo.es'],
  IT: ['libero.it', 'gmail.com', 'virgilio.it', 'tiscali.it', 'alice.it'],
  NL: ['gmail.com', 'ziggo.nl', 'kpnmail.nl', 'hotmail.nl', 'xs4all.nl'],
  SE: ['gmail.com', 'telia.com', 'hotmail.se', 'outlook.com'],
  AT: ['gmx.at', 'gmail.com', 'aon.at', 'chello.at', 'a1.net'],
};

const TRANSLIT: Readonly<Record<string, string>> = {
  ł: 'l',
  Ł: 'L',
  ø: 'o',
  Ø: 'O',
  ß: 'ss',
  æ: 'ae',
  đ: 'd',
};

/** ASCII form of a name for an e-mail address: diacritics stripped, spaces and apostrophes removed. */
export function asciiName(name: string): string {
  return name
    .replace(/[łŁøØßæđ]/g, (c) => TRANSLIT[c] ?? c)
    .normalize('NFD')
    .replace(/[^A-Za-z]/g, '')
    .toLowerCase();
}
