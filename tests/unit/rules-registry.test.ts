import { describe, expect, it } from 'vitest';
import { DEFAULT_RULES_CONFIG } from '../../lib/rules/config.js';
import { ClientDetector } from '../../lib/rules/engine.js';
import { ALL_RULES, RULE_IDS, RULE_REASONS, RULES } from '../../lib/rules/registry.js';
import type { Finding, Txn } from '../../lib/rules/types.js';
import { context, DAYS, eventfulYear, findingsOf, population, T0, timeline } from './rules-helpers.js';

/** `rule` alone (the others off), judged in chunks: its memory saved after each chunk and restored for the next. */
function inChunks(id: (typeof RULE_IDS)[number], txns: readonly Txn[], cuts: readonly number[]): Finding[] {
  const rules = { ...DEFAULT_RULES_CONFIG } as Record<string, unknown>;
  for (const other of RULE_IDS) rules[other] = { ...DEFAULT_RULES_CONFIG[other], enabled: other === id };
  const config = rules as unknown as typeof DEFAULT_RULES_CONFIG;
  const ctx = context(population);
  const findings: Finding[] = [];
  let saved: Buffer | undefined;
  let start = 0;
  for (const end of [...cuts, txns.length]) {
    const d = saved
      ? ClientDetector.restore(1, 'DE', config, ctx, saved)
      : new ClientDetector(1, 'DE', config, ctx);
    d.describeAccount({ id: 1, currency: 'EUR', openedAt: T0 - 3 * 365 * DAYS });
    for (const s of d.judge(txns.slice(start, end))) findings.push(...s.findings);
    saved = d.save();
    start = end;
  }
  return findings;
}

/** The alerts findings make: one per transaction and rule (an episode still open at a cut is emitted as it stood). */
const keys = (findings: readonly Finding[]) =>
  [...new Set(findings.map((f) => `${f.transactionId}|${f.ruleId}`))].sort();

describe('rule registry', () => {
  it('lists each rule once, with a stable id, a reason and its settings in the default configuration', () => {
    expect(new Set(RULE_IDS).size).toBe(ALL_RULES.length);
    for (const rule of ALL_RULES) {
      expect(rule.id).toMatch(/^[a-z]+(-[a-z]+)*$/);
      expect(RULE_REASONS[rule.id]).toBe(rule.reason);
      expect(DEFAULT_RULES_CONFIG[rule.id]).toEqual(rule.defaults);
      expect(rule.defaults.enabled).toBe(true);
      expect(rule.reachDays(rule.defaults as never)).toBeGreaterThan(0);
    }
  });

  // The clients' rules, through the client engine (network rules: rules-network.test.ts).
  describe.each(RULES.map((r) => r.id))('%s', (id) => {
    const txns = timeline(eventfulYear()).txns;

    it('fires on the eventful year', () => {
      const findings = findingsOf(
        id,
        timeline([...txns]),
        DEFAULT_RULES_CONFIG[id] as never,
        context(population),
      );
      expect(findings.length).toBeGreaterThan(0);
      expect(new Set(findings.map((f) => f.ruleId))).toEqual(new Set([id]));
    });

    it('raises the same alerts when its memory is saved and restored between chunks, wherever the cut falls', () => {
      const whole = keys(inChunks(id, txns, []));
      expect(whole.length).toBeGreaterThan(0);
      for (let cut = 1; cut < txns.length; cut++) {
        expect(keys(inChunks(id, txns, [cut])), `cut at ${cut}`).toEqual(whole);
      }
    });

    it('switched off, raises nothing and keeps no memory', () => {
      const rules = { ...DEFAULT_RULES_CONFIG, [id]: { ...DEFAULT_RULES_CONFIG[id], enabled: false } };
      const on = new ClientDetector(1, 'DE', DEFAULT_RULES_CONFIG, context(population));
      const off = new ClientDetector(1, 'DE', rules, context(population));
      const fired = off.judge(txns).flatMap((s) => s.findings.map((f) => f.ruleId));
      on.judge(txns);
      expect(fired).not.toContain(id);
      expect(off.save().length).toBeLessThanOrEqual(on.save().length);
    });
  });
});
