/**
 * Risk scoring: turns all findings on one transaction into one level.
 *
 *   signals  = the findings, with rules that measure the same thing counted as one signal — the higher of their
 *              scores: high-amount and client-baseline both measure the size of the amount, unusual-pattern and
 *              velocity both count payments in a short window (Rule.signal)
 *   combined = strongest signal + otherWeight × (sum of the other signals), capped at 100
 *   level    = High when combined ≥ high (70), Medium when ≥ medium (40), else Low
 *   cap      = Medium or above only when a finding is strong on its own (score ≥ strong, 50, or its rule's
 *              strongByRule: client-baseline 47.5, its spike at 10× the largest debit) or at least two signals
 *              agree (each ≥ agree, 25); otherwise the level is capped at Low
 *
 * So one rule alone rarely reaches High, two independent red flags on the same transaction usually do (e.g. an
 * unusual pattern 50 + rapid transfers 60 → 60 + 0.4 × 50 = 80, High), and weak signals stay Low.
 *
 * Two mitigations, for what an analyst would want: when only amount rules fired (high-amount, client-baseline) and
 * the title declares a legitimate purpose (a house deposit, a notary, a mortgage …), or only the series, velocity
 * and amount rules fired and the title declares salaries (a payroll run), the transaction stays Low — still
 * alerted, so an analyst can look, but not in the Medium / High queues. A title is the client's word: any other
 * finding (a new country, a network pattern, a new recipient paid again and again) lifts it. Every alert of the
 * transaction carries the same level; each keeps its own rule score.
 */
import type { RiskConfig } from './config.js';
import { ALL_RULES, type RuleId } from './registry.js';
import type { Finding, Txn } from './types.js';

export type RiskLevel = 'Low' | 'Medium' | 'High';

/** A transaction's findings and the risk they make together (one alert per finding, each carrying the risk). */
export interface ScoredTransaction {
  txn: Pick<Txn, 'id'>;
  risk: TransactionRisk;
  findings: Finding[];
}

export interface TransactionRisk {
  score: number;
  level: RiskLevel;
  rules: RuleId[];
  /** Why the level was held down, when it was. */
  mitigation?: string;
}

/** Each rule's signal: rules that measure the same thing (the size of an amount) share one. */
const SIGNAL_OF: ReadonlyMap<string, string> = new Map(ALL_RULES.map((r) => [r.id, r.signal ?? r.id]));
const AMOUNT = 'amount';
/** What a payroll run looks like to the rules: payments one after another, many at once, above usual amounts. */
const PAYROLL_SIGNALS: ReadonlySet<string> = new Set([AMOUNT, 'velocity', 'rapid-transfers']);

const purposeCache = new Map<string, RegExp>();
function purposePattern(source: string): RegExp {
  let pattern = purposeCache.get(source);
  if (!pattern) {
    pattern = new RegExp(source, 'iu');
    purposeCache.set(source, pattern);
  }
  return pattern;
}

export function levelOf(score: number, cfg: Pick<RiskConfig, 'medium' | 'high'>): RiskLevel {
  if (score >= cfg.high) return 'High';
  if (score >= cfg.medium) return 'Medium';
  return 'Low';
}

/**
 * The risk of one transaction from its findings (all on that transaction).
 *
 * @example assessRisk([{ score: 50, … }, { score: 60, … }], txn, DEFAULT_RULES_CONFIG.risk) // { score: 85, level: 'High', … }
 */
export function assessRisk(
  findings: readonly Finding[],
  txn: Pick<Txn, 'title'> | undefined,
  cfg: RiskConfig,
): TransactionRisk {
  const bySignal = new Map<string, number>();
  for (const f of findings) {
    const signal = SIGNAL_OF.get(f.ruleId) ?? f.ruleId;
    bySignal.set(signal, Math.max(bySignal.get(signal) ?? 0, f.score));
  }
  const scores = [...bySignal.values()].sort((a, b) => b - a);
  const [strongest = 0, ...others] = scores;
  const combined = Math.min(100, strongest + cfg.otherWeight * others.reduce((sum, s) => sum + s, 0));
  const score = Math.round(combined * 100) / 100;
  const rules = [...new Set(findings.map((f) => f.ruleId))].sort();
  let level = levelOf(score, cfg);
  let mitigation: string | undefined;
  const strong = findings.some((f) => f.score >= (cfg.strongByRule[f.ruleId] ?? cfg.strong));
  if (level !== 'Low' && !strong && (scores[1] ?? 0) < cfg.agree) {
    level = 'Low';
    mitigation = `no finding strong on its own (≥ ${cfg.strong}) and no second signal (≥ ${cfg.agree}) agreeing`;
  }
  const amountOnly = rules.length > 0 && rules.every((r) => SIGNAL_OF.get(r) === AMOUNT);
  const payrollLike = rules.length > 0 && rules.every((r) => PAYROLL_SIGNALS.has(SIGNAL_OF.get(r) ?? r));
  if (
    !mitigation &&
    level !== 'Low' &&
    amountOnly &&
    txn?.title &&
    purposePattern(cfg.declaredPurpose).test(txn.title)
  ) {
    level = 'Low';
    mitigation = `amount rules only, and the title declares a purpose: "${txn.title}"`;
  } else if (
    !mitigation &&
    level !== 'Low' &&
    payrollLike &&
    txn?.title &&
    purposePattern(cfg.declaredPayroll).test(txn.title)
  ) {
    level = 'Low';
    mitigation = `series, velocity and amount rules only, and the title declares salaries: "${txn.title}"`;
  }
  return mitigation ? { score, level, rules, mitigation } : { score, level, rules };
}
