/**
 * Which case each new alert joins: the pure half of attaching alerts to cases (./attach.ts does the I/O). Rules, per
 * client:
 *
 * - an alert on a transaction booked before the client's latest case was closed joins nothing: that period has been
 *   judged, and old alerts (a rescan, a late rule) never reopen or re-populate it;
 * - otherwise it joins the client's open case when there is one, whatever its risk;
 * - with no open case, a Medium or High alert opens one, and the client's other new alerts (Low ones too) join it;
 * - a Low alert with no case to join stays uncased (visible in GET /alerts, not in the queue).
 *
 * The plan depends only on the alerts and the cases, never on the order the alerts arrive in.
 */
import type { RiskLevel } from '../alerts/schemas.js';
import { opensCase } from './priority.js';

export interface NewAlert {
  alertId: number;
  clientId: number;
  risk: RiskLevel;
  /** Booking time of the alert's transaction. */
  bookedAt: Date;
}

/** A client's cases as the planner needs them. */
export interface ClientCases {
  /** The client's open (not closed) case, if any. */
  openCaseId?: number;
  /** When the client's latest closed case was closed, if any. */
  lastClosedAt?: Date;
}

export type SkipReason = 'booked-before-closed-case' | 'low-without-open-case';

export interface AttachPlan {
  /** Existing open cases and the alerts that join them. */
  join: Array<{ caseId: number; alertIds: number[] }>;
  /** Cases to open, one per client, with the alerts that make them up. */
  open: Array<{ clientId: number; alertIds: number[] }>;
  skip: Array<{ alertId: number; reason: SkipReason }>;
}

function byClient(alerts: readonly NewAlert[]): Map<number, NewAlert[]> {
  const groups = new Map<number, NewAlert[]>();
  for (const alert of [...alerts].sort((a, b) => a.alertId - b.alertId)) {
    const group = groups.get(alert.clientId);
    if (group) group.push(alert);
    else groups.set(alert.clientId, [alert]);
  }
  return groups;
}

/**
 * @example planAttachment([{ alertId: 7, clientId: 3, risk: 'High', bookedAt }], new Map())
 *   // { join: [], open: [{ clientId: 3, alertIds: [7] }], skip: [] }
 */
export function planAttachment(
  alerts: readonly NewAlert[],
  cases: ReadonlyMap<number, ClientCases>,
): AttachPlan {
  const plan: AttachPlan = { join: [], open: [], skip: [] };
  for (const [clientId, group] of [...byClient(alerts)].sort(([a], [b]) => a - b)) {
    const { openCaseId, lastClosedAt } = cases.get(clientId) ?? {};
    const judged = (a: NewAlert) => lastClosedAt !== undefined && a.bookedAt < lastClosedAt;
    for (const a of group.filter(judged))
      plan.skip.push({ alertId: a.alertId, reason: 'booked-before-closed-case' });
    const fresh = group.filter((a) => !judged(a)).map((a) => a.alertId);
    if (fresh.length === 0) continue;
    if (openCaseId !== undefined) plan.join.push({ caseId: openCaseId, alertIds: fresh });
    else if (group.some((a) => !judged(a) && opensCase(a.risk)))
      plan.open.push({ clientId, alertIds: fresh });
    else for (const alertId of fresh) plan.skip.push({ alertId, reason: 'low-without-open-case' });
  }
  return plan;
}
