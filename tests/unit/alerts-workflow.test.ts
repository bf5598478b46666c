import { describe, expect, it } from 'vitest';
import { STATUSES } from '../../lib/alerts/schemas.js';
import { isReopen, TRANSITIONS, transitionProblem } from '../../lib/alerts/workflow.js';

describe('the alert workflow', () => {
  it('goes open → investigating → closed, only a reopen (a lead’s) leaves closed, and a suppressed finding never moves', () => {
    expect(TRANSITIONS).toEqual({
      open: ['investigating'],
      investigating: ['closed'],
      closed: ['open'],
      suppressed: [],
    });
    expect(isReopen('closed', 'open')).toBe(true);
    expect(isReopen('investigating', 'open')).toBe(false);
  });

  const allowed = new Set(['open>investigating', 'investigating>closed', 'closed>open']);
  for (const from of STATUSES) {
    for (const to of STATUSES) {
      const ok = allowed.has(`${from}>${to}`);
      it(`${ok ? 'allows' : 'refuses'} ${from} → ${to}`, () => {
        const problem = transitionProblem(from, to);
        if (ok) expect(problem).toBeNull();
        else
          expect(problem).toMatch(
            from === 'suppressed'
              ? /a suppressed finding is a record, never raised/
              : from === 'closed'
                ? /a lead may reopen it/
                : from === to
                  ? /already/
                  : /cannot go/,
          );
      });
    }
  }
});
