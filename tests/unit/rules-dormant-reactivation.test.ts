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

  it("judges silence against the account's usual gap: used every 90 days, 100 quiet days is not dormant", () => {
    const short = { ...cfg, dormantDays: 60 };
    const regular = [-400, -310, -220, -130].map((d) => txn({ amount: -20, days: d }));
    const since = { historySince: T0 - 400 * DAYS };
    const after100 = txn({ amount: -20, days: -30 });
    const flagged = findingsOf('dormant-reactivation', timeline([...regular, after100]), short, since);
    expect(flagged.map((f) => f.transactionId)).not.toContain(after100.id);
    // The same silence on an account used daily is dormancy.
    const daily = Array.from({ length: 20 }, (_, i) => txn({ amount: -20, days: -130 - i }));
    const back = txn({ amount: -20, days: -30 });
    const findings = findingsOf('dormant-reactivation', timeline([...daily, back]), short, since);
    const finding = findings.find((f) => f.transactionId === back.id);
    expect(finding?.evidence).toMatchObject({ quietDays: 100, dormantAfterDays: 60 });
  });

  it(`needs ${cfg.gapFactor}× the usual gap: flags a 30-day-gap account after exactly ${cfg.gapFactor * 30} days, not one less`, () => {
    const short = { ...cfg, dormantDays: 60 };
    const since = { historySince: T0 - 800 * DAYS };
    const monthly = [-800, -770, -740, -710].map((d) => txn({ amount: -20, days: d }));
    const at = (quiet: number) => txn({ amount: -20, days: -710 + quiet });
    expect(
      findingsOf('dormant-reactivation', timeline([...monthly, at(cfg.gapFactor * 30)]), short, since),
    ).toHaveLength(1);
    expect(
      findingsOf('dormant-reactivation', timeline([...monthly, at(cfg.gapFactor * 30 - 1)]), short, since),
    ).toEqual([]);
  });

  it('scores a quiet second-currency account of a client active every day weakly (activeClientScore)', () => {
    const since = { historySince: T0 - 300 * DAYS };
    const usd = txn({ accountId: 2, currency: 'USD', amount: -20, days: -300 });
    const daily = Array.from({ length: 299 }, (_, i) => txn({ accountId: 1, amount: -15, days: -299 + i }));
    const usdBack = txn({ accountId: 2, currency: 'USD', amount: -20 });
    const [finding] = findingsOf('dormant-reactivation', timeline([usd, ...daily, usdBack]), cfg, since);
    expect(finding?.transactionId).toBe(usdBack.id);
    expect(finding?.score).toBe(cfg.activeClientScore);
    expect(finding?.evidence).toMatchObject({ activeClient: true, quietDays: 300 });
  });

  it('catches a truly dormant client reactivated with several large transfers that drain the account', () => {
    const since = { historySince: T0 - 400 * DAYS };
    const before = Array.from({ length: 30 }, (_, i) =>
      txn({ amount: -40, days: -390 + i * 3, balanceAfter: 9000 }),
    );
    const burst = [0, 1, 2, 3].map((h) =>
      txn({ amount: -2000, minutes: h * 40, balanceAfter: 8000 - 2000 * h }),
    );
    const findings = findingsOf('dormant-reactivation', timeline([...before, ...burst]), cfg, since);
    expect(findings.map((f) => f.transactionId)).toEqual(burst.map((t) => t.id));
    expect(findings[0]?.score).toBe(cfg.baseScore + cfg.busyBonus + cfg.drainBonus);
    expect(findings[0]?.evidence).toMatchObject({ activeClient: false, followUps: 3, drained: true });
  });
});
