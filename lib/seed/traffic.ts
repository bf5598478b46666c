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
import { TRANSACTION_TYPES } from '../domain/bank.js';
import {
  type Candidate,
  episodeCandidate,
  episodeRowCents,
  Kind,
  mirrorCandidate,
  mirrorCents,
  openingCandidate,
  regularCandidate,
} from './candidates.js';
import { EpisodeWriter, type PlaceContext } from './episode-kit.js';
import { planEpisodes, storyOf } from './episode-plan.js';
import { type Episode, episodeCents, placeEpisode } from './episodes.js';
import { otherIban } from './iban.js';
import type { LabelLog } from './labels.js';
import {
  ACCOUNT_TYPES,
  cashStep,
  dayWeight,
  INCOMING_TITLES,
  T_ATM,
  T_INCOMING,
  TYPE_MIX,
  toCents,
} from './model.js';
import { type Accounts, ALL_COUNTRIES, CURRENCIES, DAY_MS, isoOfDay } from './population.js';
import { Random, type WeightedTable } from './random.js';
import { formatCents, type Row } from './rows.js';

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

const PAD2 = Array.from({ length: 60 }, (_, n) => (n < 10 ? `0${n}` : String(n)));
/** 'HH:MM:SS' of a second of the day (hot path: table lookups, no Date). */
function clock(sec: number): string {
  return `${PAD2[Math.floor(sec / 3600)]}:${PAD2[Math.floor(sec / 60) % 60]}:${PAD2[sec % 60]}`;
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

/** What the day-by-day generation works from, worked out once for the whole range. */
interface TrafficPlan {
  spec: TrafficSpec;
  a: Accounts;
  stats: TrafficStats;
  /** The accounts whose opening row falls on day `d` of the range: `openings[openingsFrom[d] .. openingsFrom[d + 1])`. */
  openings: Int32Array;
  openingsFrom: Int32Array;
  /** Rows per day of the range besides the openings: the day's episode rows, the rest regular. */
  perDay: number[];
  episodesOf: Map<number, Episode[]>;
  /** Rows of episodes placed earlier that fall on a later day, by day. */
  later: Map<number, Candidate[]>;
  accountTable: WeightedTable;
  /** Whether account `k` may book on `day`: open, not closed, not dormant. */
  eligible: (k: number, day: number) => boolean;
}

/**
 * The accounts in the order of the day their opening row falls on (a counting sort, stable: by account within a
 * day), with where each day's run starts; an account starting after the range is in none.
 */
function openingsByDay(startDay: Int32Array, fromDay: number, days: number) {
  const openingsFrom = new Int32Array(days + 1);
  for (const start of startDay) if (start - fromDay < days) (openingsFrom[start - fromDay + 1] as number)++;
  for (let d = 0; d < days; d++)
    openingsFrom[d + 1] = (openingsFrom[d + 1] as number) + (openingsFrom[d] as number);
  const openings = new Int32Array(openingsFrom[days] as number);
  const next = openingsFrom.slice(0, days);
  for (let k = 0; k < startDay.length; k++) {
    const d = (startDay[k] as number) - fromDay;
    if (d < days) openings[(next[d] as number)++] = k;
  }
  return { openings, openingsFrom };
}

function planTraffic(spec: TrafficSpec, a: Accounts, stats: TrafficStats): TrafficPlan {
  const days = spec.toDay - spec.fromDay;
  const planRng = new Random(spec.seed, 10);
  const startDay = new Int32Array(a.count);
  for (let k = 0; k < a.count; k++) startDay[k] = Math.max(a.openDay[k] as number, spec.fromDay);

  const { openings, openingsFrom } = openingsByDay(startDay, spec.fromDay, days);

  const episodes = planEpisodes(spec, a, startDay, planRng, stats);
  const weights: number[] = [];
  for (let d = 0; d < days; d++) weights.push(dayWeight(new Date((spec.fromDay + d) * DAY_MS), d / days));
  const episodesOf = new Map<number, Episode[]>();
  for (const e of episodes) {
    const list = episodesOf.get(e.day) ?? [];
    list.push(e);
    episodesOf.set(e.day, list);
  }
  return {
    spec,
    a,
    stats,
    openings,
    openingsFrom,
    perDay: spreadOverDays(Math.max(0, spec.transactions - a.count), weights),
    episodesOf,
    later: new Map(),
    accountTable: a.byActivity,
    eligible: (k, day) =>
      day > (startDay[k] as number) &&
      day < (a.closeDay[k] as number) &&
      !(day >= (a.dormantFrom[k] as number) && day < (a.dormantTo[k] as number)),
  };
}

/**
 * Places the day's episodes: a classic kind's rows on today's list, a story's rows on the day each falls on (today's
 * through `add`, later ones kept in `plan.later`). An episode that finds no account, or would run past the range, is
 * counted as skipped (the day's regular traffic takes its place).
 */
function placeDayEpisodes(plan: TrafficPlan, day: number, rng: Random, add: (c: Candidate) => void): void {
  const { a, stats } = plan;
  const book = (on: number, c: Candidate) => {
    if (on === day) return add(c);
    const list = plan.later.get(on);
    if (list) list.push(c);
    else plan.later.set(on, [c]);
  };
  for (const e of plan.episodesOf.get(day) ?? []) {
    const story = storyOf(e.kind);
    let placed = false;
    if (!story) {
      const push = (index: number, sec: number, type: number, title: string, recipient: string | null) =>
        add(episodeCandidate(e, index, sec, type, title, recipient));
      placed = placeEpisode(e, a, day, rng, plan.accountTable, plan.eligible, push);
    } else if (day + e.span < plan.spec.toDay) {
      const ctx: PlaceContext = { a, rng, day, table: plan.accountTable, eligible: plan.eligible, book };
      placed = story.place(e, ctx, new EpisodeWriter(e, ctx));
    }
    if (placed) stats.episodes[e.kind] = (stats.episodes[e.kind] ?? 0) + 1;
    else stats.skipped[e.kind] = (stats.skipped[e.kind] ?? 0) + 1;
  }
}

/**
 * Adds up to `want` regular rows on eligible accounts (salaries and other incoming transfers early in the month);
 * returns how many found no eligible account, to carry to the next day. A transfer to another account of the bank
 * takes two of them: its debit and the credit on the recipient's account.
 */
function addRegularRows(
  plan: TrafficPlan,
  day: number,
  want: number,
  rng: Random,
  add: (c: Candidate) => void,
): number {
  const { spec, a } = plan;
  const date = new Date(day * DAY_MS);
  const dom = date.getUTCDate();
  const peerOk = (x: number) => plan.eligible(x, day);
  for (let n = 0; n < want; n++) {
    const k = pickEligible(rng, plan.accountTable, a.count, (x) => plan.eligible(x, day));
    if (k < 0) return want - n;
    const accountType = ACCOUNT_TYPES[a.type[k] as number] ?? 'personal';
    const mix = TYPE_MIX[accountType];
    let type: number;
    if (accountType === 'personal' && dom <= 4 && rng.chance(0.12)) type = T_INCOMING;
    else type = rng.weightedIndex(mix);
    const salary = type === T_INCOMING && accountType === 'personal' && dom <= 4 && rng.chance(0.7);
    const c = regularCandidate(spec.seed, a, k, type, salary, rng, date, peerOk);
    add(c);
    if (c.peer >= 0 && n + 1 < want) {
      add(mirrorCandidate(c, a.iban.get(k), c.peer, Kind.Regular, undefined, 0));
      n++;
    } else if (c.peer >= 0) {
      // No room left today for its credit: the payee banks elsewhere.
      c.peer = -1;
      c.recipient = otherIban(ALL_COUNTRIES[a.country[k] as number] as string, rng);
    }
  }
  return 0;
}

/**
 * Generates the transactions of the whole range, in booking-time order, as rows for the loader; fills `labels`
 * with one anomaly_labels row per transaction of every injected episode and `stats` with the counts.
 */
export function* transactionRows(
  spec: TrafficSpec,
  a: Accounts,
  labels: LabelLog,
  stats: TrafficStats,
): Generator<Row> {
  const plan = planTraffic(spec, a, stats);
  let nextId = spec.firstTransactionId;
  const rowOf = (c: Candidate, rng: Random, day: number, prefix: string): Row => {
    const row = finalise(spec, a, c, rng, day, prefix, nextId, stats);
    if (c.episode) {
      labels.add(nextId, c.episode);
      stats.labelledRows[c.episode.kind] = (stats.labelledRows[c.episode.kind] ?? 0) + 1;
    }
    nextId++;
    return row;
  };
  let carry = 0;
  for (let d = 0; d < plan.perDay.length; d++) {
    const day = spec.fromDay + d;
    const rng = new Random(spec.seed, 11, d);
    const candidates: Candidate[] = [];
    let seq = 0;
    const add = (c: Candidate) => {
      c.seq = seq++;
      candidates.push(c);
    };
    const opening = { from: plan.openingsFrom[d] as number, to: plan.openingsFrom[d + 1] as number };
    // Balances brought forward (the range's first day: most of the accounts) are made as they are written, below.
    for (let i = opening.from; i < opening.to; i++)
      if (!broughtForward(spec, a, plan.openings[i] as number))
        add(openingCandidate(spec.fromDay, a, plan.openings[i] as number, rng));
    const openings = candidates.length;
    for (const c of plan.later.get(day) ?? []) add(c);
    plan.later.delete(day);
    placeDayEpisodes(plan, day, rng, add);
    // The day's episode rows take their place among its rows; more than the day holds come off the next days.
    const want = (plan.perDay[d] as number) + carry - (candidates.length - openings);
    carry = want < 0 ? want : addRegularRows(plan, day, want, rng, add);

    candidates.sort((x, y) => x.sec - y.sec || x.seq - y.seq);
    const prefix = `${isoOfDay(day)} `;
    // At 00:00:00 and added before any other row, they would have sorted first.
    for (let i = opening.from; i < opening.to; i++)
      if (broughtForward(spec, a, plan.openings[i] as number))
        yield rowOf(openingCandidate(spec.fromDay, a, plan.openings[i] as number, rng), rng, day, prefix);
    for (const c of candidates) yield rowOf(c, rng, day, prefix);
  }
}

/** An account older than the range: its first row is its balance brought forward, at 00:00:00 of the first day. */
function broughtForward(spec: TrafficSpec, a: Accounts, k: number): boolean {
  return (a.openDay[k] as number) < spec.fromDay;
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

/** An opening deposit: some months of income (much more for savings). */
function openingCents(a: Accounts, k: number, rng: Random): number {
  const accountType = ACCOUNT_TYPES[a.type[k] as number] ?? 'personal';
  const factor =
    accountType === 'savings'
      ? rng.logNormal(4, 0.9)
      : accountType === 'business'
        ? rng.float(0.5, 2)
        : rng.float(0.3, 3);
  return toCents((a.income[k] as number) * factor);
}

/**
 * A regular row's amount in cents. A debit the account cannot cover (business accounts have an overdraft) shrinks
 * to part of what is available, or — when that would be under 5 units — the row becomes an incoming transfer
 * (`c` is rewritten: type, title, recipient).
 */
function regularCents(a: Accounts, c: Candidate, rng: Random): number {
  const k = c.acc;
  const currency = CURRENCIES[a.currency[k] as number] as string;
  const step = c.type === T_ATM ? cashStep(currency) : 0.01;
  const cents = toCents(c.units, step);
  if (TRANSACTION_TYPES[c.type]?.direction !== 'debit') return cents;
  const income = a.income[k] as number;
  const overdraft = ACCOUNT_TYPES[a.type[k] as number] === 'business' ? income * 50 : 0;
  const available = (a.balanceCents[k] as number) + overdraft;
  if (cents <= available) return cents;
  const shrunk = Math.floor((available * rng.float(0.2, 0.8)) / (step * 100)) * step * 100;
  if (shrunk >= 500) return shrunk;
  c.type = T_INCOMING;
  c.title = rng.pick(INCOMING_TITLES);
  c.recipient = null;
  c.peer = -1;
  return toCents(income * rng.logNormal(0.15, 0.6));
}

/**
 * Pending only in the last two days, some cancelled; openings, salaries and episodes always complete; the credit of
 * a transfer between two of the bank's accounts has its debit's status.
 */
function rowStatus(spec: TrafficSpec, c: Candidate, day: number, rng: Random): string {
  if (c.kind !== Kind.Regular || c.salary) return 'completed';
  if (c.source) return c.source.status;
  if (day >= spec.toDay - 2 && rng.chance(0.3)) return 'pending';
  if (rng.chance(0.012)) return 'cancelled';
  return 'completed';
}

/** Books a completed row on its account (balance, history, countries paid); returns the balance after it. */
function bookCompleted(a: Accounts, c: Candidate, cents: number, signed: number): string {
  const k = c.acc;
  const next = (a.balanceCents[k] as number) + signed;
  a.balanceCents[k] = next;
  a.txCount[k] = (a.txCount[k] as number) + 1;
  // The account's own history, as the detector will see it: regular debits only.
  if (c.kind === Kind.Regular && signed < 0 && cents > (a.maxDebitCents[k] as number))
    a.maxDebitCents[k] = cents;
  // Countries paid: a credit names its payer, which is no country the account paid.
  if (c.recipient && signed < 0) {
    const country = ALL_COUNTRIES.indexOf(c.recipient.slice(0, 2));
    if (country >= 0) a.countriesSeen[k] = (a.countriesSeen[k] as number) | (1 << country);
  }
  return formatCents(next);
}

/** The candidate's final row: its amount against the account's balance now, its status, the balance after it. */
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
  const rawCents =
    c.kind === Kind.Opening
      ? openingCents(a, k, rng)
      : c.kind === Kind.Episode && c.episode
        ? episodeRowCents(a, c, () => episodeCents(c.episode as Episode, c.index, a, k, rng))
        : c.source
          ? mirrorCents(a, c, rng)
          : regularCents(a, c, rng);
  const cents = Math.round(rawCents);
  const signed = TRANSACTION_TYPES[c.type]?.direction === 'debit' ? -cents : cents;
  const status = rowStatus(spec, c, day, rng);
  c.cents = cents;
  c.status = status;
  let balanceAfter: string | null = null;
  if (status === 'completed') {
    balanceAfter = bookCompleted(a, c, cents, signed);
    stats.completed++;
  } else if (status === 'pending') stats.pending++;
  else stats.cancelled++;
  stats.transactions++;

  return [
    id,
    a.firstId + k,
    spec.typeIds[c.type] as number,
    prefix + clock(c.sec),
    formatCents(signed),
    CURRENCIES[a.currency[k] as number] as string,
    balanceAfter,
    c.recipient,
    status,
    c.title,
  ];
}
