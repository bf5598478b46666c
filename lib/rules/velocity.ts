/**
 * Rule `velocity` (reason "unusual payment velocity"): a client paying out much more often, or much more money,
 * than it usually does within 1 hour, 24 hours or 7 days — measured from its debits alone, so it works on data
 * without balances (an imported CSV), where `rapid-transfers` cannot judge a series.
 *
 * At each debit the rule counts and sums the client's debits (all accounts) in each trailing window (inclusive)
 * and compares them with the client's usual peak of that window: the `usualRank`-th highest day of its last
 * `historyDays` days that ended before the window starts (velocity-history.ts). While the client is new — the
 * account paying, or the bank's data, began less than `historyDays` ago — that usual is blended with a retail
 * client's (the window's `prior`), in proportion to the share of the history the client was known:
 *
 *   usual = w × own + (1 − w) × prior,  w = days known / days of the history
 *
 * The bar of a window: max(`minCount`, `countMultiple` × usual count) payments, or — in at least max(`minSeries`,
 * `sumCountMultiple` × usual count) payments — a sum without the largest payment of max(`minSum`, `sumMultiple` ×
 * usual sum): one large payment is the amount rules' business, more money in more payments than usual is velocity.
 * The excess (count or sum over its bar, the larger) sets the score: the window's `baseScore` at the bar (a short
 * window is more specific), `scorePerDoubling` more per doubling, up to `maxScore`. The window scoring highest wins
 * (the shortest on a tie). The burst is its latest payments that reach the bar on their own: those not flagged yet
 * are flagged, with the score as it stands, each with the ids of every payment in the window — so a growing burst
 * flags each new payment once, and a payment is never judged again. Payments another window flagged do not count in
 * a longer window: the card payment the morning after a burst is not part of that burst's day.
 *
 * Sums are in euros at the rates the reporting thresholds imply (EUR 10 000 = PLN 45 000 = GBP 8 500 …,
 * `eurRates`), so a burst split over a client's accounts in two currencies adds up; a debit in a currency without
 * a rate is counted but not summed. Every total per currency is in the evidence, unconverted.
 *
 * Memory (client scope, saved between scans): the debits of the longest window (at most MAX_EPISODE: four numbers
 * each) and one record of peaks per day with a debit within `historyDays` (velocity-history.ts). Decisions read only
 * the past, so a full scan and an incremental scan cut anywhere flag the same debits with the same scores.
 */
import { REPORTING_THRESHOLDS } from '../domain/bank.js';
import { defineRule, type Judging } from './rule.js';
import type { StateReader, StateWriter } from './state-codec.js';
import { capIds, cents, HOUR, isoMinute, MAX_EPISODE } from './stats.js';
import type { EpisodeTxn, Finding, Txn } from './types.js';
import { DayPeaks, dayOf, type OwnPeak } from './velocity-history.js';

/** One trailing window the rule measures. */
export interface VelocityWindow {
  /** As the evidence names it: '1 h', '24 h', '7 d'. */
  name: string;
  hours: number;
  /** Fewer payments than this in the window are never a finding by their count … */
  minCount: number;
  /** … and a sum below this (EUR) never one by its sum. */
  minSum: number;
  /** A retail client's usual peak of this window (payments, EUR): what a new client's own history is blended with. */
  prior: { count: number; sum: number };
  /**
   * The score of a finding at the bar: a short window is more specific (legitimate reasons for a busy week are
   * many — a holiday, a move — for ten payments in an hour few).
   */
  baseScore: number;
}

export interface VelocityConfig {
  enabled: boolean;
  windows: readonly VelocityWindow[];
  /** How many days of the client's own peaks are kept, and its usual peak is the `usualRank`-th highest of them. */
  historyDays: number;
  usualRank: number;
  /** A finding by count needs `countMultiple` × the usual count (and `minCount`). */
  countMultiple: number;
  /**
   * A finding by sum needs `sumMultiple` × the usual sum (and `minSum`) without the largest payment, in at least
   * `minSeries` payments and `sumCountMultiple` × the usual count: more money in more payments than usual.
   */
  sumMultiple: number;
  sumCountMultiple: number;
  minSeries: number;
  /** EUR per unit of each currency (the sums' common unit). */
  eurRates: Readonly<Record<string, number>>;
  /** Added to the window's `baseScore` per doubling of the excess (count or sum over its bar), up to `maxScore`. */
  scorePerDoubling: number;
  maxScore: number;
}

/** EUR per unit of each currency, as the reporting thresholds (the same amount in each currency) imply. */
const THRESHOLD_RATES = Object.fromEntries(
  Object.entries(REPORTING_THRESHOLDS).map(([currency, limit]) => [
    currency,
    (REPORTING_THRESHOLDS.EUR as number) / limit,
  ]),
);

const DEFAULTS: VelocityConfig = {
  enabled: true,
  windows: [
    { name: '1 h', hours: 1, minCount: 5, minSum: 1_000, prior: { count: 2, sum: 500 }, baseScore: 40 },
    { name: '24 h', hours: 24, minCount: 8, minSum: 2_000, prior: { count: 4, sum: 1_000 }, baseScore: 30 },
    { name: '7 d', hours: 168, minCount: 20, minSum: 5_000, prior: { count: 12, sum: 2_500 }, baseScore: 20 },
  ],
  historyDays: 70,
  usualRank: 2,
  countMultiple: 3,
  sumMultiple: 4,
  sumCountMultiple: 2,
  minSeries: 3,
  eurRates: THRESHOLD_RATES,
  scorePerDoubling: 10,
  maxScore: 70,
};

/**
 * A window as it stands at one debit: its payments (from `first` in the watch's items) and their sum and largest
 * in EUR — leaving out those another window flagged: a burst already found does not make a later payment part of
 * a longer window's burst.
 */
interface Measured {
  first: number;
  count: number;
  sum: number;
  largest: number;
  /** Payments in the window left out as another window's burst (flagged by it), and every payment's count and sum. */
  leftOut: number;
  allCount: number;
  allSum: number;
}

/** What a window must reach: `count` payments, or a `sum` without its largest payment in ≥ `series` payments. */
interface Bar {
  count: number;
  sum: number;
  series: number;
}

/** A window's figures against the client's usual: what the evidence says and what decides. */
interface Judged extends Measured {
  window: VelocityWindow;
  usual: { count: number; sum: number };
  own: OwnPeak;
  weight: number;
  bar: Bar;
  excess: number;
  score: number;
}

/**
 * What every watch of one configuration shares: the longest window, and scratch for each window as measured at the
 * debit being judged and its figures for the day's peaks (the engine judges one debit at a time). Made once per
 * configuration, not per client (an incremental scan restores thousands of watches).
 */
interface Shared {
  longest: number;
  measured: Measured[];
  figures: number[];
}

const shared = new WeakMap<VelocityConfig, Shared>();

function sharedOf(cfg: VelocityConfig): Shared {
  let s = shared.get(cfg);
  if (!s) {
    s = {
      longest: Math.max(...cfg.windows.map((w) => w.hours)) * HOUR,
      measured: cfg.windows.map(() => ({
        first: 0,
        count: 0,
        sum: 0,
        largest: 0,
        leftOut: 0,
        allCount: 0,
        allSum: 0,
      })),
      figures: cfg.windows.flatMap(() => [0, 0]),
    };
    shared.set(cfg, s);
  }
  return s;
}

/** One client's debits within the longest window (with the window that flagged each) and its day peaks. */
class VelocityWatch {
  items: EpisodeTxn[] = [];
  /** 0, or 1 + the index of the window whose burst the debit was flagged in. */
  flagged: number[] = [];
  /** Each debit's amount in EUR (not saved: worked out again on restore). */
  eur: number[] = [];
  history = new DayPeaks();
  private readonly longest: number;
  private readonly measured: Measured[];
  private readonly figures: number[];

  constructor(cfg: VelocityConfig) {
    const s = sharedOf(cfg);
    this.longest = s.longest;
    this.measured = s.measured;
    this.figures = s.figures;
  }

  push(t: Txn, j: Judging, cfg: VelocityConfig, out: Finding[]): void {
    this.expire(t.time, cfg);
    const item = j.item();
    this.items.push(item);
    this.flagged.push(0);
    this.eur.push(inEur(item, cfg));
    const known = dayOf(Math.max(j.ctx.historySince, j.account.openedAt));
    let best: Judged | undefined;
    // Every debit is measured in every window: plain loops over scratch objects the watch reuses.
    for (let k = 0; k < cfg.windows.length; k++) {
      const w = cfg.windows[k] as VelocityWindow;
      const m = this.measure(t.time, w, k);
      const judged = judgeWindow(m, w, k, t.time, known, this.history, cfg);
      if (judged && (!best || judged.score > best.score)) best = judged;
      this.figures[2 * k] = m.allCount;
      this.figures[2 * k + 1] = m.allSum;
    }
    if (best) this.emit(best, cfg, out);
    this.history.record(dayOf(t.time), this.figures);
  }

  /** Forgets debits older than the longest window (and the oldest beyond MAX_EPISODE) and days beyond the history. */
  expire(now: number, cfg: VelocityConfig): void {
    let drop = 0;
    while (drop < this.items.length && now - (this.items[drop] as EpisodeTxn).time > this.longest) drop++;
    if (this.items.length - drop >= MAX_EPISODE) drop = this.items.length - MAX_EPISODE + 1;
    if (drop > 0) {
      this.items.splice(0, drop);
      this.flagged.splice(0, drop);
      this.eur.splice(0, drop);
    }
    this.history.expire(dayOf(now) - cfg.historyDays);
  }

  /** The debits within window `w` (the `k`-th) before `now`, inclusive (see Measured). */
  private measure(now: number, w: VelocityWindow, k: number): Measured {
    const m = this.measured[k] as Measured;
    m.first = this.items.length;
    m.count = 0;
    m.sum = 0;
    m.largest = 0;
    m.leftOut = 0;
    m.allCount = 0;
    m.allSum = 0;
    for (let i = this.items.length - 1; i >= 0; i--) {
      if (now - (this.items[i] as EpisodeTxn).time > w.hours * HOUR) break;
      m.first = i;
      const eur = this.eur[i] as number;
      m.allCount++;
      m.allSum += eur;
      if (!this.countsIn(i, k)) {
        m.leftOut++;
        continue;
      }
      m.count++;
      m.sum += eur;
      m.largest = Math.max(m.largest, eur);
    }
    return m;
  }

  /** Whether the `i`-th debit counts in window `k`: not flagged by another window. */
  private countsIn(i: number, k: number): boolean {
    const flag = this.flagged[i] as number;
    return flag === 0 || flag === k + 1;
  }

  /**
   * Flags the burst of the winning window: its latest payments that reach the bar on their own (earlier ones in
   * the window are named in the evidence, not flagged), those not flagged yet.
   */
  private emit(best: Judged, cfg: VelocityConfig, out: Finding[]): void {
    const k = cfg.windows.indexOf(best.window);
    const burst: EpisodeTxn[] = [];
    for (let i = best.first; i < this.items.length; i++)
      if (this.countsIn(i, k)) burst.push(this.items[i] as EpisodeTxn);
    const ids = burst.map((t) => t.id);
    const evidence = evidenceOf(best, burst, cfg);
    for (let i = this.burstStart(best, k); i < this.items.length; i++) {
      if (this.flagged[i] || !this.countsIn(i, k)) continue;
      this.flagged[i] = k + 1;
      const t = this.items[i] as EpisodeTxn;
      out.push({
        transactionId: t.id,
        time: t.time,
        ruleId: 'velocity',
        score: best.score,
        related: ids.filter((id) => id !== t.id),
        evidence,
      });
    }
  }

  /** Where the latest payments of window `k` that reach the bar on their own begin. */
  private burstStart(best: Judged, k: number): number {
    let count = 0;
    let sum = 0;
    let largest = 0;
    for (let i = this.items.length - 1; i > best.first; i--) {
      if (!this.countsIn(i, k)) continue;
      const eur = this.eur[i] as number;
      count++;
      sum += eur;
      largest = Math.max(largest, eur);
      if (excessOver(best.bar, count, sum, largest) >= 1) return i;
    }
    return best.first;
  }

  /** The earliest debit a later window may still flag. */
  oldestOpen(): number {
    for (let i = 0; i < this.items.length; i++)
      if (!this.flagged[i]) return (this.items[i] as EpisodeTxn).time;
    return Number.POSITIVE_INFINITY;
  }

  /**
   * Writes the debits as the rule needs them — their currencies once, then of each its id, time, amount, and its
   * currency's index and flag in one number: four numbers a debit, for a window of up to MAX_EPISODE of them — then
   * the day peaks.
   */
  save(out: StateWriter, cfg: VelocityConfig): void {
    const flags = cfg.windows.length + 1;
    out.put(flags);
    const currencies = [...new Set(this.items.map((t) => t.currency))];
    out.put(currencies.length);
    for (const code of currencies) out.putCode(code);
    out.put(this.items.length);
    this.items.forEach((t, i) => {
      out.put(t.id);
      out.put(t.time);
      out.put(t.amount);
      out.put(currencies.indexOf(t.currency) * flags + (this.flagged[i] as number));
    });
    this.history.save(out);
  }

  /** Reads what `save` wrote; a memory saved with another number of windows (the settings changed) is dropped. */
  static restore(input: StateReader, cfg: VelocityConfig): VelocityWatch {
    const watch = new VelocityWatch(cfg);
    const flags = input.count(64);
    const currencies: string[] = [];
    for (let i = 0, n = input.count(64); i < n; i++) currencies.push(input.code());
    for (let i = 0, n = input.count(MAX_EPISODE); i < n; i++) {
      const id = input.next();
      const time = input.next();
      const amount = input.next();
      const code = input.count(currencies.length * flags - 1);
      const currency = currencies[Math.floor(code / flags)] as string;
      const item: EpisodeTxn = { id, time, amount, currency, balanceAfter: null, recipient: null };
      watch.items.push(item);
      watch.flagged.push(code % flags);
      watch.eur.push(inEur(item, cfg));
    }
    watch.history = DayPeaks.restore(input);
    return flags === cfg.windows.length + 1 ? watch : new VelocityWatch(cfg);
  }
}

/** A debit's amount in EUR (0 for a currency without a rate: counted, not summed). */
function inEur(t: EpisodeTxn, cfg: VelocityConfig): number {
  return -t.amount * (cfg.eurRates[t.currency] ?? 0);
}

/** Window `w` (the `k`-th) against the client's usual: the verdict when it is a finding. */
function judgeWindow(
  m: Measured,
  w: VelocityWindow,
  k: number,
  now: number,
  knownDay: number,
  history: DayPeaks,
  cfg: VelocityConfig,
): Judged | undefined {
  // Below both floors no usual can make it a finding: most debits stop here, before the history is read.
  if (m.count < w.minCount && (m.count < cfg.minSeries || m.sum - m.largest < w.minSum)) return undefined;
  const fromDay = dayOf(now) - cfg.historyDays;
  const toDay = dayOf(now - w.hours * HOUR);
  const own = history.usual(k, fromDay, toDay, knownDay, cfg.usualRank);
  const weight = Math.min(1, own.days / Math.max(1, toDay - fromDay));
  const usual = {
    count: weight * own.count + (1 - weight) * w.prior.count,
    sum: weight * own.sum + (1 - weight) * w.prior.sum,
  };
  const bar: Bar = {
    count: Math.max(w.minCount, cfg.countMultiple * usual.count),
    sum: Math.max(w.minSum, cfg.sumMultiple * usual.sum),
    series: Math.max(cfg.minSeries, cfg.sumCountMultiple * usual.count),
  };
  const excess = excessOver(bar, m.count, m.sum, m.largest);
  if (excess < 1) return undefined;
  const score = Math.min(cfg.maxScore, w.baseScore + cfg.scorePerDoubling * Math.log2(excess));
  return { ...m, window: w, usual, own, weight, bar, excess, score: Math.round(score * 100) / 100 };
}

/** How far `count` payments summing to `sum` (largest `largest`) are beyond the bar: ≥ 1 is a finding. */
function excessOver(bar: Bar, count: number, sum: number, largest: number): number {
  const byCount = count / bar.count;
  const bySum = count >= bar.series ? (sum - largest) / bar.sum : 0;
  return Math.max(byCount, bySum);
}

/** What the analyst reads: the winning window against the client's usual and the bar, and its payments. */
function evidenceOf(
  best: Judged,
  burst: readonly EpisodeTxn[],
  cfg: VelocityConfig,
): Record<string, unknown> {
  const totals: Record<string, number> = {};
  const rates: Record<string, number | null> = {};
  for (const t of burst) {
    totals[t.currency] = cents((totals[t.currency] ?? 0) - t.amount);
    const rate = cfg.eurRates[t.currency];
    if (t.currency !== 'EUR')
      rates[t.currency] = rate === undefined ? null : Math.round(rate * 10_000) / 10_000;
  }
  const first = burst[0] as EpisodeTxn;
  const last = burst[burst.length - 1] as EpisodeTxn;
  return {
    window: {
      name: best.window.name,
      hours: best.window.hours,
      from: isoMinute(first.time),
      to: isoMinute(last.time),
    },
    payments: best.count,
    totalEur: cents(best.sum),
    largestEur: cents(best.largest),
    totalsByCurrency: totals,
    usual: {
      payments: cents(best.usual.count),
      totalEur: cents(best.usual.sum),
      own: { payments: best.own.count, totalEur: cents(best.own.sum), days: best.own.days },
      prior: best.window.prior,
      ownWeight: cents(best.weight),
    },
    timesUsual: { payments: ratio(best.count, best.usual.count), totalEur: ratio(best.sum, best.usual.sum) },
    timesBar: cents(best.excess),
    ...(best.leftOut ? { leftOutAsEarlierBurst: best.leftOut } : {}),
    thresholds: {
      payments: cents(best.bar.count),
      totalEurWithoutLargest: cents(best.bar.sum),
      paymentsForTotal: cents(best.bar.series),
      countMultiple: cfg.countMultiple,
      sumMultiple: cfg.sumMultiple,
      sumCountMultiple: cfg.sumCountMultiple,
      minSeries: cfg.minSeries,
      usualRank: cfg.usualRank,
      historyDays: cfg.historyDays,
      ...(Object.keys(rates).length ? { eurRates: rates } : {}),
    },
    relatedTransactionIds: capIds(burst.map((t) => t.id)),
  };
}

/** `a` over `b` to the cent, or null when `b` is 0 (a client whose usual is nothing). */
function ratio(a: number, b: number): number | null {
  return b > 0 ? cents(a / b) : null;
}

/** Judged per client (across its accounts), debits only, in booking order (late ones are left out). */
export const velocity = defineRule({
  id: 'velocity',
  reason: 'unusual payment velocity',
  scope: 'client',
  signal: 'velocity',
  judgesLate: false,
  defaults: DEFAULTS,
  reachDays: (cfg) => cfg.historyDays + Math.max(...cfg.windows.map((w) => w.hours)) / 24,
  accepts: (t) => t.direction === 'debit',
  remember: (cfg) => new VelocityWatch(cfg),
  push: (watch, t, j, cfg, out) => watch.push(t, j, cfg, out),
  advance: (watch, now, cfg) => watch.expire(now, cfg),
  oldestOpen: (watch) => watch.oldestOpen(),
  isEmpty: (watch) => watch.items.length === 0 && watch.history.empty,
  save: (watch, out, cfg) => watch.save(out, cfg),
  restore: (input, cfg) => VelocityWatch.restore(input, cfg),
});
