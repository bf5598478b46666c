/**
 * Small statistics the rules share: a rolling window of recent amounts with median and MAD (robust to the very
 * outliers we look for), episode windows, and reading a country and a key from an IBAN.
 */
import type { StateReader, StateWriter } from './state-codec.js';

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

/**
 * Median absolute deviation of an ascending array around `median` (0 when empty). The deviations of the values
 * below `median` and of those above it are each in order walking outwards from it: merged that way up to the
 * middle, with no copy and no sort (the amount rules ask at every debit).
 */
export function mad(sorted: readonly number[], median: number): number {
  const n = sorted.length;
  if (n === 0) return 0;
  let hi = 0;
  while (hi < n && (sorted[hi] as number) < median) hi++;
  let lo = hi - 1;
  const mid = n >> 1;
  let previous = 0;
  let deviation = 0;
  for (let k = 0; k <= mid; k++) {
    previous = deviation;
    if (lo < 0) deviation = (sorted[hi++] as number) - median;
    else if (hi >= n) deviation = median - (sorted[lo--] as number);
    else {
      const below = median - (sorted[lo] as number);
      const above = (sorted[hi] as number) - median;
      if (below <= above) {
        deviation = below;
        lo--;
      } else {
        deviation = above;
        hi++;
      }
    }
  }
  return n % 2 ? deviation : (previous + deviation) / 2;
}

/**
 * The last `size` values seen within a time horizon, kept sorted so the median is O(1) and an insert O(size).
 * Feed it in time order: `expire(now - horizon)`, read `median()`, then `add(now, value)`. Times and values live in
 * plain number arrays (no object per value): the scan keeps one sample per account in memory.
 */
export class RollingSample {
  private readonly sorted: number[] = [];
  /** [time, value, time, value, …] from index `head`, oldest first. */
  private entriesFlat: number[] = [];
  private head = 0;

  constructor(private readonly size: number) {}

  get count(): number {
    return (this.entriesFlat.length - this.head) >> 1;
  }

  /** Drops values recorded before `time`. */
  expire(time: number): void {
    while (this.head < this.entriesFlat.length && (this.entriesFlat[this.head] as number) < time)
      this.removeOldest();
  }

  add(time: number, value: number): void {
    if (this.size <= 0) return;
    if (this.count >= this.size) this.removeOldest();
    if (this.head > 0 && this.head * 2 >= this.entriesFlat.length) this.compact();
    this.entriesFlat.push(time, value);
    this.insertSorted(value);
  }

  /** Puts `value` in its place in the sorted copy (samples are small: no comparator closure, no re-sort). */
  private insertSorted(value: number): void {
    const sorted = this.sorted;
    let i = sorted.length;
    sorted.push(value);
    while (i > 0 && (sorted[i - 1] as number) > value) {
      sorted[i] = sorted[i - 1] as number;
      i--;
    }
    sorted[i] = value;
  }

  /** Writes the values held (their count, then time and value of each, oldest first): the saved form. */
  saveTo(out: StateWriter): void {
    const flat = this.entriesFlat;
    out.put(this.count);
    for (let i = this.head; i + 1 < flat.length; i += 2) {
      out.put(flat[i] as number);
      out.put(flat[i + 1] as number);
    }
  }

  /** A sample of at most `size` values (the most recent) from the saved form saveTo wrote. */
  static restoreFrom(size: number, input: StateReader): RollingSample {
    const sample = new RollingSample(size);
    const n = input.count();
    const skip = Math.max(0, n - size);
    for (let i = 0; i < n; i++) {
      const time = input.next();
      const value = input.next();
      if (i >= skip) sample.entriesFlat.push(time, value);
    }
    for (let i = 1; i < sample.entriesFlat.length; i += 2)
      sample.insertSorted(sample.entriesFlat[i] as number);
    return sample;
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

  private compact(): void {
    const flat = this.entriesFlat;
    let j = 0;
    for (let i = this.head; i < flat.length; i++) flat[j++] = flat[i] as number;
    flat.length = j;
    this.head = 0;
  }

  private removeOldest(): void {
    const value = this.entriesFlat[this.head + 1] as number;
    this.head += 2;
    const sorted = this.sorted;
    let i = this.lowerBound(value);
    const last = sorted.length - 1;
    for (; i < last; i++) sorted[i] = sorted[i + 1] as number;
    sorted.length = last;
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

/** 32-bit FNV-1a of a recipient IBAN: tells recipients apart without keeping the IBAN. */
export function recipientKey(iban: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < iban.length; i++) {
    h ^= iban.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h | 0;
}

/**
 * Normalises an IBAN-ish string (NULL and the legacy '' mean "no recipient").
 * @example normaliseIban(' de89 3704 0044 0532 0130 00') // 'DE89370400440532013000'
 */
export function normaliseIban(value: string | null | undefined): string | null {
  if (!value) return null;
  // Stored IBANs are nearly always normal already (no space, no lower case, ASCII): a scan, not a rewrite.
  for (let i = 0; i < value.length; i++) {
    const c = value.charCodeAt(i);
    if (c <= 32 || (c >= 97 && c <= 122) || c > 126) {
      const iban = value.replace(/\s+/g, '').toUpperCase();
      return iban === '' ? null : iban;
    }
  }
  return value;
}

/** Whether `iban` starts with a country code and two check digits (two capitals, two digits). */
export function hasIbanCountry(iban: string): boolean {
  const a = iban.charCodeAt(0);
  const b = iban.charCodeAt(1);
  const c = iban.charCodeAt(2);
  const d = iban.charCodeAt(3);
  return a >= 65 && a <= 90 && b >= 65 && b <= 90 && c >= 48 && c <= 57 && d >= 48 && d <= 57;
}

/** The country of an IBAN: its first two letters, when they are letters followed by two check digits. */
export function ibanCountry(iban: string | null): string | null {
  if (!iban || !hasIbanCountry(iban)) return null;
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

/** An episode never holds more items than this: a longer one is handed out and a new one starts (bounded memory). */
export const MAX_EPISODE = 500;

/**
 * Episodes of at least `minCount` items within `windowMs` (inclusive), fed one item at a time in time order — the
 * streaming form the scan needs (an episode may span two scans). Overlapping or touching qualifying windows merge
 * into one episode. `push` and `advance` return an episode once it can no longer grow; `open` is the episode still
 * growing, if any. An episode reaching `maxEpisode` items is handed out and a new one starts.
 *
 * @example const w = new EpisodeWindow(10 * MINUTE, 5); for (const t of transfers) w.push(t); // bursts of ≥ 5 in 10 min
 */
export class EpisodeWindow<T extends { id: number; time: number }> {
  /** Items within `windowMs` of the latest one (they may still start or join an episode), from index `head`. */
  private items: T[] = [];
  private head = 0;
  /** The qualifying episode still able to grow, oldest first. */
  open: T[] | undefined;

  constructor(
    private readonly windowMs: number,
    private readonly minCount: number,
    private readonly maxEpisode = MAX_EPISODE,
  ) {}

  /** The items that may still start or join an episode, oldest first. */
  get window(): T[] {
    return this.items.slice(this.head);
  }

  set window(items: T[]) {
    this.items = items;
    this.head = 0;
  }

  /** Adds an item; returns the previous episode when this item starts a new one (it cannot grow any more). */
  push(item: T): T[] | undefined {
    this.expire(item.time);
    if (this.head > 16 && this.head * 2 >= this.items.length) {
      this.items = this.items.slice(this.head);
      this.head = 0;
    }
    const items = this.items;
    items.push(item);
    if (items.length - this.head > this.maxEpisode) this.head++;
    const size = items.length - this.head;
    if (this.minCount < 1 || size < this.minCount) return undefined;
    const open = this.open;
    if (open && open.length >= this.maxEpisode) {
      // An endless burst: hand out what it has, and let a new one start from this item.
      this.open = undefined;
      this.items = [item];
      this.head = 0;
      return open;
    }
    if (open) {
      const last = open[open.length - 1] as T;
      const at = items.lastIndexOf(last);
      if (at >= this.head) {
        for (let k = at + 1; k < items.length; k++) open.push(items[k] as T);
        return undefined;
      }
    }
    this.open = items.slice(this.head);
    return open;
  }

  private expire(now: number): void {
    const items = this.items;
    while (this.head < items.length && now - (items[this.head] as T).time > this.windowMs) this.head++;
    if (this.head === items.length && this.head > 0) {
      items.length = 0;
      this.head = 0;
    }
  }

  /** Time moved on to `now` (nothing earlier will come): returns the open episode when it can no longer grow. */
  advance(now: number): T[] | undefined {
    this.expire(now);
    const open = this.open;
    const last = open?.[open.length - 1];
    if (open && last && now - last.time > this.windowMs) {
      this.open = undefined;
      return open;
    }
    return undefined;
  }

  /** The earliest time of an item that may still join or be part of a growing episode (Infinity when none). */
  oldest(): number {
    return Math.min(
      this.items[this.head]?.time ?? Number.POSITIVE_INFINITY,
      this.open?.[0]?.time ?? Number.POSITIVE_INFINITY,
    );
  }

  get empty(): boolean {
    return this.head >= this.items.length && !this.open;
  }
}
