/**
 * The detection engine's entry point: runs every enabled rule over one client's timeline and scores each flagged
 * transaction. Pure: the scan (lib/scan/) feeds it rows and writes what it returns.
 */
import { detectClientBaseline } from './client-baseline.js';
import type { RulesConfig } from './config.js';
import { detectDormantReactivation } from './dormant-reactivation.js';
import { detectHighAmount } from './high-amount.js';
import { detectRapidTransfers } from './rapid-transfers.js';
import type { TransactionRisk } from './risk.js';
import { detectStructuring } from './structuring.js';
import type { ClientTimeline, Finding, RuleContext, Txn } from './types.js';
import { detectUnusualLocation } from './unusual-location.js';
import { detectUnusualPattern } from './unusual-pattern.js';

/** Every enabled rule's findings on a client's timeline. */
export function detectAll(timeline: ClientTimeline, ctx: RuleContext, config: RulesConfig): Finding[] {
  const findings: Finding[] = [];
  const add = (list: Finding[]) => {
    for (const f of list) findings.push(f);
  };
  if (config['high-amount'].enabled) add(detectHighAmount(timeline, ctx, config['high-amount']));
  if (config['client-baseline'].enabled) add(detectClientBaseline(timeline, ctx, config['client-baseline']));
  if (config['unusual-pattern'].enabled) add(detectUnusualPattern(timeline, config['unusual-pattern']));
  if (config['rapid-transfers'].enabled) add(detectRapidTransfers(timeline, config['rapid-transfers']));
  if (config['unusual-location'].enabled) add(detectUnusualLocation(timeline, config['unusual-location']));
  if (config.structuring.enabled) add(detectStructuring(timeline, config.structuring));
  if (config['dormant-reactivation'].enabled)
    add(detectDormantReactivation(timeline, ctx, config['dormant-reactivation']));
  return findings;
}

export interface ScoredTransaction {
  txn: Txn;
  risk: TransactionRisk;
  findings: Finding[];
}

export { DEFAULT_RULES_CONFIG, mergeRulesConfig, type RulesConfig } from './config.js';
export type { RiskLevel, TransactionRisk } from './risk.js';
export * from './types.js';
