/**
 * Every detection rule, in the order the engine runs them, saves their memories and lists them in a run's settings.
 * Adding a rule: one module implementing `Rule` (rule.ts) — or `NetworkRule` (network-rule.ts) for one that judges
 * money moving between clients — and one line here.
 */
import { clientBaseline } from './client-baseline.js';
import { cycle } from './cycle.js';
import { dormantReactivation } from './dormant-reactivation.js';
import { fanIn } from './fan-in.js';
import { fanOut } from './fan-out.js';
import { gatherScatter } from './gather-scatter.js';
import { highAmount } from './high-amount.js';
import type { NetworkRule, NetworkRuleSettings } from './network-rule.js';
import { passThrough } from './pass-through.js';
import { rapidTransfers } from './rapid-transfers.js';
import { repeatedCounterparty } from './repeated-counterparty.js';
import type { Rule, RuleSettings } from './rule.js';
import { scatterGather } from './scatter-gather.js';
import { structuring } from './structuring.js';
import { unusualLocation } from './unusual-location.js';
import { unusualPattern } from './unusual-pattern.js';
import { velocity } from './velocity.js';

export const RULES = [
  highAmount,
  clientBaseline,
  unusualPattern,
  rapidTransfers,
  unusualLocation,
  structuring,
  dormantReactivation,
  fanOut,
  repeatedCounterparty,
  passThrough,
  velocity,
] as const;

/** The network rules (network-rule.ts), judged by the network stage after the clients' rules. */
export const NETWORK_RULES = [fanIn, cycle, scatterGather, gatherScatter] as const;

/** Every rule, client and network, for what they share: ids, reasons, settings, signals. */
export const ALL_RULES = [...RULES, ...NETWORK_RULES] as const;

type Registered = (typeof ALL_RULES)[number];

/** Stable, human rule ids (stored in alerts.rule_id). */
export type RuleId = Registered['id'];
export const RULE_IDS: readonly RuleId[] = ALL_RULES.map((r) => r.id);

/** alerts.reason per rule. */
export const RULE_REASONS = Object.fromEntries(ALL_RULES.map((r) => [r.id, r.reason])) as Readonly<
  Record<RuleId, string>
>;

/** Each rule's settings, by rule id. */
export type RuleSettingsById = { [R in Registered as R['id']]: R['defaults'] };

/** The registered rules as the engine drives them (each with its own settings type erased). */
export const ENGINE_RULES: readonly Rule<RuleSettings, unknown>[] = RULES as unknown as Rule<
  RuleSettings,
  unknown
>[];

/** The network rules as the network detector drives them (each with its own settings type erased). */
export const DRIVEN_NETWORK_RULES: readonly NetworkRule<NetworkRuleSettings>[] =
  NETWORK_RULES as unknown as NetworkRule<NetworkRuleSettings>[];
