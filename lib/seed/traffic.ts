/**
 * The bank's transactions, generated day by day in time order (so ids grow with booking time, and each account's
 * balance is carried forward exactly), plus the injected anomaly and decoy episodes with their labels.
 *
 * Memory stays flat: one day's rows are built, sorted by time, finalised against the running balances and handed
 * to the loader before the next day starts. Only the labels (anomaly-rate × transactions rows) are kept aside,
 * because they go to their own table after the transactions.
 *
 * Balances: every account starts at 0 with an opening row ("Opening deposit", or "Balance brought forward" on the
 * first day for accounts older than the range); each *completed* row then sets balance_after = previous balance +
 * signed amount, and accounts.balance is the last one. Pending rows (only in the last two days, as in a real
 * statement) and cancelled rows never moved money: their balance_after is NULL and they do not change the balance.
 * Regular debits never overdraw (they shrink, or become a credit, when the balance is short); injected fraud may.
 */
import {
  ANOMALY_KINDS,
  type AnomalyKind,
  DECOY_KINDS,
  type DecoyKind,
  REPORTING_THRESHOLDS,
  TRANSACTION_TYPES,
} from '../domain/bank.js';
import { CITIES } from './data/cities.js';
import { FOREIGN_IBAN_COUNTRIES, otherIban } from './iban.js';
import {
  ACCOUNT_TYPES,
  cashStep,
  dayWeight,
  FX_PER_EUR,
  HOUR_WEIGHTS,
  INCOMING_TITLES,
  MERCHANTS,
  regularAmount,
  STANDING_ORDER_TITLES,
  T_ATM,
  T_CARD,
  T_DEPOSIT,
  T_EXPRESS,
  T_INCOMING,
  T_MOBILE,
  T_OUTGOING,
  T_STANDING,
  TRANSFER_TITLES,
  TYPE_MIX,
  toCents,
} from './model.js';
import { type Accounts, ALL_COUNTRIES, CURRENCIES, DAY_MS, isoOfDay } from './population.js';
import { Random, WeightedTable } from './random.js';
import { formatCents, type Row } from './rows.js';

export type EpisodeKind = AnomalyKind | DecoyKind;

export interface TrafficSpec {
  seed: number;
  fromDay: number;
  toDay: number;
  transactions: number;
  anomalyRate: number;
  firstTransactionId: number;
  firstEpisodeId: number;
  /** transaction_types.id for each entry of TRANSACTION_TYPES. */
  typeIds: readonly number[];
}

export interface TrafficStats {
  transactions: number;
  completed: number;
  pending: number;
  cancelled: number;
  episodes: Record<string, number>;
  labelledRows: Record<string, number>;
  /** Episodes the plan could not place (e.g. a range too short for a dormant account); listed in the summary. */
  skipped: Record<string, number>;
}

/** Zeroed counters for transactionRows to fill. */
export function emptyTrafficStats(): TrafficStats {
  return {
    transactions: 0,
    completed: 0,
    pending: 0,
    cancelled: 0,
    episodes: {},
    labelledRows: {},
    skipped: {},
  };
}

export const TRANSACTION_COLUMNS = [
  'id',
  'account_id',
  'transaction_type_id',
  'date',
  'amount',
  'currency',
  'balance_after',
  'recipient_account',
  'status',
  'title',
] as const;

export const LABEL_COLUMNS = ['transaction_id', 'episode_id', 'kind', 'suspicious', 'note'] as const;

interface Episode {
  id: number;
  kind: EpisodeKind;
  day: number;
  size: number;
  /** Preset account (dormant reactivation), else chosen on the day from the accounts' state. */
  account: number;
  note: string;
  /** Running state while its rows are finalised. */
  totalCents: number;
  shares: number[];
  mules: string[];
  country: number;
}

enum Kind {
  Opening = 0,
  Regular = 1,
  Episode = 2,
}

/** One row before its amount is final. A class, so every candidate has the same hidden shape (hot path). */
class Candidate {
  seq = 0;
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

const SIZE: Readonly<Record<EpisodeKind, [number, number]>> = {
  'amount-spike': [1, 1],
  burst: [8, 12],
  'rapid-drain': [4, 6],
  'new-country': [1, 1],
  structuring: [3, 5],
  'dormant-reactivation': [3, 5],
  'decoy-bonus': [1, 1],
  'decoy-house-deposit': [1, 1],
};

const PAD2 = Array.from({ length: 60 }, (_, n) => (n < 10 ? `0${n}` : String(n)));
/** 'HH:MM:SS' of a second of the day (hot path: table lookups, no Date). */
function clock(sec: number): string {
  return `${PAD2[Math.floor(sec / 3600)]}:${PAD2[Math.floor(sec / 60) % 60]}:${PAD2[sec % 60]}`;
}

const hourTable = new WeightedTable(HOUR_WEIGHTS);
function secondOfDay(rng: Random): number {
  return hourTable.sample(rng) * 3600 + rng.int(0, 3599);
}

/** Number of rows per day: `total` spread over the days by their weights, summing exactly to `total`. */
export function spreadOverDays(total: number, weights: readonly number[]): number[] {
  const sum = weights.reduce((s, w) => s + w, 0);
  const out: number[] = [];
  let acc = 0;
  let given = 0;
  for (const w of weights) {
    acc += w;
    const upTo = Math.round((total * acc) / sum);
    out.push(upTo - given);
    given = upTo;
  }
  return out;
}

/**
 * Generates the transactions of the whole range, in booking-time order, as rows for the loader; fills `labels`
 * with one anomaly_labels row per transaction of every injected episode and `stats` with the counts.
 */
export function* transactionRows(
  spec: TrafficSpec,
  a: Accounts,
  labels: Row[],
  stats: TrafficStats,
): Generator<Row> {
  const days = spec.toDay - spec.fromDay;
  const planRng = new Random(spec.seed, 10);
  const startDay = new Int32Array(a.count);
  for (let k = 0; k < a.count; k++) startDay[k] = Math.max(a.openDay[k] as number, spec.fromDay);

  // Openings by day (counting sort), so each day finds the accounts that start on it.
  const openingsOf: number[][] = Array.from({ length: days }, () => []);
  for (let k = 0; k < a.count; k++) openingsOf[(startDay[k] as number) - spec.fromDay]?.push(k);

  const episodes = planEpisodes(spec, a, startDay, planRng, stats);
  const episodeRows = episodes.reduce((s, e) => s + e.size, 0);
  const regular = Math.max(0, spec.transactions - a.count - episodeRows);
  const weights: number[] = [];
  for (let d = 0; d < days; d++) weights.push(dayWeight(new Date((spec.fromDay + d) * DAY_MS), d / days));
  const perDay = spreadOverDays(regular, weights);
  const episodesOf = new Map<number, Episode[]>();
  for (const e of episodes) {
    const list = episodesOf.get(e.day) ?? [];
    list.push(e);
    episodesOf.set(e.day, list);
  }

  const accountTable = new WeightedTable(a.activity);
  let nextId = spec.firstTransactionId;
  let carry = 0;

  const eligible = (k: number, day: number) =>
    day > (startDay[k] as number) &&
    day < (a.closeDay[k] as number) &&
    !(day >= (a.dormantFrom[k] as number) && day < (a.dormantTo[k] as number));

  for (let d = 0; d < days; d++) {
    const day = spec.fromDay + d;
    const rng = new Random(spec.seed, 11, d);
    const date = new Date(day * DAY_MS);
    const dom = date.getUTCDate();
    const prefix = `${isoOfDay(day)} `;
    const candidates: Candidate[] = [];
    let seq = 0;
    const add = (c: Candidate) => {
      c.seq = seq++;
      candidates.push(c);
    };

    for (const k of openingsOf[d] ?? []) {
      const before = (a.openDay[k] as number) < spec.fromDay;
      add(
        new Candidate(
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
        ),
      );
    }

    let want = (perDay[d] as number) + carry;
    carry = 0;
    for (const e of episodesOf.get(day) ?? []) {
      if (placeEpisode(e, a, day, rng, accountTable, eligible, add)) {
        stats.episodes[e.kind] = (stats.episodes[e.kind] ?? 0) + 1;
      } else {
        stats.skipped[e.kind] = (stats.skipped[e.kind] ?? 0) + 1;
        want += e.size; // keep the total: the rows become regular traffic
      }
    }

    for (let n = 0; n < want; n++) {
      const k = pickEligible(rng, accountTable, a.count, (x) => eligible(x, day));
      if (k < 0) {
        carry = want - n;
        break;
      }
      const accountType = ACCOUNT_TYPES[a.type[k] as number] ?? 'personal';
      const mix = TYPE_MIX[accountType];
      let type: number;
      if (accountType === 'personal' && dom <= 4 && rng.chance(0.12)) type = T_INCOMING;
      else type = rng.weightedIndex(mix);
      const salary = type === T_INCOMING && accountType === 'personal' && dom <= 4 && rng.chance(0.7);
      add(regularCandidate(spec, a, k, type, salary, rng, date));
    }

    candidates.sort((x, y) => x.sec - y.sec || x.seq - y.seq);
    for (const c of candidates) {
      const row = finalise(spec, a, c, rng, day, prefix, nextId, stats);
      if (c.episode) {
        const ep = c.episode;
        labels.push([
          nextId,
          ep.id,
          ep.kind,
          (ANOMALY_KINDS as readonly string[]).includes(ep.kind) ? 1 : 0,
          ep.note,
        ]);
        stats.labelledRows[ep.kind] = (stats.labelledRows[ep.kind] ?? 0) + 1;
      }
      nextId++;
      yield row;
    }
  }
}

function pickEligible(rng: Random, table: WeightedTable, count: number, ok: (k: number) => boolean): number {
  for (let t = 0; t < 64; t++) {
    const k = table.sample(rng);
    if (ok(k)) return k;
  }
  const start = rng.int(0, count - 1);
  for (let i = 0; i < count; i++) {
    const k = (start + i) % count;
    if (ok(k)) return k;
  }
  return -1;
}

function transferRecipient(a: Accounts, k: number, rng: Random): string {
  const home = ALL_COUNTRIES[a.country[k] as number] as string;
  const r = rng.next();
  if (r < 0.72) return otherIban(home, rng);
  if (r < 0.86) {
    const other = rng.int(0, a.count - 1);
    if (other !== k) return a.iban[other] as string;
    return otherIban(home, rng);
  }
  const foreign = a.usualForeign[k] as number;
  return foreign >= 0 ? otherIban(ALL_COUNTRIES[foreign] as string, rng) : otherIban(home, rng);
}

function regularCandidate(
  spec: TrafficSpec,
  a: Accounts,
  k: number,
  type: number,
  salary: boolean,
  rng: Random,
  date: Date,
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
      const which = new Random(spec.seed, 20, k).int(0, STANDING_ORDER_TITLES.length - 1);
      title = STANDING_ORDER_TITLES[which] as string;
      recipient = otherIban(home, new Random(spec.seed, 21, k));
      sec = rng.int(5 * 3600, 7 * 3600);
      break;
    }
    case T_OUTGOING:
    case T_EXPRESS: {
      const t = rng.pick(TRANSFER_TITLES);
      title = t === 'Invoice payment' ? `Invoice ${date.getUTCFullYear()}/${rng.int(1, 999)}` : t;
      recipient = transferRecipient(a, k, rng);
      break;
    }
    default:
      title = 'Cash withdrawal at branch';
  }
  return new Candidate(sec, k, Kind.Regular, type, units, title, recipient, salary, undefined, 0);
}

function currencyFx(currency: string): number {
  return FX_PER_EUR[currency] ?? 1;
}

function finalise(
  spec: TrafficSpec,
  a: Accounts,
  c: Candidate,
  rng: Random,
  day: number,
  prefix: string,
  id: number,
  stats: TrafficStats,
): Row {
  const k = c.acc;
  const currency = CURRENCIES[a.currency[k] as number] as string;
  const income = a.income[k] as number;
  const accountType = ACCOUNT_TYPES[a.type[k] as number] ?? 'personal';
  let type = c.type;
  let title = c.title;
  let recipient = c.recipient;
  let cents: number;
  const balance = a.balanceCents[k] as number;

  if (c.kind === Kind.Opening) {
    const factor =
      accountType === 'savings'
        ? rng.logNormal(4, 0.9)
        : accountType === 'business'
          ? rng.float(0.5, 2)
          : rng.float(0.3, 3);
    cents = toCents(income * factor);
  } else if (c.kind === Kind.Episode && c.episode) {
    cents = episodeCents(c.episode, c.index, a, k, rng);
  } else {
    const step = type === T_ATM ? cashStep(currency) : 0.01;
    cents = toCents(c.units, step);
    if (TRANSACTION_TYPES[type]?.direction === 'debit') {
      const overdraft = accountType === 'business' ? income * 50 : 0;
      const available = balance + overdraft;
      if (cents > available) {
        const shrunk = Math.floor((available * rng.float(0.2, 0.8)) / (step * 100)) * step * 100;
        if (shrunk >= 500) cents = shrunk;
        else {
          type = T_INCOMING;
          title = rng.pick(INCOMING_TITLES);
          recipient = null;
          cents = toCents(income * rng.logNormal(0.15, 0.6));
        }
      }
    }
  }

  cents = Math.round(cents);
  const info = TRANSACTION_TYPES[type];
  const signed = info?.direction === 'debit' ? -cents : cents;
  let status = 'completed';
  if (c.kind === Kind.Regular && !c.salary) {
    if (day >= spec.toDay - 2 && rng.chance(0.3)) status = 'pending';
    else if (rng.chance(0.012)) status = 'cancelled';
  }
  let balanceAfter: string | null = null;
  if (status === 'completed') {
    const next = balance + signed;
    a.balanceCents[k] = next;
    a.txCount[k] = (a.txCount[k] as number) + 1;
    // The account's own history, as the detector will see it: regular debits only.
    if (c.kind === Kind.Regular && signed < 0 && cents > (a.maxDebitCents[k] as number))
      a.maxDebitCents[k] = cents;
    if (recipient) {
      const country = ALL_COUNTRIES.indexOf(recipient.slice(0, 2));
      if (country >= 0) a.countriesSeen[k] = (a.countriesSeen[k] as number) | (1 << country);
    }
    balanceAfter = formatCents(next);
    stats.completed++;
  } else if (status === 'pending') stats.pending++;
  else stats.cancelled++;
  stats.transactions++;

  return [
    id,
    a.firstId + k,
    spec.typeIds[type] as number,
    prefix + clock(c.sec),
    formatCents(signed),
    currency,
    balanceAfter,
    recipient,
    status,
    title,
  ];
}

// ---------------------------------------------------------------------------------------------------------------
// Episodes: planned up front (kind, day, size), placed on an account on their day, finalised against the balance.

function planEpisodes(
  spec: TrafficSpec,
  a: Accounts,
  startDay: Int32Array,
  rng: Random,
  stats: TrafficStats,
): Episode[] {
  const out: Episode[] = [];
  for (const kind of [...ANOMALY_KINDS, ...DECOY_KINDS]) {
    stats.episodes[kind] = 0;
    stats.labelledRows[kind] = 0;
  }
  if (spec.anomalyRate <= 0) return out;
  const days = spec.toDay - spec.fromDay;
  const target = Math.max(1, Math.round(spec.anomalyRate * spec.transactions));
  const budget = spec.transactions - a.count;
  const minDay = spec.fromDay + Math.min(30, Math.floor(days / 3));
  let rows = 0;
  let id = spec.firstEpisodeId;
  const make = (kind: EpisodeKind): Episode => {
    const [lo, hi] = SIZE[kind];
    return {
      id: id++,
      kind,
      day: rng.int(minDay, spec.toDay - 1),
      size: rng.int(lo, hi),
      account: -1,
      note: '',
      totalCents: 0,
      shares: [],
      mules: [],
      country: -1,
    };
  };
  const anomalies: Episode[] = [];
  for (let round = 0; rows < target || round === 0; round++) {
    for (const kind of ANOMALY_KINDS) {
      const e = make(kind);
      if (rows + e.size > budget) break;
      anomalies.push(e);
      rows += e.size;
    }
    if (rows + 12 > budget) break;
  }
  const decoys = Math.max(2, Math.round(anomalies.length * 0.25));
  for (let i = 0; i < decoys && rows < budget; i++) {
    const e = make(DECOY_KINDS[i % DECOY_KINDS.length] as DecoyKind);
    if (e.kind === 'decoy-bonus') {
      // Bonuses are paid in December or March when the range has one.
      const candidates: number[] = [];
      for (let d = minDay; d < spec.toDay; d++) {
        const dt = new Date(d * DAY_MS);
        if (
          (dt.getUTCMonth() === 11 || dt.getUTCMonth() === 2) &&
          dt.getUTCDate() >= 10 &&
          dt.getUTCDate() <= 20
        )
          candidates.push(d);
      }
      if (candidates.length > 0) e.day = rng.pick(candidates);
    }
    anomalies.push(e);
    rows += e.size;
  }

  // A dormant account must be silent for a long stretch before its reactivation day.
  const gap = Math.min(180, Math.floor(days * 0.5));
  for (const e of anomalies) {
    if (e.kind !== 'dormant-reactivation') continue;
    if (gap < 20 || days < gap + 6) continue; // placed nowhere → counted as skipped on its day
    e.day = rng.int(spec.fromDay + gap + 5, spec.toDay - 1);
    const silentFrom = e.day - gap;
    for (let t = 0; t < 400; t++) {
      const k = rng.int(0, a.count - 1);
      if (
        (startDay[k] as number) <= silentFrom - 5 &&
        (a.closeDay[k] as number) > e.day + 1 &&
        a.dormantTo[k] === 0 &&
        ACCOUNT_TYPES[a.type[k] as number] !== 'business'
      ) {
        a.dormantFrom[k] = silentFrom;
        a.dormantTo[k] = e.day + 1;
        a.inEpisode[k] = 1;
        e.account = k;
        e.note = `first activity after ${gap} silent days`;
        break;
      }
    }
  }
  return anomalies;
}

function placeEpisode(
  e: Episode,
  a: Accounts,
  day: number,
  rng: Random,
  table: WeightedTable,
  eligible: (k: number, day: number) => boolean,
  add: (c: Candidate) => void,
): boolean {
  let k = e.account;
  if (e.kind === 'dormant-reactivation') {
    if (k < 0) return false;
  } else {
    // Sample accounts with some history and keep the one that fits the story best.
    let best = -1;
    let bestScore = Number.NEGATIVE_INFINITY;
    for (let t = 0; t < 32; t++) {
      const x = table.sample(rng);
      if (!eligible(x, day) || (a.txCount[x] as number) < 5 || a.dormantTo[x] !== 0) continue;
      if (a.inEpisode[x] === 1 && t < 24) continue;
      const personal = ACCOUNT_TYPES[a.type[x] as number] === 'personal';
      const score =
        e.kind === 'rapid-drain' || e.kind === 'decoy-house-deposit'
          ? (a.balanceCents[x] as number) / Math.max(1, (a.income[x] as number) * 100)
          : e.kind === 'amount-spike'
            ? (a.balanceCents[x] as number) - 8 * (a.maxDebitCents[x] as number)
            : e.kind === 'decoy-bonus' || e.kind === 'burst'
              ? personal
                ? 1
                : 0
              : rng.next();
      if (score > bestScore) {
        bestScore = score;
        best = x;
      }
    }
    if (best < 0) return false;
    k = best;
  }
  e.account = k;
  a.inEpisode[k] = 1;
  const home = ALL_COUNTRIES[a.country[k] as number] as string;
  const currency = CURRENCIES[a.currency[k] as number] as string;
  const push = (index: number, sec: number, type: number, title: string, recipient: string | null) =>
    add(new Candidate(Math.min(86_399, sec), k, Kind.Episode, type, 0, title, recipient, false, e, index));
  switch (e.kind) {
    case 'amount-spike': {
      push(0, secondOfDay(rng), rng.chance(0.5) ? T_OUTGOING : T_EXPRESS, 'Transfer', otherIban(home, rng));
      break;
    }
    case 'burst': {
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
      break;
    }
    case 'rapid-drain': {
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
      break;
    }
    case 'new-country': {
      const seen = a.countriesSeen[k] as number;
      const options = FOREIGN_IBAN_COUNTRIES.map((c) => ALL_COUNTRIES.indexOf(c)).filter(
        (i) => (seen & (1 << i)) === 0 && i !== (a.usualForeign[k] as number),
      );
      const country = options.length > 0 ? rng.pick(options) : ALL_COUNTRIES.indexOf('AE');
      e.country = country;
      const code = ALL_COUNTRIES[country] as string;
      push(0, secondOfDay(rng), T_OUTGOING, 'Transfer', otherIban(code, rng));
      e.note = `first transfer to ${code}`;
      break;
    }
    case 'structuring': {
      const threshold = REPORTING_THRESHOLDS[currency] ?? 10_000;
      let sec = rng.int(9 * 3600, 11 * 3600);
      for (let i = 0; i < e.size; i++) {
        push(i, sec, T_DEPOSIT, 'Cash deposit', null);
        sec += rng.int(40 * 60, 100 * 60);
      }
      e.note = `${e.size} cash deposits just under the ${currency} ${threshold} reporting threshold`;
      break;
    }
    case 'dormant-reactivation': {
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
      break;
    }
    case 'decoy-bonus': {
      const year = new Date(day * DAY_MS).getUTCFullYear();
      push(0, rng.int(7 * 3600, 10 * 3600), T_INCOMING, `Annual bonus ${year}`, null);
      e.note = 'yearly bonus paid by the employer (legitimate)';
      break;
    }
    case 'decoy-house-deposit': {
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
  return true;
}

/** The amount (positive cents) of row `index` of an episode, from the account's state at that moment. */
function episodeCents(e: Episode, index: number, a: Accounts, k: number, rng: Random): number {
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
  }
}
