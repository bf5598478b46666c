/**
 * The bank's people and accounts. Each client is derived from its own PRNG streams keyed by (seed, client index),
 * so the clients, locations and accounts tables can each be streamed in its own pass without holding rows in
 * memory; only the compact per-account state the traffic generator needs (typed arrays, one IBAN string each)
 * stays resident — O(accounts), independent of the number of transactions.
 */
import type { Faker, FakerOptions } from '@faker-js/faker';
import { faker as fakerDE } from '@faker-js/faker/locale/de';
import { faker as fakerDE_AT } from '@faker-js/faker/locale/de_AT';
import { faker as fakerEN_GB } from '@faker-js/faker/locale/en_GB';
import { faker as fakerES } from '@faker-js/faker/locale/es';
import { faker as fakerFR } from '@faker-js/faker/locale/fr';
import { faker as fakerIT } from '@faker-js/faker/locale/it';
import { faker as fakerNL } from '@faker-js/faker/locale/nl';
import { faker as fakerPL } from '@faker-js/faker/locale/pl';
import { faker as fakerSV } from '@faker-js/faker/locale/sv';
import { LOCALES } from '../domain/bank.js';
import { CITIES, type City } from './data/cities.js';
import { FOREIGN_IBAN_COUNTRIES, IbanBook } from './iban.js';
import { Mersenne53 } from './mersenne.js';
import {
  ACCOUNT_TYPE_WEIGHTS_FIRST,
  ACCOUNT_TYPE_WEIGHTS_MORE,
  ACCOUNT_TYPES,
  ACCOUNTS_PER_CLIENT_WEIGHTS,
  AGE_BANDS,
  asciiName,
  EMAIL_DOMAINS,
  FX_PER_EUR,
  MEDIAN_INCOME_EUR,
} from './model.js';
import { type BirthDate, type Gender, nationalId } from './national-id.js';
import { mixSeed, Random, WeightedTable } from './random.js';
import { formatCents, type Row } from './rows.js';

export const DAY_MS = 86_400_000;
const YEAR = 365.25;

/** Every country an IBAN in the data can belong to: the bank's nine, then foreign-only ones (bit = index). */
export const ALL_COUNTRIES: readonly string[] = [...LOCALES.map((l) => l.country), ...FOREIGN_IBAN_COUNTRIES];
export const CURRENCIES = ['PLN', 'GBP', 'EUR', 'SEK', 'USD'] as const;

/**
 * A faker with `template`'s locale data that draws from a Mersenne53 (lib/seed/mersenne.ts): the same numbers as
 * faker's own generator, re-seeded about ten times faster, which matters at one re-seed per client and table.
 */
function seederFaker(template: Faker): Faker {
  const SameFaker = template.constructor as new (options: FakerOptions) => Faker;
  return new SameFaker({ locale: template.rawDefinitions, randomizer: new Mersenne53() });
}

/**
 * The seeder's own faker for each locale (only these nine locales are loaded), not the module-level instances that
 * other code in the process may use. Each use is preceded by `seed()` with the client's own stream key.
 */
const FAKERS: Readonly<Record<string, Faker>> = {
  pl_PL: seederFaker(fakerPL),
  en_GB: seederFaker(fakerEN_GB),
  de_DE: seederFaker(fakerDE),
  fr_FR: seederFaker(fakerFR),
  es_ES: seederFaker(fakerES),
  it_IT: seederFaker(fakerIT),
  nl_NL: seederFaker(fakerNL),
  sv_SE: seederFaker(fakerSV),
  de_AT: seederFaker(fakerDE_AT),
};

/** Mobile numbers in E.164: calling code, a mobile prefix, then digits to the national length. */
const PHONE_FORMATS: Readonly<Record<string, readonly [string, readonly string[], number]>> = {
  PL: ['+48', ['50', '51', '53', '57', '60', '66', '69', '72', '78', '79', '88'], 9],
  GB: ['+44', ['74', '75', '77', '78', '79'], 10],
  DE: ['+49', ['151', '152', '160', '170', '171', '172', '176', '179'], 11],
  FR: ['+33', ['6', '7'], 9],
  ES: ['+34', ['6', '7'], 9],
  IT: ['+39', ['320', '328', '333', '338', '340', '347', '349', '366', '380'], 10],
  NL: ['+31', ['6'], 9],
  SE: ['+46', ['70', '72', '73', '76', '79'], 9],
  AT: ['+43', ['650', '660', '664', '676', '680', '699'], 10],
};

export function mobilePhone(country: string, rng: Random): string {
  const [code, prefixes, length] = PHONE_FORMATS[country] ?? ['+44', ['7'], 10];
  let n = rng.pick(prefixes);
  while (n.length < length) n += rng.int(0, 9);
  return `${code}${n}`;
}

/** Epoch day (days since 1970-01-01 UTC) of a YYYY-MM-DD string. */
export function epochDay(isoDay: string): number {
  return Math.round(Date.parse(`${isoDay}T00:00:00Z`) / DAY_MS);
}

export function isoOfDay(day: number): string {
  return new Date(day * DAY_MS).toISOString().slice(0, 10);
}

function birthOf(day: number): BirthDate {
  const d = new Date(day * DAY_MS);
  return { year: d.getUTCFullYear(), month: d.getUTCMonth() + 1, day: d.getUTCDate() };
}

export interface PopulationSpec {
  seed: number;
  clients: number;
  locales: readonly string[];
  fromDay: number;
  toDay: number;
  firstClientId: number;
  firstAccountId: number;
}

/** The population a run's options describe, its ids starting after the rows already there. */
export function populationSpec(
  options: { seed: number; clients: number; locales: readonly string[]; from: string; to: string },
  { firstClientId = 1, firstAccountId = 1 }: { firstClientId?: number; firstAccountId?: number } = {},
): PopulationSpec {
  return {
    seed: options.seed,
    clients: options.clients,
    locales: options.locales,
    fromDay: epochDay(options.from),
    toDay: epochDay(options.to),
    firstClientId,
    firstAccountId,
  };
}

/** What every pass needs to know about client `i`, recomputed identically in each pass (cheap, no faker). */
export interface ClientCore {
  localeIndex: number;
  gender: Gender;
  birthDay: number;
  registrationDay: number;
  active: boolean;
  accounts: number;
  city: City;
}

const cityTables = new Map<string, WeightedTable>();
function cityTable(country: string): WeightedTable {
  let table = cityTables.get(country);
  if (!table) {
    table = new WeightedTable((CITIES[country] ?? []).map((c) => c.weight));
    cityTables.set(country, table);
  }
  return table;
}

const ageTable = new WeightedTable(AGE_BANDS.map((b) => b[2]));
const accountsTable = new WeightedTable(ACCOUNTS_PER_CLIENT_WEIGHTS);

export function clientCore(spec: PopulationSpec, i: number): ClientCore {
  const rng = new Random(spec.seed, 1, i);
  const localeId = spec.locales[rng.int(0, spec.locales.length - 1)] as string;
  const localeIndex = LOCALES.findIndex((l) => l.locale === localeId);
  const country = (LOCALES[localeIndex] as (typeof LOCALES)[number]).country;
  const gender: Gender = rng.chance(0.5) ? 'M' : 'F';
  const band = AGE_BANDS[ageTable.sample(rng)] as readonly [number, number, number];
  const age = rng.float(band[0], band[1] + 1);
  const birthDay = Math.floor(spec.toDay - age * YEAR);
  const adult = Math.ceil(birthDay + 18 * YEAR);
  let registrationDay = rng.chance(0.8)
    ? rng.int(spec.fromDay - Math.round(15 * YEAR), spec.fromDay - 1)
    : rng.int(spec.fromDay, spec.toDay - 1);
  registrationDay = Math.min(spec.toDay - 1, Math.max(adult, registrationDay));
  const active = rng.chance(0.85);
  const accounts = accountsTable.sample(rng) + 1;
  const cities = CITIES[country] ?? [];
  const city = cities[cityTable(country).sample(rng)] as City;
  return { localeIndex, gender, birthDay, registrationDay, active, accounts, city };
}

/** Compact per-account state: what the traffic generator reads and updates. Index = account id - firstAccountId. */
export interface Accounts {
  count: number;
  firstId: number;
  clientIndex: Int32Array;
  type: Uint8Array;
  country: Uint8Array;
  currency: Uint8Array;
  /** Epoch day the account opened (may be before the range). */
  openDay: Int32Array;
  /** Epoch day from which the account is closed (no traffic), or a day past the range. */
  closeDay: Int32Array;
  active: Uint8Array;
  /** Monthly income (personal/savings) or turnover scale (business), in the account's currency units. */
  income: Float64Array;
  /** The accounts weighted by how active each is (the traffic samples its rows' accounts from it). */
  byActivity: WeightedTable;
  /** Index into ALL_COUNTRIES of a foreign country the client deals with, or -1. */
  usualForeign: Int8Array;
  /** Each account's IBAN (off the JS heap). */
  iban: IbanBook;
  /** Mutable state while traffic is generated. */
  balanceCents: Float64Array;
  maxDebitCents: Float64Array;
  txCount: Int32Array;
  /** Bit set of ALL_COUNTRIES indexes this account has sent money to. */
  countriesSeen: Int32Array;
  /** Dormant window [from, to) (epoch days) when set by the anomaly plan; 0/0 otherwise. */
  dormantFrom: Int32Array;
  dormantTo: Int32Array;
  /** 1 once an episode used the account (each account carries at most one story while others are free). */
  inEpisode: Uint8Array;
}

/** Builds every account's state. Memory: about 80 bytes per account, in typed arrays. */
export function buildAccounts(spec: PopulationSpec): Accounts {
  const cores: number[] = [];
  let total = 0;
  for (let i = 0; i < spec.clients; i++) {
    const n = clientCore(spec, i).accounts;
    cores.push(n);
    total += n;
  }
  const activity = new Float64Array(total);
  const a: Omit<Accounts, 'byActivity'> = {
    count: total,
    firstId: spec.firstAccountId,
    clientIndex: new Int32Array(total),
    type: new Uint8Array(total),
    country: new Uint8Array(total),
    currency: new Uint8Array(total),
    openDay: new Int32Array(total),
    closeDay: new Int32Array(total),
    active: new Uint8Array(total),
    income: new Float64Array(total),
    usualForeign: new Int8Array(total),
    iban: new IbanBook(total, spec.firstAccountId),
    balanceCents: new Float64Array(total),
    maxDebitCents: new Float64Array(total),
    txCount: new Int32Array(total),
    countriesSeen: new Int32Array(total),
    dormantFrom: new Int32Array(total),
    dormantTo: new Int32Array(total),
    inEpisode: new Uint8Array(total),
  };
  const typeFirst = new WeightedTable(ACCOUNT_TYPE_WEIGHTS_FIRST);
  const typeMore = new WeightedTable(ACCOUNT_TYPE_WEIGHTS_MORE);
  let k = 0;
  for (let i = 0; i < spec.clients; i++) {
    const core = clientCore(spec, i);
    const rng = new Random(spec.seed, 6, i);
    const locale = LOCALES[core.localeIndex] as (typeof LOCALES)[number];
    const clientIncome = (MEDIAN_INCOME_EUR[locale.country] ?? 2000) * rng.logNormal(1, 0.45);
    const clientForeign = rng.chance(0.45)
      ? rng.chance(0.7)
        ? rng.int(0, LOCALES.length - 1)
        : LOCALES.length + rng.int(0, FOREIGN_IBAN_COUNTRIES.length - 1)
      : -1;
    for (let j = 0; j < core.accounts; j++, k++) {
      const type = (j === 0 ? typeFirst : typeMore).sample(rng);
      const accountType = ACCOUNT_TYPES[type] as (typeof ACCOUNT_TYPES)[number];
      let currency: string = locale.currency;
      if (accountType !== 'personal' && rng.chance(0.08))
        currency = locale.currency === 'EUR' ? 'USD' : 'EUR';
      const fx = FX_PER_EUR[currency] ?? 1;
      const openDay = j === 0 ? core.registrationDay : rng.int(core.registrationDay, spec.toDay - 1);
      const closed = !core.active || rng.chance(0.03);
      const lastPossible = Math.max(openDay + 1, spec.fromDay);
      a.clientIndex[k] = i;
      a.type[k] = type;
      a.country[k] = core.localeIndex;
      a.currency[k] = CURRENCIES.indexOf(currency as (typeof CURRENCIES)[number]);
      a.openDay[k] = openDay;
      a.closeDay[k] = closed ? rng.int(lastPossible, Math.max(lastPossible, spec.toDay - 1)) : spec.toDay + 1;
      a.active[k] = closed ? 0 : 1;
      a.income[k] = clientIncome * fx * (accountType === 'business' ? 6 * rng.logNormal(1, 0.7) : 1);
      activity[k] =
        rng.logNormal(1, 0.6) * (accountType === 'business' ? 3 : accountType === 'savings' ? 0.15 : 1);
      a.usualForeign[k] = clientForeign;
      a.iban.draw(k, locale.country, rng);
    }
  }
  return { ...a, byActivity: new WeightedTable(activity) };
}

function fakerFor(locale: string): Faker {
  const f = FAKERS[locale];
  if (!f) throw new Error(`no faker instance for locale ${locale}`);
  return f;
}

/** Rows of `clients` (columns: see CLIENT_COLUMNS), one per client, generated lazily. */
export function* clientRows(spec: PopulationSpec): Generator<Row> {
  for (let i = 0; i < spec.clients; i++) {
    const core = clientCore(spec, i);
    const locale = LOCALES[core.localeIndex] as (typeof LOCALES)[number];
    const faker = fakerFor(locale.locale);
    faker.seed(mixSeed(spec.seed, 2, i));
    const sex = core.gender === 'M' ? 'male' : 'female';
    const firstName = faker.person.firstName(sex);
    const lastName = faker.person.lastName(sex);
    const rng = new Random(spec.seed, 3, i);
    const phone = rng.chance(0.97) ? mobilePhone(locale.country, rng) : null;
    const identifier = nationalId(
      {
        country: locale.country,
        birth: birthOf(core.birthDay),
        gender: core.gender,
        firstName,
        lastName,
        placeCode: core.city.code,
      },
      rng,
    );
    const domains = EMAIL_DOMAINS[locale.country] ?? ['example.com'];
    const separator = rng.pick(['.', '_', '', '.']);
    const suffix = rng.chance(0.4) ? String(rng.int(1, 99)) : '';
    const email = rng.chance(0.96)
      ? `${asciiName(firstName)}${separator}${asciiName(lastName)}${suffix}@${rng.pick(domains)}`
      : null;
    yield [
      spec.firstClientId + i,
      firstName,
      lastName,
      identifier,
      isoOfDay(core.birthDay),
      email,
      phone,
      core.gender,
      isoOfDay(core.registrationDay),
      core.active ? 'Yes' : 'No',
      locale.country,
      locale.locale,
    ];
  }
}

export const CLIENT_COLUMNS = [
  'id',
  'first_name',
  'last_name',
  'identifier',
  'birth_date',
  'email',
  'phone',
  'gender',
  'registration_date',
  'is_active',
  'country',
  'locale',
] as const;

const NL_SUFFIX = 'ABCDEFGHJKLMNPRTUVWXZ';
const GB_INWARD = 'ABDEFGHJLNPQRSTUWXYZ';

/** A postal code in the country's format, inside the city's range. */
export function postalCode(country: string, prefix: string, rng: Random): string {
  const fill = (len: number) => {
    let s = prefix;
    while (s.length < len) s += rng.int(0, 9);
    return s;
  };
  switch (country) {
    case 'PL': {
      const s = fill(5);
      return `${s.slice(0, 2)}-${s.slice(2)}`;
    }
    case 'GB':
      return `${prefix}${rng.int(1, 20)} ${rng.int(0, 9)}${rng.pick([...GB_INWARD])}${rng.pick([...GB_INWARD])}`;
    case 'NL':
      return `${fill(4)} ${rng.pick([...NL_SUFFIX])}${rng.pick([...NL_SUFFIX])}`;
    case 'SE': {
      const s = fill(5);
      return `${s.slice(0, 3)} ${s.slice(3)}`;
    }
    case 'AT':
      return fill(4);
    default:
      return fill(5);
  }
}

/** Rows of `locations` (one address per client). */
export function* locationRows(spec: PopulationSpec, firstLocationId: number): Generator<Row> {
  for (let i = 0; i < spec.clients; i++) {
    const core = clientCore(spec, i);
    const locale = LOCALES[core.localeIndex] as (typeof LOCALES)[number];
    const faker = fakerFor(locale.locale);
    faker.seed(mixSeed(spec.seed, 4, i));
    const rng = new Random(spec.seed, 5, i);
    yield [
      firstLocationId + i,
      spec.firstClientId + i,
      core.city.city,
      core.city.region,
      locale.country,
      postalCode(locale.country, core.city.postal, rng),
      faker.location.street(),
      faker.location.buildingNumber(),
    ];
  }
}

export const LOCATION_COLUMNS = [
  'id',
  'client_id',
  'city',
  'region',
  'country',
  'postal_code',
  'street',
  'building_number',
] as const;

/** Rows of `accounts` with their final balances (written after the traffic). */
export function* accountRows(spec: PopulationSpec, a: Accounts): Generator<Row> {
  for (let k = 0; k < a.count; k++) {
    yield [
      a.firstId + k,
      spec.firstClientId + (a.clientIndex[k] as number),
      a.iban.get(k),
      ACCOUNT_TYPES[a.type[k] as number] as string,
      isoOfDay(a.openDay[k] as number),
      formatCents(a.balanceCents[k] as number),
      CURRENCIES[a.currency[k] as number] as string,
      a.active[k] as number,
    ];
  }
}

export const ACCOUNT_COLUMNS = [
  'id',
  'client_id',
  'account_number',
  'account_type',
  'opening_date',
  'balance',
  'currency',
  'is_active',
] as const;
