import { describe, expect, it } from 'vitest';
import { DEFAULT_RULES_CONFIG } from '../../lib/rules/config.js';
import { DAYS, findingsOf, T0, timeline, txn } from './rules-helpers.js';

const cfg = DEFAULT_RULES_CONFIG['dormant-reactivation'];
const ctx = { historySince: T0 - 2 * 365 * DAYS };

describe('dormant-reactivation', () => {
  it('finds nothing in an empty timeline', () => {
    expect(findingsOf('dormant-reactivation', timeline([]), cfg, ctx)).toEqual([]);
  });

  it(`flags activity after exactly ${cfg.dormantDays} quiet days, not after one day less`, () => {
    const before = txn({ amount: 100, days: -cfg.dormantDays });
    const back = txn({ amount: -20 });
    const since = { historySince: before.time };
    const [finding] = findingsOf('dormant-reactivation', timeline([before, back]), cfg, since);
    expect(finding?.transactionId).toBe(back.id);
    expect(finding?.evidence).toMatchObject({ quietDays: cfg.dormantDays, followUps: 0 });
    expect(finding?.score).toBe(cfg.baseScore);
    const sooner = txn({ amount: 100, days: -(cfg.dormantDays - 1) });
    const sinceSooner = { historySince: sooner.time };
    expect(
      findingsOf('dormant-reactivation', timeline([sooner, txn({ amount: -20 })]), cfg, sinceSooner),
    ).toEqual([]);
  });

  it('takes the follow-ups into the episode and scores a busy, draining one higher', () => {
    const before = txn({ amount: 100, days: -400, balanceAfter: 5000 });
    const first = txn({ amount: -3000, balanceAfter: 2000 });
    const more = [1, 2].map((h) => txn({ amount: -500, minutes: h * 60, balanceAfter: 2000 - 500 * h }));
    const later = txn({ amount: -10, days: cfg.followUpDays + 1 });
    const since = { historySince: before.time };
    const findings = findingsOf(
      'dormant-reactivation',
      timeline([before, first, ...more, later]),
      cfg,
      since,
    );
    expect(findings.map((f) => f.transactionId)).toEqual([first.id, ...more.map((m) => m.id)]);
    expect(findings[0]?.score).toBe(cfg.baseScore + cfg.busyBonus + cfg.drainBonus);
    expect(findings[0]?.related).toEqual(more.map((m) => m.id));
  });

  it('does not call the first recorded transaction a reactivation when the history starts just before it', () => {
    const first = txn({ amount: -20 });
    expect(
      findingsOf('dormant-reactivation', timeline([first]), cfg, { historySince: T0 - 10 * DAYS }),
    ).toEqual([]);
    // …but an account opened long ago with no transaction in the whole recorded history is dormant.
    expect(findingsOf('dormant-reactivation', timeline([first]), cfg, ctx)).toHaveLength(1);
  });

  it('keeps accounts apart', () => {
    const a = txn({ accountId: 1, amount: 10, days: -10 });
    const b = txn({ accountId: 2, amount: 10, days: -5 });
    const c = txn({ accountId: 1, amount: -10 });
    expect(
      findingsOf('dormant-reactivation', timeline([a, b, c]), cfg, { historySince: T0 - 20 * DAYS }),
    ).toEqual([]);
  });
});
