/**
 * Rule `unusual-location` (reason "unusual location"): a debit to a recipient whose country — the first two letters
 * of the IBAN — is not the client's own and that the client has not sent money to within `lookbackDays`, across all
 * their accounts. How unusual that is depends on the client's habit:
 *
 *   score = newClientScore           when the client has fewer than `minHistory` transactions (everything is "new")
 *         | habitualScore            when it paid ≥ `manyCountries` foreign countries within the lookback, or added
 *                                    ≥ `frequentAdds` new ones within `addWindowDays` (new countries are its habit)
 *         | score                    otherwise
 *         + amountBonus              when the amount is ≥ `amountFactor` × the client's median debit and ≥ its largest
 *         + listBonus                the highest bonus of the `countryRisk` lists (e.g. FATF's) naming the country
 *
 * The country-risk lists are data with a date: the operator must replace them when FATF publishes new ones (February,
 * June and October each year). The defaults were taken from FATF's public statements as of 21 February 2025.
 */
import { defineRule } from './rule.js';
import { DAY, RollingSample } from './stats.js';
import type { Finding, Txn } from './types.js';

export interface UnusualLocationConfig {
  enabled: boolean;
  /** Countries "used before": recipients of the client's debits within this many days. */
  lookbackDays: number;
  /** A client with fewer past transactions than this has no meaningful "before": lower score. */
  minHistory: number;
  score: number;
  newClientScore: number;
  /**
   * A client paying ≥ `manyCountries` foreign countries within the lookback, or that added ≥ `frequentAdds` new ones
   * within `addWindowDays`, is habitual (≤ `ADDS_KEPT` adds are remembered).
   */
  manyCountries: number;
  frequentAdds: number;
  addWindowDays: number;
  habitualScore: number;
  /**
   * A payment of at least `amountFactor` × the client's median debit and at least its largest debit within the
   * lookback (≥ minHistory debits known) adds `amountBonus`.
   */
  amountFactor: number;
  amountBonus: number;
  /** Countries whose payments add a list's `bonus`: named lists of ISO 3166-1 alpha-2 codes, each with its date. */
  countryRisk: CountryRiskList[];
}

export interface CountryRiskList {
  name: string;
  /** When the list was taken from its source (YYYY-MM-DD): replace it when the source publishes a new one. */
  takenOn: string;
  /** Added to the score of a payment to a listed country (the highest of the lists it is on). */
  bonus: number;
  codes: string[];
}

/** FATF's public lists as of its February 2025 plenary (https://www.fatf-gafi.org/en/countries/black-and-grey-lists.html). */
const FATF_LISTS: CountryRiskList[] = [
  {
    name: 'FATF high-risk jurisdictions subject to a call for action',
    takenOn: '2025-02-21',
    bonus: 25,
    codes: ['KP', 'IR', 'MM'],
  },
  {
    name: 'FATF jurisdictions under increased monitoring',
    takenOn: '2025-02-21',
    bonus: 10,
    codes: [
      'DZ',
      'AO',
      'BG',
      'BF',
      'CM',
      'CI',
      'HR',
      'CD',
      'HT',
      'KE',
      'LA',
      'LB',
      'ML',
      'MC',
      'MZ',
      'NA',
      'NP',
      'NG',
      'ZA',
      'SS',
      'SY',
      'TZ',
      'VE',
      'VN',
      'YE',
    ],
  },
];

const DEFAULTS: UnusualLocationConfig = {
  enabled: true,
  lookbackDays: 365,
  minHistory: 5,
  score: 45,
  newClientScore: 25,
  manyCountries: 6,
  frequentAdds: 3,
  addWindowDays: 90,
  habitualScore: 20,
  amountFactor: 3,
  amountBonus: 10,
  countryRisk: FATF_LISTS,
};

/** How many times of new countries added the memory keeps (enough to count `frequentAdds`). */
const ADDS_KEPT = 8;
/** How many of the client's recent debits make its amount baseline. */
const DEBITS_KEPT = 50;

/**
 * How many recent transactions of a client the rule remembers: enough to tell an established client apart
 * (at least `minHistory`), at least 10 for the evidence.
 */
function locationHistoryCap(cfg: Pick<UnusualLocationConfig, 'minHistory'>): number {
  return Math.max(10, cfg.minHistory);
}

/**
 * What the rule remembers of one client: when each recipient country was last paid, and the times of the client's
 * most recent transactions (up to `cap`, within the lookback).
 */
class LocationMemory {
  /** When each recipient country was last paid. */
  readonly lastUsed = new Map<string, number>();
  /** When the client last paid a country new to it (the latest `ADDS_KEPT`), oldest first. */
  addedAt: number[] = [];
  /** The client's recent debits (all accounts, amounts as positive numbers): its baseline for the amount. */
  debits = new RollingSample(DEBITS_KEPT);
  /** Times of the client's recent transactions, from index `head`. */
  private recent: number[] = [];
  private head = 0;

  constructor(private readonly cap: number) {}

  /** Judges `t` (a transaction of the client, in time order), then remembers it. */
  push(t: Txn, ownCountry: string, cfg: UnusualLocationConfig): Finding | undefined {
    const lookback = cfg.lookbackDays * DAY;
    const recent = this.recent;
    const debits = this.debits;
    debits.expire(t.time - lookback);
    while (this.head < recent.length && t.time - (recent[this.head] as number) > lookback) this.head++;
    const country = t.recipientCountry;
    let finding: Finding | undefined;
    if (t.direction === 'debit' && country) {
      const previous = this.lastUsed.get(country);
      const usedBefore = previous !== undefined && t.time - previous <= lookback;
      if (country !== ownCountry && !usedBefore) {
        finding = this.judgeNew(t, country, ownCountry, debits, cfg);
        this.addedAt.push(t.time);
        if (this.addedAt.length > ADDS_KEPT) this.addedAt.shift();
      }
      this.lastUsed.set(country, t.time);
    }
    if (t.direction === 'debit') debits.add(t.time, -t.amount);
    this.remember(t.time);
    return finding;
  }

  /** The finding on a payment to `country`, new for this client. */
  private judgeNew(
    t: Txn,
    country: string,
    ownCountry: string,
    debits: RollingSample,
    cfg: UnusualLocationConfig,
  ): Finding {
    const lookback = cfg.lookbackDays * DAY;
    const history = this.recent.length - this.head;
    const established = history >= cfg.minHistory;
    const countriesUsed = [...this.lastUsed.entries()]
      .filter(([c, time]) => t.time - time <= lookback && c !== ownCountry)
      .map(([c]) => c)
      .sort();
    const recentAdds = this.addedAt.filter((time) => t.time - time <= cfg.addWindowDays * DAY).length;
    const habitual = countriesUsed.length >= cfg.manyCountries || recentAdds >= cfg.frequentAdds;
    const median = debits.count >= cfg.minHistory ? (debits.median() ?? null) : null;
    const largest = median === null ? null : (debits.max() ?? null);
    // Large for this client: well above its usual debit and above anything it paid within the lookback.
    const large =
      median !== null &&
      largest !== null &&
      median > 0 &&
      -t.amount >= Math.max(cfg.amountFactor * median, largest);
    const lists = cfg.countryRisk.filter((l) => l.codes.includes(country));
    const base = !established ? cfg.newClientScore : habitual ? cfg.habitualScore : cfg.score;
    const score = base + (large ? cfg.amountBonus : 0) + Math.max(0, ...lists.map((l) => l.bonus));
    return {
      transactionId: t.id,
      time: t.time,
      ruleId: 'unusual-location',
      score,
      related: [],
      evidence: {
        recipientCountry: country,
        clientCountry: ownCountry,
        ...(t.recipient ? { recipient: t.recipient } : {}),
        amount: t.amount,
        currency: t.currency,
        countriesUsed,
        newCountriesAddedInLookback: recentAdds,
        habitual,
        clientMedianDebit: median,
        clientLargestDebit: largest,
        large,
        countryRiskLists: lists.map((l) => `${l.name} (taken ${l.takenOn})`),
        clientHistory: history,
        ...(history >= this.cap ? { clientHistoryCountedUpTo: this.cap } : {}),
        thresholds: {
          lookbackDays: cfg.lookbackDays,
          minHistory: cfg.minHistory,
          manyCountries: cfg.manyCountries,
          frequentAdds: cfg.frequentAdds,
          addWindowDays: cfg.addWindowDays,
          amountFactor: cfg.amountFactor,
        },
        ...(established ? {} : { note: 'little history: every country is new' }),
      },
    };
  }

  get empty(): boolean {
    return (
      this.lastUsed.size === 0 &&
      this.addedAt.length === 0 &&
      this.debits.count === 0 &&
      this.head >= this.recent.length
    );
  }

  /** Records a transaction time of the client (at most `cap` are kept). */
  remember(time: number): void {
    const recent = this.recent;
    recent.push(time);
    if (recent.length - this.head > this.cap) this.head++;
    if (this.head >= this.cap) {
      this.recent = recent.slice(this.head);
      this.head = 0;
    }
  }

  /** The recent transaction times kept, oldest first. */
  recentTimes(): number[] {
    return this.recent.slice(this.head);
  }

  /** Forgets countries last paid before `since` (they no longer count as used). */
  prune(since: number): void {
    for (const [country, time] of this.lastUsed) if (time < since) this.lastUsed.delete(country);
  }
}

/** Judged per client (all accounts together), every transaction, late ones too. */
export const unusualLocation = defineRule({
  id: 'unusual-location',
  reason: 'unusual location',
  scope: 'client',
  judgesLate: true,
  defaults: DEFAULTS,
  reachDays: (cfg) => cfg.lookbackDays,
  remember: (cfg) => new LocationMemory(locationHistoryCap(cfg)),
  push(memory, t, j, cfg, out) {
    const f = memory.push(t, j.clientCountry, cfg);
    if (f) out.push(f);
  },
  isEmpty: (memory) => memory.empty,
  /** Countries paid within the lookback with when each was last paid, then the recent transaction times. */
  save(memory, out, cfg) {
    const recent = memory.recentTimes();
    const latest = recent[recent.length - 1];
    if (latest !== undefined) memory.prune(latest - cfg.lookbackDays * DAY);
    out.put(memory.lastUsed.size);
    for (const [country, time] of memory.lastUsed) {
      out.putCode(country);
      out.put(time);
    }
    out.put(recent.length);
    for (const time of recent) out.put(time);
    out.put(memory.addedAt.length);
    for (const time of memory.addedAt) out.put(time);
    memory.debits.saveTo(out);
  },
  restore(input, cfg) {
    const memory = new LocationMemory(locationHistoryCap(cfg));
    for (let i = 0, n = input.count(); i < n; i++) {
      const code = input.code();
      memory.lastUsed.set(code, input.next());
    }
    for (let i = 0, n = input.count(); i < n; i++) memory.remember(input.next());
    for (let i = 0, n = input.count(); i < n; i++) memory.addedAt.push(input.next());
    memory.debits = RollingSample.restoreFrom(DEBITS_KEPT, input);
    return memory;
  },
});
