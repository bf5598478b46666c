/**
 * Every detection rule, in the order the engine runs them, saves their memories and lists them in a run's settings.
 * Adding a rule: one module implementing `Rule` (rule.ts) and one line here.
 */
import { clientBaseline } from './client-baseline.js';
import { dormantReactivation } from './dormant-reactivation.js';
import { fanOut } from './fan-out.js';
import { highAmount } from './high-amount.js';
import { passThrough } from './pass-through.js';
import { rapidTransfers } from './rapid-transfers.js';
import { repeatedCounterparty } from './repeated-counterparty.js';
import type { Rule, RuleSettings } from './rule.js';
import { structuring } from './structuring.js';
import { unusualLocation } from './unusual-location.js';
import { unusualPattern } from './unusual-pattern.js';

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
] as const;

type Registered = (typeof RULES)[number];

/** Stable, human rule ids (stored in alerts.rule_id). */
export type RuleId = Registered['id'];
export const RULE_IDS: readonly RuleId[] = RULES.map((r) => r.id);

/** alerts.reason per rule. */
export const RULE_REASONS = Object.fromEntries(RULES.map((r) => [r.id, r.reason])) as Readonly<
  Record<RuleId, string>
>;

/** Each rule's settings, by rule id. */
export type RuleSettingsById = { [R in Registered as R['id']]: R['defaults'] };

/** The registered rules as the engine drives them (each with its own settings type erased). */
export const ENGINE_RULES: readonly Rule<RuleSettings, unknown>[] = RULES as unknown as Rule<
  RuleSettings,
  unknown
>[];
