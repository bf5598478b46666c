/**
 * The case settings: how long a case may wait before it is overdue, how its priority is weighed, and how much of a
 * client's history the case page shows. Typed defaults in one place (docs/cases.md quotes them), passed to the pure
 * planner and priority code rather than read from the environment there.
 */
import type { RiskLevel } from '../alerts/schemas.js';

export interface CaseSettings {
  /** Hours from opening (or from the alert that raised its risk) until a case of this risk is due. */
  dueHours: Readonly<Record<Exclude<RiskLevel, 'Low'>, number>>;
  /** Priority points of a case's highest risk; the gaps exceed the other parts' maximum, so risk always ranks first. */
  riskPoints: Readonly<Record<RiskLevel, number>>;
  /** Points per independent signal beyond the first, up to `maxSignals` signals. */
  signalPoints: number;
  maxSignals: number;
  /** Points per tenfold of the amount involved (log10 of the sum of |amount|), up to `maxAmountPoints`. */
  amountPointsPerDecade: number;
  maxAmountPoints: number;
  /**
   * Hours after which a booking is history: a case opened only by alerts on transactions booked longer ago (an
   * import, a rescan) is reported as such (AttachResult.openedOnHistory), so nobody is paged for it.
   */
  historyHours: number;
  /** How many of the client's latest transactions the case page lists (the alerted ones marked). */
  recentTransactions: number;
}

export const CASE_SETTINGS: CaseSettings = {
  dueHours: { High: 24, Medium: 72 },
  riskPoints: { Low: 0, Medium: 400, High: 800 },
  signalPoints: 60,
  maxSignals: 5,
  amountPointsPerDecade: 25,
  maxAmountPoints: 150,
  historyHours: 48,
  recentTransactions: 50,
};
