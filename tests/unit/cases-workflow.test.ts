import { describe, expect, it } from 'vitest';
import { assigneeAfter, type CaseState, judgeCaseChange } from '../../lib/cases/workflow.js';
import type { Principal } from '../../lib/http/auth.js';

const ana: Principal = { name: 'ana', role: 'analyst' };
const bob: Principal = { name: 'bob', role: 'analyst' };
const lea: Principal = { name: 'lea', role: 'lead' };
const open = (assignee: string | null = null): CaseState => ({ id: 1, status: 'open', assignee });

describe('the case workflow', () => {
  it('lets an analyst work an unassigned case and claim it by moving it on', () => {
    expect(judgeCaseChange(open(), { status: 'investigating' }, ana)).toBeNull();
    expect(assigneeAfter(open(), { status: 'investigating' }, ana)).toBe('ana');
  });

  it('refuses an analyst someone else’s case (403), and a lead may work it', () => {
    expect(judgeCaseChange(open('bob'), { status: 'investigating' }, ana)).toEqual({
      status: 403,
      message: 'case 1 is assigned to bob; only they or a lead may work it',
    });
    expect(judgeCaseChange(open('bob'), { status: 'investigating' }, lea)).toBeNull();
  });

  it('lets only a lead assign a case to someone else', () => {
    expect(judgeCaseChange(open(), { assignee: 'bob' }, ana)?.status).toBe(403);
    expect(judgeCaseChange(open(), { assignee: 'ana' }, ana)).toBeNull();
    expect(judgeCaseChange(open('ana'), { assignee: null }, ana)).toBeNull();
    expect(judgeCaseChange(open('ana'), { assignee: 'bob' }, lea)).toBeNull();
  });

  it('hands an escalated case to the lead', () => {
    const escalated: CaseState = { id: 1, status: 'escalated', assignee: 'ana' };
    expect(
      judgeCaseChange({ ...escalated, status: 'investigating' }, { status: 'escalated' }, ana),
    ).toBeNull();
    expect(judgeCaseChange(escalated, { status: 'closed' }, ana)?.status).toBe(403);
    expect(judgeCaseChange(escalated, { status: 'closed' }, lea)).toBeNull();
  });

  it('lets only a lead reopen a closed case', () => {
    const closed: CaseState = { id: 1, status: 'closed', assignee: null };
    expect(judgeCaseChange(closed, { status: 'open' }, ana)).toEqual({
      status: 403,
      message: 'only a lead may reopen case 1',
    });
    expect(judgeCaseChange(closed, { status: 'open' }, lea)).toBeNull();
    expect(judgeCaseChange(closed, { status: 'investigating' }, lea)?.status).toBe(409);
  });

  it('refuses moves the workflow has not (409) and treats asking for the current status as no move', () => {
    expect(judgeCaseChange(open(), { status: 'escalated' }, bob)).toEqual({
      status: 409,
      message: 'case 1 cannot go from open to escalated; it can move to investigating or closed',
    });
    expect(judgeCaseChange(open(), { status: 'open' }, bob)).toBeNull();
  });
});
