/**
 * The client's own history for the `velocity` rule (velocity.ts), kept small enough to save with every client: one
 * record per day on which the client paid anything within the last `historyDays`, holding that day's peaks — the
 * most payments and the largest sum any of the rule's trailing windows (1 h, 24 h, 7 d) reached at one of the day's
 * payments. A day without a record had no payment: its peaks are zero. Nothing else of the past is kept.
 *
 * The client's usual peak of a window is the `rank`-th highest day among the days that ended before the window
 * being judged starts (a burst never excuses itself), so one earlier outlier does not make the next look normal,
 * while a peak that comes back every month (rent and bills on the first) is usual after two months.
 */
import type { StateReader, StateWriter } from './state-codec.js';
import { DAY } from './stats.js';

/** The peaks one day reached, per window: [count of window 0, sum of window 0, count of window 1, …]. */
export type Peaks = number[];

/** The client's usual peak of one window, from its own days only. */
export interface OwnPeak {
  count: number;
  sum: number;
  /** The days of the history this comes from (the rest of the history is before the client was known). */
  days: number;
}

/** UTC day number of a time (ms). */
export function dayOf(time: number): number {
  return Math.floor(time / DAY);
}

export class DayPeaks {
  /** Ascending days with a payment, and their peaks (2 values per window, as Peaks). */
  days: number[] = [];
  peaks: Peaks[] = [];

  get empty(): boolean {
    return this.days.length === 0;
  }

  /** Forgets days before `firstDay`. */
  expire(firstDay: number): void {
    let drop = 0;
    while (drop < this.days.length && (this.days[drop] as number) < firstDay) drop++;
    if (drop === 0) return;
    this.days.splice(0, drop);
    this.peaks.splice(0, drop);
  }

  /** Raises `day`'s peaks to `figures` where they are higher (days come in order: `day` is the latest or a new one). */
  record(day: number, figures: readonly number[]): void {
    const last = this.days.length - 1;
    if (this.days[last] !== day) {
      this.days.push(day);
      this.peaks.push([...figures]);
      return;
    }
    const peaks = this.peaks[last] as Peaks;
    for (let i = 0; i < peaks.length; i++) peaks[i] = Math.max(peaks[i] as number, figures[i] as number);
  }

  /**
   * Window `w`'s usual peak over the days from `fromDay` up to (not including) `toDay`, counting only those from
   * `knownDay` on as observed: the `rank`-th highest count and (separately) sum, zero when fewer days had any.
   */
  usual(w: number, fromDay: number, toDay: number, knownDay: number, rank: number): OwnPeak {
    const counts = new TopValues(rank);
    const sums = new TopValues(rank);
    let earliest = toDay;
    for (let i = 0; i < this.days.length; i++) {
      const day = this.days[i] as number;
      if (day < fromDay) continue;
      if (day >= toDay) break;
      earliest = Math.min(earliest, day);
      const peaks = this.peaks[i] as Peaks;
      counts.add(peaks[2 * w] as number);
      sums.add(peaks[2 * w + 1] as number);
    }
    // Days with a record are observed, whatever the account's opening says (another account of the client).
    const observedFrom = Math.max(fromDay, Math.min(knownDay, earliest));
    return { count: counts.last(), sum: sums.last(), days: Math.max(0, toDay - observedFrom) };
  }

  /** Writes the records: the number of values per day, the number of days, then each day and its peaks. */
  save(out: StateWriter): void {
    out.put(this.peaks[0]?.length ?? 0);
    out.put(this.days.length);
    for (let i = 0; i < this.days.length; i++) {
      out.put(this.days[i] as number);
      for (const value of this.peaks[i] as Peaks) out.put(value);
    }
  }

  /** Reads what `save` wrote. */
  static restore(input: StateReader): DayPeaks {
    const history = new DayPeaks();
    const width = input.count(64);
    const n = input.count();
    for (let i = 0; i < n; i++) {
      const day = input.next();
      const peaks: Peaks = [];
      for (let k = 0; k < width; k++) peaks.push(input.next());
      history.days.push(day);
      history.peaks.push(peaks);
    }
    return history;
  }
}

/** The `rank` highest values added, highest first (rank is small: an insertion, no sort). */
class TopValues {
  private readonly top: number[] = [];

  constructor(private readonly rank: number) {}

  add(value: number): void {
    const top = this.top;
    if (top.length === this.rank && value <= (top[top.length - 1] as number)) return;
    let i = Math.min(top.length, this.rank - 1);
    top[i] = value;
    while (i > 0 && (top[i - 1] as number) < value) {
      top[i] = top[i - 1] as number;
      top[--i] = value;
    }
  }

  /** The `rank`-th highest (1: the highest), 0 when fewer values were added. */
  last(): number {
    return this.top.length < this.rank ? 0 : (this.top[this.rank - 1] as number);
  }
}
