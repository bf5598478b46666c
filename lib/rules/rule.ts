/**
 * The contract every detection rule implements. A rule is one module (lib/rules/<id>.ts) exporting one `Rule`
 * object, listed once in lib/rules/registry.ts; the engine (engine.ts) drives every enabled rule through it, the same
 * way in the full scan, the incremental scan and the rules' unit tests.
 *
 * A rule owns:
 * - its **settings** (`defaults`, overridable per run; stored with every scan run and quoted in each alert's evidence);
 * - its **memory**, one per account or per client (`scope`): what it remembers of the past — a sample, a window, an
 *   open episode — bounded by time, never by history. `remember` makes an empty one; `save` / `restore` carry it
 *   from one scan to the next through the state codec (state-codec.ts);
 * - how it **takes a transaction** (`accepts`, then `push`, in booking order), **closes windows** once time has
 *   passed them (`advance`), and **emits findings** with their evidence — on that transaction, or later on earlier
 *   ones (an episode emits on each of its transactions when it closes, `flush` emits what is still open).
 *
 * The engine holds each transaction's findings until no open window or episode can add to them (`oldestOpen`), so
 * its alerts are written once with their final risk. A finding that arrives after its transaction was written (a
 * chunk later, in an incremental scan) is scored together with the alerts that transaction already has.
 */

import type { StateReader, StateWriter } from './state-codec.js';
import type { RollingSample } from './stats.js';
import type { AccountInfo, EpisodeTxn, Finding, RuleContext, Txn } from './types.js';

/** Every rule's settings have an on/off switch; the rest is the rule's own. */
export interface RuleSettings {
  enabled: boolean;
}

/**
 * The account's recent debits a rule judges against: the most recent `size` within `days`. The engine keeps one such
 * sample per account for every distinct size and horizon the enabled rules ask for (two rules asking the same share
 * one), adds each debit after every rule has judged it, and saves it with the account.
 */
export interface DebitHistory {
  size: number;
  days: number;
}

/** What the engine tells a rule about the transaction it is judging, besides the transaction itself. */
export interface Judging {
  readonly ctx: RuleContext;
  /** The client's own country (ISO 3166-1 alpha-2, upper case). */
  readonly clientCountry: string;
  /** The account the transaction was booked on. */
  readonly account: AccountInfo;
  /** The account's debits before this transaction, as the rule's `debitHistory` asked (empty until its first debit). */
  readonly debits: RollingSample;
  /** What a window or episode keeps of the transaction: one slim copy, made on first use, shared by every rule. */
  item(): EpisodeTxn;
}

export interface Rule<S extends RuleSettings = RuleSettings, M = unknown> {
  /** Stable, human id (alerts.rule_id). */
  readonly id: string;
  /** alerts.reason, in the brief's words where it has them. */
  readonly reason: string;
  /** Whose memory: one per account the client has, or one for the whole client (across their accounts). */
  readonly scope: 'account' | 'client';
  readonly defaults: S;
  /**
   * Rules measuring the same thing (the size of an amount) name the same signal: the risk scoring counts them as one
   * (the higher score) — lib/rules/risk.ts.
   */
  readonly signal?: string;
  /**
   * Whether the rule judges a transaction booked before one it has seen (late). Windows and episodes cannot: theirs
   * were judged already. The incremental scan replays a late-booked client from its history instead.
   */
  readonly judgesLate: boolean;
  /** How far back (days) the rule looks: how much history a replayed client needs. */
  reachDays(settings: S): number;
  /** The account debits the rule judges against, if any (see DebitHistory). */
  debitHistory?(settings: S): DebitHistory;
  /** Whether the rule looks at `t` at all (default: every transaction); its memory is made on the first it does. */
  accepts?(t: Txn, settings: S): boolean;
  /** An empty memory. */
  remember(settings: S): M;
  /** Judges `t` (the next transaction in booking order, or a late one when `judgesLate`), then remembers it. */
  push(memory: M, t: Txn, j: Judging, settings: S, out: Finding[]): void;
  /** Time moved on to `now` (nothing earlier will come): emits and forgets what can no longer grow. */
  advance?(memory: M, now: number, settings: S, out: Finding[]): void;
  /** Emits what is still open as it stands (it stays open). */
  flush?(memory: M, settings: S, out: Finding[]): void;
  /** The earliest booking time still in an open window or episode (Infinity when none). */
  oldestOpen?(memory: M): number;
  /** Nothing worth carrying to the next scan. */
  isEmpty(memory: M): boolean;
  /** Writes the memory (numbers and short codes only: never an IBAN or a name). */
  save(memory: M, out: StateWriter, settings: S): void;
  /** Reads back what `save` wrote. */
  restore(input: StateReader, settings: S): M;
}

/**
 * The memory functions of a rule that keeps nothing of its own (it judges against the engine's debit samples): spread
 * into its definition.
 */
export const NO_MEMORY = {
  remember: () => null,
  isEmpty: () => true,
  save: () => {},
  restore: () => null,
};

/** Declares a rule, keeping its literal id and its settings' type (the registry derives RuleId and RulesConfig). */
export function defineRule<const Id extends string, S extends RuleSettings, M>(
  rule: Rule<S, M> & { id: Id },
): Rule<S, M> & { id: Id } {
  return rule;
}
