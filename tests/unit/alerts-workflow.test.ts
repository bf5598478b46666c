import { describe, expect, it } from 'vitest';
import { STATUSES } from '../../lib/alerts/schemas.js';
import { TRANSITIONS, transitionProblem } from '../../lib/alerts/workflow.js';

describe('the alert workflow', () => {
  it('goes open → investigating → closed, and closed is final', () => {
    expect(TRANSITIONS).toEqual({ open: ['investigating'], investigating: ['closed'], closed: [] });
  });

  const allowed = new Set(['open>investigating', 'investigating>closed']);
  for (const from of STATUSES) {
    for (const to of STATUSES) {
      const ok = allowed.has(`${from}>${to}`);
      it(`${ok ? 'allows' : 'refuses'} ${from} → ${to}`, () => {
        const problem = transitionProblem(from, to);
        if (ok) expect(problem).toBeNull();
        else
          expect(problem).toMatch(
            from === 'closed' ? /closed is final/ : from === to ? /already/ : /cannot go/,
          );
      });
    }
  }
});
