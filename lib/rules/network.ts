/**
 * The network detector: drives every enabled network rule (network-rule.ts) over the bank's transfers in booking
 * order, keeping the shared window of recent transfers they read. Pure — the scan's network stage
 * (lib/scan/network-stage.ts) reads the transfers and writes the alerts.
 */
import type { RulesConfig } from './config.js';
import { type NetworkRule, type NetworkRuleSettings, type Transfer, TransferWindow } from './network-rule.js';
import { DRIVEN_NETWORK_RULES } from './registry.js';
import { DAY } from './stats.js';
import type { Finding } from './types.js';

/** Which network rules a detector drives (default: all of them). */
export type NetworkRuleFilter = (rule: NetworkRule<NetworkRuleSettings>) => boolean;

const ALL: NetworkRuleFilter = () => true;

/** The enabled network rules of a configuration that `which` selects, with their settings. */
function enabledOf(rules: RulesConfig, which: NetworkRuleFilter) {
  const settingsOf = rules as unknown as Record<string, NetworkRuleSettings>;
  return DRIVEN_NETWORK_RULES.map((rule) => ({
    rule,
    settings: settingsOf[rule.id] as NetworkRuleSettings,
  })).filter((r) => r.settings.enabled && which(r.rule));
}

/** How far back (days) the enabled network rules (those `which` selects) look before a transfer (0 when none is). */
export function networkReachDays(rules: RulesConfig, which: NetworkRuleFilter = ALL): number {
  return Math.max(0, ...enabledOf(rules, which).map(({ rule, settings }) => rule.reachDays(settings)));
}

export class NetworkDetector {
  private readonly enabled: ReturnType<typeof enabledOf>;
  private readonly window: TransferWindow;
  /**
   * Each transaction's findings that `keep` kept, the first of each rule (a later one from the same rule says the
   * same again).
   */
  readonly findings = new Map<number, Finding[]>();
  /** Each transaction's first finding of each rule, kept or not. */
  readonly firstFindings = new Map<number, Finding[]>();

  /** `keep`: which findings to keep (default: all); `which`: which rules to drive (default: all). */
  constructor(
    rules: RulesConfig,
    private readonly keep: (f: Finding) => boolean = () => true,
    which: NetworkRuleFilter = ALL,
  ) {
    this.enabled = enabledOf(rules, which);
    this.window = new TransferWindow(networkReachDays(rules, which) * DAY);
  }

  /** Whether any network rule is enabled (else there is nothing to read). */
  get active(): boolean {
    return this.enabled.length > 0;
  }

  /** Judges the next transfer (in booking order: time, then id). */
  push(t: Transfer): void {
    this.window.add(t);
    const out: Finding[] = [];
    for (const { rule, settings } of this.enabled) rule.judge(t, this.window, settings, out);
    for (const f of out) {
      addFirst(this.firstFindings, f);
      if (this.keep(f)) addFirst(this.findings, f);
    }
  }
}

/** Adds `f` to its transaction's findings unless one of its rule is there already. */
function addFirst(map: Map<number, Finding[]>, f: Finding): void {
  const list = map.get(f.transactionId);
  if (!list) map.set(f.transactionId, [f]);
  else if (!list.some((g) => g.ruleId === f.ruleId)) list.push(f);
}
