/**
 * The case workflow and who may move it. Pure: no I/O.
 *
 *   open → investigating → escalated → closed        (open → closed and investigating → closed too)
 *   escalated → investigating                          (a lead sends it back)
 *   closed → open                                      (a lead reopens it)
 *
 * Roles: a viewer reads; an analyst works the cases assigned to them or to nobody (moving an unassigned case on
 * claims it) and may escalate, but an escalated case is the lead's; a lead assigns, reassigns, reopens and works
 * any case.
 */
import type { Principal } from '../http/auth.js';
import type { CaseStatus } from './schemas.js';

export const CASE_TRANSITIONS: Readonly<Record<CaseStatus, readonly CaseStatus[]>> = {
  open: ['investigating', 'closed'],
  investigating: ['escalated', 'closed'],
  escalated: ['investigating', 'closed'],
  closed: ['open'],
};

export interface CaseState {
  id: number;
  status: CaseStatus;
  assignee: string | null;
}

export interface CaseRequest {
  status?: CaseStatus | undefined;
  /** undefined: unchanged; null: unassign. */
  assignee?: string | null | undefined;
}

/** Why a request is refused: 403 (the caller may not) or 409 (not from the case's current state). */
export interface Refusal {
  status: 403 | 409;
  message: string;
}

/** Why `by` may not touch the case at all (an analyst on someone else's case, or on an escalated one). */
function accessProblem(c: CaseState, by: Principal): string | null {
  if (by.role === 'lead') return null;
  if (c.assignee !== null && c.assignee !== by.name) {
    return `case ${c.id} is assigned to ${c.assignee}; only they or a lead may work it`;
  }
  if (c.status === 'escalated') return `case ${c.id} is escalated: a lead decides it now`;
  return null;
}

/** Why `by` may not set the assignee to `to` (analysts may only take an unassigned case or give up their own). */
function assignProblem(c: CaseState, to: string | null, by: Principal): string | null {
  if (by.role === 'lead' || to === c.assignee) return null;
  if (to === by.name) return null; // claiming an unassigned case (access was checked)
  if (to === null && c.assignee === by.name) return null; // giving one's own case back
  return 'only a lead assigns a case to someone else';
}

/**
 * Judges a change of a case by `by`: null when allowed, else the refusal. Asking for the status a case already has
 * is no move (PATCH is idempotent); notes alone are judged by access only.
 *
 * @example judgeCaseChange({ id: 1, status: 'closed', assignee: null }, { status: 'open' }, analyst)
 *   // { status: 403, message: 'only a lead may reopen case 1' }
 */
export function judgeCaseChange(c: CaseState, req: CaseRequest, by: Principal): Refusal | null {
  const access = accessProblem(c, by);
  if (access) return { status: 403, message: access };
  if (req.assignee !== undefined) {
    const assign = assignProblem(c, req.assignee, by);
    if (assign) return { status: 403, message: assign };
  }
  if (req.status === undefined || req.status === c.status) return null; // PATCH is idempotent
  if (c.status === 'closed' && by.role !== 'lead')
    return { status: 403, message: `only a lead may reopen case ${c.id}` };
  if (!CASE_TRANSITIONS[c.status].includes(req.status)) {
    const next = CASE_TRANSITIONS[c.status].join(' or ');
    return {
      status: 409,
      message: `case ${c.id} cannot go from ${c.status} to ${req.status}; it can move to ${next}`,
    };
  }
  return null;
}

/**
 * The assignee after the change: the requested one, else (an analyst moving an unassigned case on) the analyst,
 * who thereby claims it.
 */
export function assigneeAfter(c: CaseState, req: CaseRequest, by: Principal): string | null {
  if (req.assignee !== undefined) return req.assignee;
  if (c.assignee === null && by.role === 'analyst' && req.status !== undefined && req.status !== 'closed') {
    return by.name;
  }
  return c.assignee;
}
