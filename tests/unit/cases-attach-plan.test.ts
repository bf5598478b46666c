import { describe, expect, it } from 'vitest';
import { type NewAlert, planAttachment } from '../../lib/cases/attach-plan.js';

const at = (iso: string) => new Date(`${iso}Z`);
const alert = (
  alertId: number,
  clientId: number,
  risk: NewAlert['risk'],
  booked = '2026-03-10T10:00:00',
): NewAlert => ({
  alertId,
  clientId,
  risk,
  bookedAt: at(booked),
});

describe('planAttachment', () => {
  it('opens a case for a Medium or High alert when the client has none, and its Low alerts join it', () => {
    const plan = planAttachment([alert(3, 7, 'Low'), alert(1, 7, 'High'), alert(2, 8, 'Medium')], new Map());
    expect(plan).toEqual({
      join: [],
      open: [
        { clientId: 7, alertIds: [1, 3] },
        { clientId: 8, alertIds: [2] },
      ],
      skip: [],
    });
  });

  it('leaves a Low alert uncased when its client has no open case', () => {
    const plan = planAttachment([alert(1, 7, 'Low')], new Map());
    expect(plan).toEqual({ join: [], open: [], skip: [{ alertId: 1, reason: 'low-without-open-case' }] });
  });

  it('joins any alert, Low included, to the client’s open case', () => {
    const plan = planAttachment(
      [alert(1, 7, 'Low'), alert(2, 7, 'High')],
      new Map([[7, { openCaseId: 40 }]]),
    );
    expect(plan).toEqual({ join: [{ caseId: 40, alertIds: [1, 2] }], open: [], skip: [] });
  });

  it('attaches nothing booked before the client’s case was closed, and opens a new case for what came after', () => {
    const cases = new Map([[7, { lastClosedAt: at('2026-03-10T12:00:00') }]]);
    const plan = planAttachment(
      [alert(1, 7, 'High', '2026-03-10T11:59:59'), alert(2, 7, 'Medium', '2026-03-10T12:00:00')],
      cases,
    );
    expect(plan).toEqual({
      join: [],
      open: [{ clientId: 7, alertIds: [2] }],
      skip: [{ alertId: 1, reason: 'booked-before-closed-case' }],
    });
  });

  it('does not let an old High alert open a case for the Low alerts booked after the closing', () => {
    const cases = new Map([[7, { lastClosedAt: at('2026-03-10T12:00:00') }]]);
    const plan = planAttachment(
      [alert(1, 7, 'High', '2026-03-01T00:00:00'), alert(2, 7, 'Low', '2026-03-11T00:00:00')],
      cases,
    );
    expect(plan.open).toEqual([]);
    expect(plan.skip).toEqual([
      { alertId: 1, reason: 'booked-before-closed-case' },
      { alertId: 2, reason: 'low-without-open-case' },
    ]);
  });

  it('gives the same plan whatever order the alerts arrive in', () => {
    const alerts = [alert(5, 2, 'Low'), alert(4, 1, 'High'), alert(3, 2, 'Medium'), alert(1, 1, 'Low')];
    const cases = new Map([[1, { openCaseId: 9 }]]);
    expect(planAttachment([...alerts].reverse(), cases)).toEqual(planAttachment(alerts, cases));
  });
});
