/**
 * Every detection threshold in one typed object. `DEFAULT_RULES_CONFIG` is what the scan uses; a run may override
 * any part with `mergeRulesConfig` (tests do; the CLI and the Lambda use the defaults). Each rule has `enabled`.
 * The whole object is stored on every scan_runs row and the relevant part on every alert's evidence, so an analyst
 * always sees the thresholds that were in force.
 */
import { REPORTING_THRESHOLDS } from '../domain/bank.js';
import type { RuleId } from './types.js';

export interface HighAmountConfig {
  enabled: boolean;
  /** Fewer comparable transactions than this in the window ⇒ no verdict (a percentile of 20 amounts means little). */
  minComparable: number;
  /** Trailing window of the percentiles, in calendar months ending with the transaction's month. */
  windowMonths: number;
  /** Score above p95, above p99. */
  scoreAboveP95: number;
  scoreAboveP99: number;
  /** Added when the amount is also ≥ this many times the account's own median debit (graded by own history). */
  ownHistoryRatio: number;
  ownHistoryBonus: number;
  /** Own history: the account's most recent `ownHistorySize` debits within `ownHistoryDays`, at least `ownHistoryMin`. */
  ownHistoryMin: number;
  ownHistorySize: number;
  ownHistoryDays: number;
  /** Credits (money coming in: salaries, bonuses) never score above this: an analyst looks at outflows first. */
  creditScoreCap: number;
}

export interface ClientBaselineConfig {
  enabled: boolean;
  /** Debits of the account looked at: the most recent `historySize` within `lookbackDays`. */
  historySize: number;
  lookbackDays: number;
  /** Fewer past debits than this ⇒ the population fallback (new accounts). */
  minHistory: number;
  /** Robust z-score: (amount − median) / (1.4826 · MAD) must reach this … */
  zThreshold: number;
  /** … and the amount must be at least this many times the median. */
  minRatio: number;
  /**
   * Graded by the account's largest debit in the window: an amount at least `maxRatio` × that largest debit —
   * bigger than anything the account ever paid, by far — scores `spikeScore` (and more per doubling) instead of
   * `baseScore`.
   */
  maxRatio: number;
  spikeScore: number;
  /** MAD never below this share of the median (ties: a history of identical amounts has MAD 0). */
  madFloorShare: number;
  baseScore: number;
  /** Added per doubling of the ratio to the largest debit beyond `maxRatio`, up to `maxScore`. */
  scorePerDoubling: number;
  maxScore: number;
  /** New accounts: flagged only above the population's p99, with this score. */
  fallbackScore: number;
}

export interface UnusualPatternConfig {
  enabled: boolean;
  /** The debits counted: payments to another party (transfer types and mobile payments), by transaction_types.type. */
  types: readonly string[];
  /** At least `minCount` outgoing transfers from one account within `windowMinutes` (inclusive). */
  minCount: number;
  windowMinutes: number;
  baseScore: number;
  /** Added per transfer beyond `minCount`, up to `maxScore`. */
  scorePerExtra: number;
  maxScore: number;
}

export interface RapidTransfersConfig {
  enabled: boolean;
  /** A series: outgoing transfers from one account, each at most `maxGapMinutes` after the previous. */
  maxGapMinutes: number;
  minSeries: number;
  /** The series moves at least this share of the balance it started from … */
  minDrainShare: number;
  /** Score at `minDrainShare`, rising linearly to `maxScore` at a full drain. */
  baseScore: number;
  maxScore: number;
}

export interface UnusualLocationConfig {
  enabled: boolean;
  /** Countries "used before": recipients of the client's debits within this many days. */
  lookbackDays: number;
  /** A client with fewer past transactions than this has no meaningful "before": lower score. */
  minHistory: number;
  score: number;
  newClientScore: number;
}

export interface StructuringConfig {
  enabled: boolean;
  /** Reporting thresholds per currency; "just under" = from `lowerShare` × threshold up to (not incl.) it. */
  thresholds: Readonly<Record<string, number>>;
  lowerShare: number;
  /** At least `minCount` such amounts by one client within `windowHours`. */
  minCount: number;
  windowHours: number;
  baseScore: number;
  scorePerExtra: number;
  maxScore: number;
}

export interface DormantReactivationConfig {
  enabled: boolean;
  /** No transaction on the account for at least this many days … */
  dormantDays: number;
  /** … (history is looked at this far back; a quieter account counts as dormant for this long). */
  lookbackDays: number;
  /** Transactions within this many days after the reactivating one belong to the same episode. */
  followUpDays: number;
  /**
   * Reactivation alone scores `baseScore`; `busyBonus` more with ≥ `busyFollowUps` follow-ups, and `drainBonus`
   * more when the episode moves out at least `drainShare` of the highest balance it saw.
   */
  baseScore: number;
  busyFollowUps: number;
  busyBonus: number;
  drainShare: number;
  drainBonus: number;
}

export interface RiskConfig {
  /**
   * A transaction's risk: its strongest signal's score plus `otherWeight` × each other signal's, capped at 100
   * (the two amount rules count as one signal: the higher of their scores).
   */
  otherWeight: number;
  /** Level boundaries on that combined score: ≥ high ⇒ High, ≥ medium ⇒ Medium, else Low. */
  medium: number;
  high: number;
  /**
   * Titles that declare a legitimate purpose for a large one-off payment (a house deposit, a notary). When only
   * amount rules fired and the title matches, the transaction stays Low: the analyst still sees the alert.
   */
  declaredPurpose: string;
}

export interface RulesConfig {
  'high-amount': HighAmountConfig;
  'client-baseline': ClientBaselineConfig;
  'unusual-pattern': UnusualPatternConfig;
  'rapid-transfers': RapidTransfersConfig;
  'unusual-location': UnusualLocationConfig;
  structuring: StructuringConfig;
  'dormant-reactivation': DormantReactivationConfig;
  risk: RiskConfig;
}

export const DEFAULT_RULES_CONFIG: RulesConfig = {
  'high-amount': {
    enabled: true,
    minComparable: 50,
    windowMonths: 3,
    scoreAboveP95: 15,
    scoreAboveP99: 25,
    ownHistoryRatio: 5,
    ownHistoryBonus: 5,
    ownHistoryMin: 5,
    ownHistorySize: 50,
    ownHistoryDays: 365,
    creditScoreCap: 25,
  },
  'client-baseline': {
    enabled: true,
    historySize: 50,
    lookbackDays: 365,
    minHistory: 5,
    zThreshold: 6,
    minRatio: 4,
    maxRatio: 4,
    spikeScore: 45,
    madFloorShare: 0.1,
    baseScore: 25,
    scorePerDoubling: 2.5,
    maxScore: 50,
    fallbackScore: 25,
  },
  'unusual-pattern': {
    enabled: true,
    types: ['outgoing transfer', 'express transfer', 'standing order', 'mobile payment'],
    minCount: 5,
    windowMinutes: 15,
    baseScore: 50,
    scorePerExtra: 4,
    maxScore: 70,
  },
  'rapid-transfers': {
    enabled: true,
    maxGapMinutes: 60,
    minSeries: 3,
    minDrainShare: 0.5,
    baseScore: 50,
    maxScore: 70,
  },
  'unusual-location': {
    enabled: true,
    lookbackDays: 365,
    minHistory: 5,
    score: 45,
    newClientScore: 25,
  },
  structuring: {
    enabled: true,
    thresholds: REPORTING_THRESHOLDS,
    lowerShare: 0.8,
    minCount: 3,
    windowHours: 24,
    baseScore: 60,
    scorePerExtra: 8,
    maxScore: 85,
  },
  'dormant-reactivation': {
    enabled: true,
    dormantDays: 180,
    lookbackDays: 365,
    followUpDays: 7,
    baseScore: 35,
    busyFollowUps: 2,
    busyBonus: 10,
    drainShare: 0.3,
    drainBonus: 10,
  },
  risk: {
    otherWeight: 0.4,
    medium: 40,
    high: 70,
    declaredPurpose:
      '\\b(house|home|flat|apartment|property|mortgage|notary|down ?payment|real estate|zaliczka|mieszkanie|dom|wohnung|haus|notar|maison|appartement|notaire|casa|piso|hipoteca|notario|huis|hypotheek|bostad|lägenhet)\\b',
  },
};

export type RulesConfigOverrides = { [K in keyof RulesConfig]?: Partial<RulesConfig[K]> };

/** The defaults with some values replaced, e.g. `mergeRulesConfig({ structuring: { enabled: false } })`. */
export function mergeRulesConfig(
  overrides: RulesConfigOverrides = {},
  base = DEFAULT_RULES_CONFIG,
): RulesConfig {
  const merged = { ...base } as Record<string, unknown>;
  for (const [key, value] of Object.entries(overrides)) {
    merged[key] = { ...(base[key as keyof RulesConfig] as object), ...(value as object) };
  }
  return merged as unknown as RulesConfig;
}

/** The rules switched on, in a stable order. */
export function enabledRules(config: RulesConfig): RuleId[] {
  return (Object.keys(config) as Array<keyof RulesConfig>).filter(
    (key): key is RuleId => key !== 'risk' && (config[key] as { enabled: boolean }).enabled,
  );
}
