/**
 * The alert workflow: open → investigating → closed (with a disposition). Closed is final for analysts — a
 * transaction that needs another look is flagged again, which opens a new alert; a lead may reopen a closed alert
 * (closed → open), which is also what reopening its case does. Pure: no I/O.
 */
import type { AlertStatus } from './schemas.js';

/** For each state, the states an alert may move to next (closed → open: a lead's reopen only; suppressed: none). */
export const TRANSITIONS: Readonly<Record<AlertStatus, readonly AlertStatus[]>> = {
  open: ['investigating'],
  investigating: ['closed'],
  closed: ['open'],
  suppressed: [],
};

/** True for the lead's transition: a closed alert opened again. */
export function isReopen(from: AlertStatus, to: AlertStatus): boolean {
  return from === 'closed' && to === 'open';
}

/** Why a move is refused: `null` when `from → to` is allowed, else a sentence for the 409 response. */
export function transitionProblem(from: AlertStatus, to: AlertStatus): string | null {
  if (TRANSITIONS[from].includes(to)) return null;
  if (from === 'suppressed') return 'a suppressed finding is a record, never raised: it has no workflow';
  const next = TRANSITIONS[from];
  const allowed = from === 'closed' ? 'a lead may reopen it' : `it can move to ${next.join(' or ')}`;
  if (from === to) return `the alert is already ${from}; ${allowed}`;
  return `an alert cannot go from ${from} to ${to}; ${allowed}`;
}
