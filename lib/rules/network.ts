/**
 * The network detector: drives every enabled network rule (network-rule.ts) over the bank's transfers in booking
 * order, keeping the shared window of recent transfers they read. Pure — the scan's network stage
 * (lib/scan/network-stage.ts) reads the transfers and writes the alerts.
 */
import type { RulesConfig } from './config.js';
import { type NetworkRuleSettings, type Transfer, TransferWindow } from './network-rule.js';
import { DRIVEN_NETWORK_RULES } from './registry.js';
import { DAY } from './stats.js';
import type { Finding } from './types.js';

/** The enabled network rules of a configuration, with their settings. */
function enabledOf(rules: RulesConfig) {
  const settingsOf = rules as unknown as Record<string, NetworkRuleSettings>;
  return DRIVEN_NETWORK_RULES.map((rule) => ({
    rule,
    settings: settingsOf[rule.id] as NetworkRuleSettings,
  })).filter((r) => r.settings.enabled);
}

/** How far back (days) the enabled network rules look before a transfer (0 when none is). */
export function networkReachDays(rules: RulesConfig): number {
  return Math.max(0, ...enabledOf(rules).map(({ rule, settings }) => rule.reachDays(settings)));
}

/**
 * How far back (days) the enabled network rules may read anything in the window before a transfer (beyond it, only
 * the transfer's own keys' chains: NetworkRule.anyReachDays).
 */
export function networkAnyReachDays(rules: RulesConfig): number {
  return Math.max(
    0,
    ...enabledOf(rules).map(({ rule, settings }) => (rule.anyReachDays ?? rule.reachDays)(settings)),
  );
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

  /** `keep`: which findings to keep (default: all). */
  constructor(
    rules: RulesConfig,
    private readonly keep: (f: Finding) => boolean = () => true,
  ) {
    this.enabled = enabledOf(rules);
    this.window = new TransferWindow(networkReachDays(rules) * DAY);
  }

  /** Whether any network rule is enabled (else there is nothing to read). */
  get active(): boolean {
    return this.enabled.length > 0;
  }

  /**
   * Judges the next transfer (in booking order: time, then id); with `judge` false only adds it to the window (a
   * transfer whose findings were raised before, read back for the ones after it to see).
   */
  push(t: Transfer, judge = true): void {
    this.window.add(t);
    if (!judge) return;
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
