import { describe, expect, it } from 'vitest';
import { DEFAULT_RULES_CONFIG } from '../../lib/rules/config.js';
import { assessRisk, levelOf } from '../../lib/rules/risk.js';
import type { Finding, RuleId } from '../../lib/rules/types.js';

const cfg = DEFAULT_RULES_CONFIG.risk;
const f = (ruleId: RuleId, score: number): Finding => ({
  transactionId: 1,
  time: 0,
  ruleId,
  score,
  evidence: {},
  related: [],
});

describe('risk scoring', () => {
  it('is Low with no findings', () => {
    expect(assessRisk([], undefined, cfg)).toEqual({ score: 0, level: 'Low', rules: [] });
  });

  it('puts the level boundaries at exactly 40 (Medium) and 70 (High)', () => {
    expect(levelOf(39.99, cfg)).toBe('Low');
    expect(levelOf(40, cfg)).toBe('Medium');
    expect(levelOf(69.99, cfg)).toBe('Medium');
    expect(levelOf(70, cfg)).toBe('High');
  });

  it('raises the level when several rules fire on one transaction', () => {
    expect(assessRisk([f('unusual-pattern', 50)], undefined, cfg).level).toBe('Medium');
    const both = assessRisk([f('unusual-pattern', 50), f('rapid-transfers', 60)], undefined, cfg);
    expect(both).toMatchObject({ score: 80, level: 'High', rules: ['rapid-transfers', 'unusual-pattern'] });
  });

  it('caps the combined score at 100 and treats tied scores alike', () => {
    const many = [f('structuring', 80), f('unusual-pattern', 80), f('rapid-transfers', 80)];
    expect(assessRisk(many, undefined, cfg).score).toBe(100);
    expect(assessRisk([f('unusual-location', 25), f('dormant-reactivation', 25)], undefined, cfg).score).toBe(
      35,
    );
  });

  it('counts the two amount rules as one signal (both measure the size of the amount)', () => {
    expect(assessRisk([f('high-amount', 30), f('client-baseline', 50)], undefined, cfg).score).toBe(50);
    expect(assessRisk([f('high-amount', 30), f('unusual-location', 45)], undefined, cfg).score).toBe(57);
  });

  it('counts fan-in, scatter-gather and gather-scatter as one signal (many new payers into one account)', () => {
    const collection = [f('fan-in', 60), f('scatter-gather', 60), f('gather-scatter', 55)];
    expect(assessRisk(collection, undefined, cfg)).toMatchObject({ score: 60, level: 'Medium' });
    expect(assessRisk([f('scatter-gather', 60), f('cycle', 60)], undefined, cfg).score).toBe(84);
  });

  it('keeps an amount-only finding Low when the title declares a purpose (a house deposit)', () => {
    const amount = [f('client-baseline', 50), f('high-amount', 30)];
    const house = assessRisk(amount, { title: 'Notary escrow - house purchase deposit' }, cfg);
    expect(house.score).toBe(50);
    expect(house.level).toBe('Low');
    expect(house.mitigation).toContain('house purchase');
    expect(assessRisk(amount, { title: 'Transfer' }, cfg).level).toBe('Medium');
  });

  it('keeps a payroll run Low when only series, velocity and amount rules fired and the title declares salaries', () => {
    const run = [f('rapid-transfers', 58), f('velocity', 60), f('high-amount', 15)];
    const salary = assessRisk(run, { title: 'Salary 2025-12' }, cfg);
    expect(salary.level).toBe('Low');
    expect(salary.mitigation).toContain('declares salaries');
    expect(assessRisk(run, { title: 'Lön december' }, cfg).level).toBe('Low');
    expect(assessRisk(run, { title: 'Transfer' }, cfg).level).toBe('High');
    // Anything else unusual lifts it: a payroll to a new country, a recipient paid again and again.
    expect(assessRisk([...run, f('unusual-location', 45)], { title: 'Salary' }, cfg).level).toBe('High');
    expect(assessRisk([...run, f('repeated-counterparty', 50)], { title: 'Salary' }, cfg).level).toBe('High');
  });

  it('does not mitigate when anything besides the amount is unusual', () => {
    const withLocation = [f('client-baseline', 50), f('unusual-location', 45)];
    expect(assessRisk(withLocation, { title: 'House deposit' }, cfg)).toMatchObject({
      score: 68,
      level: 'Medium',
    });
  });

  describe('Medium or above needs a strong finding or two that agree', () => {
    it(`caps one weak finding at Low: ${cfg.strong - 1} alone is Low, ${cfg.strong} alone is Medium`, () => {
      const weak = assessRisk([f('unusual-location', cfg.strong - 1)], undefined, cfg);
      expect(weak.level).toBe('Low');
      expect(weak.mitigation).toMatch(/no finding strong on its own/);
      expect(assessRisk([f('unusual-location', cfg.strong)], undefined, cfg).level).toBe('Medium');
    });

    it(`lets a second independent signal of exactly ${cfg.agree} agree, not ${cfg.agree - 1}`, () => {
      const agree = assessRisk([f('unusual-location', 45), f('client-baseline', cfg.agree)], undefined, cfg);
      expect(agree.level).toBe('Medium');
      expect(agree.mitigation).toBeUndefined();
      const tooWeak = assessRisk(
        [f('unusual-location', 45), f('client-baseline', cfg.agree - 1)],
        undefined,
        cfg,
      );
      expect(tooWeak.level).toBe('Low');
    });

    it('does not count two rules of one signal (the amount) as agreeing', () => {
      const amount = assessRisk([f('client-baseline', 40), f('high-amount', 30)], undefined, cfg);
      expect(amount.level).toBe('Low');
    });

    it("takes a rule's own strong threshold (client-baseline's spike) over the global one", () => {
      const spike = cfg.strongByRule['client-baseline'] ?? Number.NaN;
      expect(assessRisk([f('client-baseline', spike)], undefined, cfg).level).toBe('Medium');
      expect(assessRisk([f('client-baseline', spike - 1)], undefined, cfg).level).toBe('Low');
    });
  });
});
