/**
 * Builders for the network rules' unit tests: transfers from a few readable fields, a configuration with one rule
 * switched on, and the findings the network detector (the one the scan runs) hands out for them. Not a test file.
 */
import { DEFAULT_RULES_CONFIG, type RulesConfig } from '../../lib/rules/config.js';
import { NetworkDetector } from '../../lib/rules/network.js';
import type { Transfer } from '../../lib/rules/network-rule.js';
import type { NETWORK_RULES } from '../../lib/rules/registry.js';
import type { Finding } from '../../lib/rules/types.js';

export const T0 = Date.UTC(2025, 5, 2, 9, 0, 0);
export const HOUR = 3_600_000;
export const DAY = 24 * HOUR;
let nextId = 1;

/**
 * A transfer from client `client`'s account (`client` × 10, IBAN `DE00OURS<account>`) to `to` — an IBAN, or a
 * client of ours (its account `to` × 10) — `hours` after T0. Ids grow with each call: booking order among equal times.
 */
export function transfer(
  client: number,
  to: string | number,
  hours: number,
  amount = 1_000,
  currency = 'EUR',
): Transfer {
  const ours = typeof to === 'number';
  return {
    id: nextId++,
    time: T0 + hours * HOUR,
    account: client * 10,
    client,
    from: `DE00OURS${client * 10}`,
    to: ours ? `DE00OURS${to * 10}` : to,
    toAccount: ours ? to * 10 : 0,
    toClient: ours ? to : 0,
    amount,
    currency,
  };
}

type NetworkRuleId = (typeof NETWORK_RULES)[number]['id'];

/** Only `id` enabled, with `settings` over its defaults. */
export function only<Id extends NetworkRuleId>(id: Id, settings: Partial<RulesConfig[Id]> = {}): RulesConfig {
  const rules = structuredClone(DEFAULT_RULES_CONFIG) as unknown as Record<string, { enabled: boolean }>;
  for (const [key, value] of Object.entries(rules)) if (key !== 'risk') value.enabled = false;
  rules[id] = { ...rules[id], ...settings, enabled: true };
  return rules as unknown as RulesConfig;
}

/** The findings of the transfers judged in booking order (time, then id). */
export function detect(rules: RulesConfig, transfers: Transfer[]): Finding[] {
  const d = new NetworkDetector(rules);
  for (const t of [...transfers].sort((a, b) => a.time - b.time || a.id - b.id)) d.push(t);
  return [...d.findings.values()].flat();
}

/**
 * Every finding the rules emit, in order, before the detector keeps the first per transaction and rule: what an
 * incremental scan would see of a pattern judged again.
 */
export function emissions(rules: RulesConfig, transfers: Transfer[]): Finding[] {
  const all: Finding[] = [];
  const d = new NetworkDetector(rules, (f) => {
    all.push(f);
    return true;
  });
  for (const t of [...transfers].sort((a, b) => a.time - b.time || a.id - b.id)) d.push(t);
  return all;
}

/** The ids of the transfers the findings flag, ascending. */
export function flaggedIds(findings: readonly Finding[]): number[] {
  return findings.map((f) => f.transactionId).sort((a, b) => a - b);
}
