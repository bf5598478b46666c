import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../lib/config.js';
import { backoffMs, outgoing } from '../../lib/notify/publisher.js';

const timing = { NOTIFY_RETRY_BASE_MS: 30_000, NOTIFY_RETRY_MAX_MS: 3_600_000 };

describe('the publisher’s retry timing', () => {
  it('waits the base after the first failed round and doubles it after each further one, with jitter', () => {
    expect(backoffMs(1, timing, 1)).toBe(30_000);
    expect(backoffMs(1, timing, 0)).toBe(15_000);
    expect(backoffMs(2, timing, 1)).toBe(60_000);
    expect(backoffMs(5, timing, 1)).toBe(480_000);
  });

  it('never waits longer than the maximum', () => {
    expect(backoffMs(9, timing, 1)).toBe(3_600_000);
    expect(backoffMs(50, timing, 1)).toBe(3_600_000);
  });
});

describe('a notification as sent', () => {
  it('carries its id, kind, an ISO time, a one-line summary and the case', () => {
    const message = outgoing({
      id: 12,
      kind: 'case_overdue',
      createdAt: '2026-12-05 10:00:00.250',
      payload: {
        case_id: 3,
        risk_level: 'Medium',
        priority: 520,
        amount: 9500,
        due_at: '2026-12-05T09:00:00Z',
      },
    });
    expect(message).toEqual({
      id: 12,
      kind: 'case_overdue',
      created_at: '2026-12-05T10:00:00.250Z',
      summary: 'Overdue case 3: Medium, priority 520, amount 9500, due 2026-12-05T09:00:00Z',
      case: { case_id: 3, risk_level: 'Medium', priority: 520, amount: 9500, due_at: '2026-12-05T09:00:00Z' },
    });
  });
});

describe('notification settings', () => {
  it('reads webhooks as a JSON list and the digest recipients as a comma list', () => {
    const cfg = parseConfig({
      NOTIFY_WEBHOOKS:
        '[{"name":"siem","url":"https://siem.example/hook","secret_id":"fm-prod/webhook-siem"}]',
      NOTIFY_DIGEST_TO: 'a@example.com, b@example.com',
    });
    expect(cfg.NOTIFY_WEBHOOKS).toEqual([
      { name: 'siem', url: 'https://siem.example/hook', secret_id: 'fm-prod/webhook-siem' },
    ]);
    expect(cfg.NOTIFY_DIGEST_TO).toEqual(['a@example.com', 'b@example.com']);
    expect(parseConfig({}).NOTIFY_WEBHOOKS).toEqual([]);
  });

  it('refuses a plain-http webhook other than localhost, bad JSON and a bad recipient, naming the variable', () => {
    expect(() => parseConfig({ NOTIFY_WEBHOOKS: '[{"name":"x","url":"http://siem.example/hook"}]' })).toThrow(
      /NOTIFY_WEBHOOKS.*https URL/,
    );
    expect(() =>
      parseConfig({ NOTIFY_WEBHOOKS: '[{"name":"x","url":"http://localhost:9/hook"}]' }),
    ).not.toThrow();
    expect(() => parseConfig({ NOTIFY_WEBHOOKS: 'not json' })).toThrow(
      /NOTIFY_WEBHOOKS expects a JSON array/,
    );
    expect(() => parseConfig({ NOTIFY_DIGEST_TO: 'a@example.com, nobody' })).toThrow(/NOTIFY_DIGEST_TO/);
  });
});
