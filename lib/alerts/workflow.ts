/**
 * The alert workflow: open → investigating → closed (with a disposition). Closed is final — a transaction that
 * needs another look is flagged again, which opens a new alert. Pure: no I/O.
 */
import type { AlertStatus } from './schemas.js';

/** For each state, the states an alert may move to next. */
export const TRANSITIONS: Readonly<Record<AlertStatus, readonly AlertStatus[]>> = {
  open: ['investigating'],
  investigating: ['closed'],
  closed: [],
};

/** Why a move is refused: `null` when `from → to` is allowed, else a sentence for the 409 response. */
export function transitionProblem(from: AlertStatus, to: AlertStatus): string | null {
  if (TRANSITIONS[from].includes(to)) return null;
  const next = TRANSITIONS[from];
  const allowed = next.length > 0 ? `it can move to ${next.join(' or ')}` : 'closed is final';
  if (from === to) return `the alert is already ${from}; ${allowed}`;
  return `an alert cannot go from ${from} to ${to}; ${allowed}`;
}
