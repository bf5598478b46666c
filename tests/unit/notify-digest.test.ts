import { describe, expect, it } from 'vitest';
import { type Digest, renderDigest } from '../../lib/notify/digest.js';

const oldCase = {
  id: 11,
  risk_level: 'High',
  priority: 880,
  status: 'open',
  assignee: 'ann',
  due_at: '2026-12-06T01:00:00Z',
};
const lastBackup = {
  status: 'succeeded',
  started_at: '2026-12-05T02:15:00Z',
  finished_at: '2026-12-05T02:16:10Z',
  verify_status: null,
};

const digest: Digest = {
  at: '2026-12-05T06:00:00Z',
  newCases: { High: 2, Medium: 5, Low: 0 },
  overdue: {
    count: 1,
    first: [
      {
        id: 9,
        risk_level: 'High',
        priority: 905,
        status: 'open',
        assignee: null,
        due_at: '2026-12-04T10:00:00Z',
      },
    ],
  },
  oldTransactionCases: [oldCase],
  backup: lastBackup,
};

describe('the daily digest e-mail', () => {
  it('lists new cases by risk, overdue cases, cases of old transactions and the last backup', () => {
    const mail = renderDigest(digest);
    expect(mail.subject).toBe('[Financial Monitor] Daily digest: 2 new High, 1 overdue');
    expect(mail.text).toContain('High 2, Medium 5, Low 0');
    expect(mail.text).toContain('case 9: High, priority 905, open, due 2026-12-04T10:00:00Z, unassigned');
    expect(mail.text).toContain('(not paged): 1');
    expect(mail.text).toContain('case 11: High, priority 880, open, due 2026-12-06T01:00:00Z, ann');
    expect(mail.text).toContain('succeeded, started 2026-12-05T02:15:00Z, finished 2026-12-05T02:16:10Z');
  });

  it('says so in the subject when the last backup failed or none ran, and escapes the HTML', () => {
    expect(renderDigest({ ...digest, backup: null }).subject).toContain('backup needs attention');
    expect(renderDigest({ ...digest, backup: { ...lastBackup, status: 'failed' } }).text).toContain('failed');
    const html = renderDigest({
      ...digest,
      oldTransactionCases: [{ ...oldCase, assignee: '<b>' }],
    }).html;
    expect(html).toContain('&lt;b&gt;');
    expect(html).not.toContain('<b>');
  });
});
