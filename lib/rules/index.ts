/**
 * The detection rules' public face: the engine (lib/rules/engine.ts) runs every enabled rule over a client's
 * transactions, risk scoring (risk.ts) turns a transaction's findings into a level. Pure: the scan (lib/scan/)
 * feeds them rows and writes what they return.
 */
import type { TransactionRisk } from './risk.js';
import type { Finding, Txn } from './types.js';

export interface ScoredTransaction {
  txn: Pick<Txn, 'id'>;
  risk: TransactionRisk;
  findings: Finding[];
}

export { DEFAULT_RULES_CONFIG, mergeRulesConfig, type RulesConfig } from './config.js';
export { ClientDetector } from './engine.js';
export type { RiskLevel, TransactionRisk } from './risk.js';
export * from './types.js';
