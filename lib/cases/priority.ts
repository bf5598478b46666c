/**
 * A case's priority and due time. Pure: no I/O.
 *
 *   priority = riskPoints[highest risk]                              Low 0, Medium 400, High 800
 *            + signalPoints × (min(independent signals, maxSignals) − 1)   60 per extra signal, up to 240
 *            + min(maxAmountPoints, amountPointsPerDecade × log10(amount))  25 per tenfold, up to 150
 *
 * so the highest risk ranks first (a Medium case tops out at 790, below every High case), then the number of
 * independent rules that agree, then the money involved. Independent signals: distinct rules, with rules that
 * measure the same thing (high-amount and client-baseline, both the size of an amount) counted once, as the risk
 * scoring counts them; analyst flags count as one signal.
 *
 *   due = the earliest of (opened + dueHours[risk]) and, when a later alert raises the risk, (that time + dueHours)
 */
import type { RiskLevel } from '../alerts/schemas.js';
import { ALL_RULES } from '../rules/registry.js';
import type { CaseSettings } from './settings.js';

/** Each rule's signal, as lib/rules/risk.ts counts them. Analyst flags (no rule) are the `analyst` signal. */
const SIGNAL_OF: ReadonlyMap<string, string> = new Map(ALL_RULES.map((r) => [r.id, r.signal ?? r.id]));

/** The signal an alert adds: its rule's, or `analyst` for a flag. */
export function signalOf(ruleId: string | null): string {
  return ruleId === null ? 'analyst' : (SIGNAL_OF.get(ruleId) ?? ruleId);
}

export interface PriorityInput {
  risk: RiskLevel;
  /** Sum of |amount| of the case's alerted transactions, as booked. */
  amount: number;
  /** Independent signals among its alerts. */
  signals: number;
}

/**
 * @example casePriority({ risk: 'High', amount: 12_000, signals: 2 }, CASE_SETTINGS) // 800 + 60 + 102 = 962
 */
export function casePriority(input: PriorityInput, s: CaseSettings): number {
  const signals = Math.max(0, Math.min(input.signals, s.maxSignals) - 1);
  const amount = input.amount >= 1 ? Math.log10(input.amount) * s.amountPointsPerDecade : 0;
  return (
    s.riskPoints[input.risk] + signals * s.signalPoints + Math.min(s.maxAmountPoints, Math.round(amount))
  );
}

const HOUR = 3_600_000;

/**
 * When a case of `risk` is due, given the time it was opened or raised and its current due time (if any): the
 * earlier of the two, so new evidence can only bring a case forward. Low never sets a due time of its own.
 */
export function dueTime(risk: RiskLevel, from: Date, current: Date | null, s: CaseSettings): Date | null {
  if (risk === 'Low') return current;
  const due = new Date(from.getTime() + s.dueHours[risk] * HOUR);
  return current && current <= due ? current : due;
}

const ORDER: Readonly<Record<RiskLevel, number>> = { Low: 0, Medium: 1, High: 2 };

/** The higher of two risk levels. */
export function maxRisk(a: RiskLevel, b: RiskLevel): RiskLevel {
  return ORDER[a] >= ORDER[b] ? a : b;
}

/** True for Medium and High: the risks that open a case. */
export function opensCase(risk: RiskLevel): boolean {
  return ORDER[risk] >= ORDER.Medium;
}
