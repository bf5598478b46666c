/**
 * The plan of the injected episodes: which kinds, on which day, how large — drawn up front for the whole range from
 * one random stream, so the same seed gives the same plan. Every anomaly kind in turn until their rows reach the
 * anomaly rate, then the decoys. The classic kinds (lib/seed/episodes.ts) draw their size here; the others (flows,
 * networks, recurring decoys) are planned by their own story (`storyOf`), which also places them on the day.
 */
import { ANOMALY_KINDS, DECOY_KINDS, type DecoyKind } from '../domain/bank.js';
import { DECOY_STORIES } from './decoys.js';
import type { Episode, EpisodeCounts, EpisodeKind, EpisodePlanSpec } from './episodes.js';
import { FLOW_STORIES, type Story } from './flow-episodes.js';
import { ACCOUNT_TYPES } from './model.js';
import { NETWORK_STORIES } from './network-episodes.js';
import { type Accounts, DAY_MS } from './population.js';
import type { Random } from './random.js';

const STORIES: Readonly<Record<string, Story>> = { ...FLOW_STORIES, ...NETWORK_STORIES, ...DECOY_STORIES };

/** The story that plans and places an episode of `kind`; undefined for the classic one-account kinds. */
export function storyOf(kind: EpisodeKind): Story | undefined {
  return STORIES[kind];
}

/** Rows of the classic kinds: [min, max]. */
const SIZE: Readonly<Partial<Record<EpisodeKind, [number, number]>>> = {
  'amount-spike': [1, 1],
  burst: [8, 12],
  'rapid-drain': [4, 6],
  'new-country': [1, 1],
  structuring: [3, 5],
  'dormant-reactivation': [3, 5],
  'decoy-bonus': [1, 1],
  'decoy-house-deposit': [1, 1],
};

/**
 * Makes episodes of a kind on a random day from `minDay`, numbered from the plan's first id; a story's episode ends
 * before the range's last three days (its later rows must fall in the range).
 */
function episodeMaker(spec: EpisodePlanSpec, minDay: number, rng: Random): (kind: EpisodeKind) => Episode {
  let id = spec.firstEpisodeId;
  return (kind) => {
    const [lo, hi] = SIZE[kind] ?? [0, 0];
    const e: Episode = {
      id: id++,
      kind,
      day: rng.int(minDay, spec.toDay - 1),
      size: rng.int(lo, hi),
      span: 0,
      shape: [],
      account: -1,
      note: '',
      totalCents: 0,
      shares: [],
      mules: [],
      country: -1,
    };
    const story = STORIES[kind];
    if (story) {
      story.plan(e, rng, spec.fromDay, spec.toDay);
      if (e.day + e.span > spec.toDay - 3) e.day = Math.max(minDay, spec.toDay - 3 - e.span);
    }
    return e;
  };
}

/** Days from `minDay` on which bonuses are paid: 10–20 December or March. */
function bonusDays(minDay: number, toDay: number): number[] {
  const days: number[] = [];
  for (let d = minDay; d < toDay; d++) {
    const dt = new Date(d * DAY_MS);
    if ((dt.getUTCMonth() === 11 || dt.getUTCMonth() === 2) && dt.getUTCDate() >= 10 && dt.getUTCDate() <= 20)
      days.push(d);
  }
  return days;
}

/**
 * Every anomaly kind in turn until the labelled rows reach anomaly-rate × transactions (at least one round), then
 * a quarter as many decoys (at least one of each kind) — all within the rows left after the accounts' opening rows.
 */
function planKinds(
  spec: EpisodePlanSpec,
  accountCount: number,
  make: (kind: EpisodeKind) => Episode,
  minDay: number,
  rng: Random,
): Episode[] {
  const target = Math.max(1, Math.round(spec.anomalyRate * spec.transactions));
  const budget = spec.transactions - accountCount;
  let rows = 0;
  const planned: Episode[] = [];
  for (let round = 0; rows < target || round === 0; round++) {
    for (const kind of ANOMALY_KINDS) {
      const e = make(kind);
      if (rows + e.size > budget) break;
      planned.push(e);
      rows += e.size;
    }
    if (rows + 12 > budget) break;
  }
  const decoys = Math.max(DECOY_KINDS.length, Math.round(planned.length * 0.25));
  for (let i = 0; i < decoys && rows < budget; i++) {
    const e = make(DECOY_KINDS[i % DECOY_KINDS.length] as DecoyKind);
    if (rows + e.size > budget) continue;
    if (e.kind === 'decoy-bonus') {
      // Bonuses are paid in December or March when the range has one.
      const candidates = bonusDays(minDay, spec.toDay);
      if (candidates.length > 0) e.day = rng.pick(candidates);
    }
    planned.push(e);
    rows += e.size;
  }
  return planned;
}

/**
 * A dormant account must be silent for a long stretch before its reactivation day: each dormant-reactivation
 * episode moves to a day late enough and reserves an account old enough, silent from `gap` days before it.
 */
function reserveDormantAccounts(
  spec: EpisodePlanSpec,
  planned: Episode[],
  a: Accounts,
  startDay: Int32Array,
  rng: Random,
): void {
  const days = spec.toDay - spec.fromDay;
  const gap = Math.min(180, Math.floor(days * 0.5));
  for (const e of planned) {
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
}

/**
 * Plans the episodes of the whole range (none when the anomaly rate is 0) and zeroes their counters in `counts`.
 * `startDay` is each account's first day in the range.
 */
export function planEpisodes(
  spec: EpisodePlanSpec,
  a: Accounts,
  startDay: Int32Array,
  rng: Random,
  counts: EpisodeCounts,
): Episode[] {
  for (const kind of [...ANOMALY_KINDS, ...DECOY_KINDS]) {
    counts.episodes[kind] = 0;
    counts.labelledRows[kind] = 0;
  }
  if (spec.anomalyRate <= 0) return [];
  const days = spec.toDay - spec.fromDay;
  const minDay = spec.fromDay + Math.min(30, Math.floor(days / 3));
  const planned = planKinds(spec, a.count, episodeMaker(spec, minDay, rng), minDay, rng);
  reserveDormantAccounts(spec, planned, a, startDay, rng);
  return planned;
}
