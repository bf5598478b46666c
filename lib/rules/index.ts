/**
 * The detection engine's entry point: runs every enabled rule over one client's timeline and scores each flagged
 * transaction. Pure: the scan (lib/scan/) feeds it rows and writes what it returns.
 */
import type { RulesConfig } from './config.js';
import { detectTimeline } from './engine.js';
import type { TransactionRisk } from './risk.js';
import type { ClientTimeline, Finding, RuleContext, Txn } from './types.js';

/** Every enabled rule's findings on a client's timeline (the streaming engine fed the whole timeline). */
export function detectAll(timeline: ClientTimeline, ctx: RuleContext, config: RulesConfig): Finding[] {
  return detectTimeline(timeline, ctx, config);
}

export interface ScoredTransaction {
  txn: Pick<Txn, 'id'>;
  risk: TransactionRisk;
  findings: Finding[];
}

export { DEFAULT_RULES_CONFIG, mergeRulesConfig, type RulesConfig } from './config.js';
export type { RiskLevel, TransactionRisk } from './risk.js';
export * from './types.js';
