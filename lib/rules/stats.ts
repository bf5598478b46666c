/**
 * Small statistics the rules share: a rolling window of recent amounts with median and MAD (robust to the very
 * outliers we look for), grouping a timeline by account, and reading a country from an IBAN.
 */
import type { Txn } from './types.js';

export const MINUTE = 60_000;
export const HOUR = 60 * MINUTE;
export const DAY = 24 * HOUR;

/** Median of an ascending array (undefined when empty). */
export function medianOfSorted(sorted: readonly number[]): number | undefined {
  const n = sorted.length;
  if (n === 0) return undefined;
  const mid = n >> 1;
  return n % 2 ? (sorted[mid] as number) : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
}

/** Median absolute deviation around `median`. */
export function mad(values: readonly number[], median: number): number {
  const deviations = values.map((v) => Math.abs(v - median)).sort((a, b) => a - b);
  return medianOfSorted(deviations) ?? 0;
}

/**
 * The last `size` values seen within a time horizon, kept sorted so the median is O(1) and an insert O(size).
 * Feed it in time order: `expire(now - horizon)`, read `median()`, then `add(now, value)`.
 */
export class RollingSample {
  private readonly sorted: number[] = [];
  private readonly queue: Array<{ time: number; value: number }> = [];
  private head = 0;

  constructor(private readonly size: number) {}

  get count(): number {
    return this.queue.length - this.head;
  }

  /** Drops values recorded before `time`. */
  expire(time: number): void {
    while (this.head < this.queue.length && (this.queue[this.head] as { time: number }).time < time) {
      this.removeOldest();
    }
  }

  add(time: number, value: number): void {
    if (this.size <= 0) return;
    if (this.count >= this.size) this.removeOldest();
    this.queue.push({ time, value });
    this.sorted.splice(this.lowerBound(value), 0, value);
    if (this.head > 1024 && this.head * 2 > this.queue.length) {
      this.queue.splice(0, this.head);
      this.head = 0;
    }
  }

  median(): number | undefined {
    return medianOfSorted(this.sorted);
  }

  max(): number | undefined {
    return this.sorted[this.sorted.length - 1];
  }

  mad(): number {
    const median = this.median();
    return median === undefined ? 0 : mad(this.sorted, median);
  }

  private removeOldest(): void {
    const oldest = this.queue[this.head++] as { value: number };
    this.sorted.splice(this.lowerBound(oldest.value), 1);
  }

  private lowerBound(value: number): number {
    let lo = 0;
    let hi = this.sorted.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if ((this.sorted[mid] as number) < value) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }
}

/** The transactions of each account, in the timeline's order. */
export function byAccount(txns: readonly Txn[]): Map<number, Txn[]> {
  const groups = new Map<number, Txn[]>();
  for (const t of txns) {
    const group = groups.get(t.accountId);
    if (group) group.push(t);
    else groups.set(t.accountId, [t]);
  }
  return groups;
}

/**
 * Normalises an IBAN-ish string (NULL and the legacy '' mean "no recipient").
 * @example normaliseIban(' de89 3704 0044 0532 0130 00') // 'DE89370400440532013000'
 */
export function normaliseIban(value: string | null | undefined): string | null {
  if (!value) return null;
  const iban = value.replace(/\s+/g, '').toUpperCase();
  return iban === '' ? null : iban;
}

/** The country of an IBAN: its first two letters, when they are letters followed by two check digits. */
export function ibanCountry(iban: string | null): string | null {
  if (!iban || !/^[A-Z]{2}[0-9]{2}/.test(iban)) return null;
  return iban.slice(0, 2);
}

/** Rounds money to cents for evidence. */
export function cents(value: number): number {
  return Math.round(value * 100) / 100;
}

/** 'YYYY-MM-DD HH:MM:SS' of a time in ms (UTC), for evidence. */
export function isoMinute(time: number): string {
  return new Date(time).toISOString().slice(0, 19).replace('T', ' ');
}

/** At most `max` ids, for evidence (an episode of hundreds of transfers keeps its first ones). */
export function capIds(ids: readonly number[], max = 50): number[] {
  return ids.length <= max ? [...ids] : ids.slice(0, max);
}

/**
 * Episodes of at least `minCount` items within `windowMs` (inclusive), items in time order. Overlapping or touching
 * qualifying windows merge into one episode. Returns each episode's items, oldest first.
 *
 * @example windowEpisodes(transfers, 10 * MINUTE, 5) // every burst of ≥ 5 transfers within 10 minutes
 */
export function windowEpisodes<T extends { time: number }>(
  items: readonly T[],
  windowMs: number,
  minCount: number,
): T[][] {
  const episodes: T[][] = [];
  if (minCount < 1) return episodes;
  let start = 0;
  let episodeFrom = -1;
  let episodeTo = -1;
  for (let i = 0; i < items.length; i++) {
    const now = (items[i] as T).time;
    while (now - (items[start] as T).time > windowMs) start++;
    if (i - start + 1 < minCount) continue;
    if (episodeTo >= start) {
      episodeTo = i;
    } else {
      if (episodeFrom >= 0) episodes.push(items.slice(episodeFrom, episodeTo + 1));
      episodeFrom = start;
      episodeTo = i;
    }
  }
  if (episodeFrom >= 0) episodes.push(items.slice(episodeFrom, episodeTo + 1));
  return episodes;
}
