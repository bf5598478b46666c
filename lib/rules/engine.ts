/**
 * The streaming detection engine. One `ClientDetector` per client drives every enabled rule of the registry
 * (registry.ts) through the `Rule` contract (rule.ts): it keeps each rule's memory — one per account or one for the
 * client, as the rule's scope says — and the account debit samples the amount rules judge against, takes the
 * client's transactions one at a time in the order they were booked, and hands out each transaction's findings
 * once no rule can add to them any more (the transaction is "settled": it is in no open window or episode). The
 * same code judges a whole table (the full scan), a batch of new rows on top of a saved state (the incremental
 * scan) and a timeline in a unit test, so all three agree by construction.
 *
 * A detector's memory is bounded by time, not by history. `save()` encodes it (the layout is in state-codec.ts:
 * numbers and codes only, recipients as hashes — never an IBAN) and `ClientDetector.restore` brings it back.
 */
import type { RulesConfig } from './config.js';
import { ENGINE_RULES } from './registry.js';
import type { DebitHistory, Judging, Rule, RuleSettings } from './rule.js';
import { StateReader, StateWriter } from './state-codec.js';
import { RollingSample, recipientKey } from './stats.js';
import type { AccountInfo, EpisodeTxn, Finding, RuleContext, Txn } from './types.js';

/** The saved-state format: 5, with the registry's client rules (another list of them reads as another version). */
export const STATE_VERSION = formatVersion(
  5,
  ENGINE_RULES.map((r) => r.id),
);

/** A 31-bit FNV-1a of the format number and the rule ids, in order. */
function formatVersion(format: number, ruleIds: readonly string[]): number {
  return recipientKey(`${format}|${ruleIds.join('|')}`) >>> 1;
}

/**
 * A transaction's findings once settled. `txn` is set when the detector saw the transaction in this run (the risk
 * scoring reads its title); a finding on one judged in an earlier run has none.
 */
export interface Settled {
  id: number;
  time: number;
  txn: Txn | undefined;
  findings: Finding[];
}

/**
 * One enabled rule as a detector drives it: the rule's functions and settings copied into one shape, so the engine's
 * loops read the same fields of the same class whichever rule they drive (monomorphic loads on the hot path).
 */
class Driven {
  readonly judgesLate: boolean;
  readonly accepts: Rule<RuleSettings, unknown>['accepts'];
  readonly push: Rule<RuleSettings, unknown>['push'];
  readonly advance: Rule<RuleSettings, unknown>['advance'];
  readonly flush: Rule<RuleSettings, unknown>['flush'];
  readonly oldestOpen: Rule<RuleSettings, unknown>['oldestOpen'];

  constructor(
    readonly rule: Rule<RuleSettings, unknown>,
    readonly settings: RuleSettings,
    /** Index into the account's debit samples (−1: the rule reads none). */
    readonly sample: number,
  ) {
    this.judgesLate = rule.judgesLate;
    this.accepts = rule.accepts;
    this.push = rule.push;
    this.advance = rule.advance;
    this.flush = rule.flush;
    this.oldestOpen = rule.oldestOpen;
  }

  /** A new, empty memory of the rule, kept in slot `i` of `memories`. */
  remember(memories: unknown[], i: number): unknown {
    const memory = this.rule.remember(this.settings);
    memories[i] = memory;
    return memory;
  }
}

/** The enabled rules of a configuration, split by scope, and the distinct debit samples they read. */
class Plan {
  readonly account: Driven[] = [];
  readonly client: Driven[] = [];
  readonly samples: DebitHistory[] = [];

  constructor(rules: RulesConfig) {
    const settingsOf = rules as unknown as Record<string, RuleSettings>;
    for (const rule of ENGINE_RULES) {
      const settings = settingsOf[rule.id] as RuleSettings;
      if (!settings.enabled) continue;
      const history = rule.debitHistory?.(settings);
      let sample = -1;
      if (history) {
        sample = this.samples.findIndex((h) => h.size === history.size && h.days === history.days);
        if (sample < 0) sample = this.samples.push(history) - 1;
      }
      (rule.scope === 'account' ? this.account : this.client).push(new Driven(rule, settings, sample));
    }
  }
}

const plans = new WeakMap<RulesConfig, Plan>();

function planOf(rules: RulesConfig): Plan {
  let plan = plans.get(rules);
  if (!plan) {
    plan = new Plan(rules);
    plans.set(rules, plan);
  }
  return plan;
}

interface AccountState {
  info: AccountInfo;
  /** Debit samples, by the plan's index (made on the account's first debit). */
  samples: RollingSample[] | undefined;
  /** Account-scoped rules' memories, by the plan's index (each made on the first transaction its rule accepts). */
  memories: unknown[];
}

/** A sample no debit has gone into yet (read-only: accounts get their own on their first debit). */
const EMPTY_SAMPLE = new RollingSample(0);

/** What an open episode keeps of a transaction: a few numbers, no strings but the (shared) currency code. */
function slim(t: Txn): EpisodeTxn {
  return {
    id: t.id,
    time: t.time,
    amount: t.amount,
    currency: t.currency,
    balanceAfter: t.balanceAfter,
    recipient: null,
    recipientKey: t.recipientKey ?? (t.recipient ? recipientKey(t.recipient) : undefined),
  };
}

/**
 * The Judging handed to every rule for one transaction (the engine is synchronous: one object serves all; its
 * slim copy is made once, on first use).
 */
class Step implements Judging {
  ctx!: RuleContext;
  clientCountry = '';
  account!: AccountInfo;
  debits: RollingSample = EMPTY_SAMPLE;
  private txn!: Txn;
  private kept: EpisodeTxn | undefined;

  start(t: Txn, account: AccountInfo): void {
    this.txn = t;
    this.account = account;
    this.kept = undefined;
  }

  item(): EpisodeTxn {
    this.kept ??= slim(this.txn);
    return this.kept;
  }
}

const STEP = new Step();
const STATE_OUT = new StateWriter();
/** Findings are gathered here while one transaction is judged (the engine is synchronous: one array serves all). */
const OUT: Finding[] = [];

/** What one client's rules remember, and the findings waiting for their transaction to settle. */
export class ClientDetector {
  private readonly accountStates = new Map<number, AccountState>();
  private readonly clientMemories: unknown[] = [];
  private readonly plan: Plan;
  private pending: Map<number, Settled> | undefined;
  /** The latest booking time pushed so far (a transaction earlier than this arrives late). */
  latest = Number.NEGATIVE_INFINITY;

  constructor(
    readonly clientId: number,
    readonly country: string,
    rules: RulesConfig,
    private readonly ctx: RuleContext,
  ) {
    this.plan = planOf(rules);
  }

  /** Sets an account's details (restored accounts carry only their id until this is called). */
  describeAccount(info: AccountInfo): void {
    const acc = this.accountStates.get(info.id);
    if (acc) acc.info = info;
    else this.accountStates.set(info.id, newAccount(info));
  }

  private account(t: Txn): AccountState {
    let state = this.accountStates.get(t.accountId);
    if (!state) {
      state = newAccount({ id: t.accountId, currency: t.currency, openedAt: 0 });
      this.accountStates.set(t.accountId, state);
    }
    return state;
  }

  /**
   * Judges the client's next transaction (in booking order). One booked earlier than a transaction already pushed
   * (late) is judged only by the rules that judge late bookings: the windows and episodes it would belong to have
   * been judged already. The incremental scan never pushes late transactions — it replays such a client's history
   * in order instead (lib/scan/).
   */
  push(t: Txn): void {
    const acc = this.account(t);
    const late = t.time < this.latest;
    if (!late) this.latest = t.time;
    const step = STEP;
    step.start(t, acc.info);
    step.ctx = this.ctx;
    step.clientCountry = this.country;
    const { account, client, samples } = this.plan;
    for (let i = 0; i < account.length; i++) {
      const d = account[i] as Driven;
      if ((late && !d.judgesLate) || (d.accepts && !d.accepts(t, d.settings))) continue;
      step.debits = d.sample < 0 ? EMPTY_SAMPLE : (acc.samples?.[d.sample] ?? EMPTY_SAMPLE);
      const memory = acc.memories[i];
      d.push(memory === undefined ? d.remember(acc.memories, i) : memory, t, step, d.settings, OUT);
    }
    // The debit samples take the debit once every account rule has judged it (only those read them).
    if (t.direction === 'debit' && samples.length) {
      acc.samples ??= samples.map((h) => new RollingSample(h.size));
      for (const sample of acc.samples) sample.add(t.time, -t.amount);
    }
    step.debits = EMPTY_SAMPLE;
    const memories = this.clientMemories;
    for (let i = 0; i < client.length; i++) {
      const d = client[i] as Driven;
      if ((late && !d.judgesLate) || (d.accepts && !d.accepts(t, d.settings))) continue;
      const memory = memories[i];
      d.push(memory === undefined ? d.remember(memories, i) : memory, t, step, d.settings, OUT);
    }
    if (OUT.length) this.collect(t);
  }

  /** Time moved on to `now`: closes the windows and episodes nothing later can join. */
  advance(now: number): void {
    const { account, client } = this.plan;
    for (const acc of this.accountStates.values()) {
      for (let i = 0; i < account.length; i++) {
        const d = account[i] as Driven;
        const memory = acc.memories[i];
        if (d.advance && memory !== undefined) d.advance(memory, now, d.settings, OUT);
      }
    }
    for (let i = 0; i < client.length; i++) {
      const d = client[i] as Driven;
      const memory = this.clientMemories[i];
      if (d.advance && memory !== undefined) d.advance(memory, now, d.settings, OUT);
    }
    if (OUT.length) this.collect();
  }

  /** Findings for every episode still open, as it stands now (the episodes stay open). */
  flush(): void {
    const { account, client } = this.plan;
    for (const acc of this.accountStates.values()) {
      for (let i = 0; i < account.length; i++) {
        const d = account[i] as Driven;
        const memory = acc.memories[i];
        if (d.flush && memory !== undefined) d.flush(memory, d.settings, OUT);
      }
    }
    for (let i = 0; i < client.length; i++) {
      const d = client[i] as Driven;
      const memory = this.clientMemories[i];
      if (d.flush && memory !== undefined) d.flush(memory, d.settings, OUT);
    }
    if (OUT.length) this.collect();
  }

  private collect(current?: Txn): void {
    const pending: Map<number, Settled> = this.pending ?? new Map();
    this.pending = pending;
    for (const f of OUT) {
      let entry = pending.get(f.transactionId);
      if (!entry) {
        entry = { id: f.transactionId, time: f.time, txn: undefined, findings: [] };
        pending.set(f.transactionId, entry);
      }
      if (current && current.id === f.transactionId) entry.txn = current;
      // An episode emitted again (it grew) replaces what it said before about the same transaction.
      const same = entry.findings.findIndex((g) => g.ruleId === f.ruleId);
      if (same >= 0) entry.findings[same] = f;
      else entry.findings.push(f);
    }
    OUT.length = 0;
  }

  /** The earliest time of a transaction still in an open window or episode (Infinity when none). */
  private oldestOpen(): number {
    const { account, client } = this.plan;
    let oldest = Number.POSITIVE_INFINITY;
    for (const acc of this.accountStates.values()) {
      for (let i = 0; i < account.length; i++) {
        const d = account[i] as Driven;
        const memory = acc.memories[i];
        if (d.oldestOpen && memory !== undefined) oldest = Math.min(oldest, d.oldestOpen(memory));
      }
    }
    for (let i = 0; i < client.length; i++) {
      const d = client[i] as Driven;
      const memory = this.clientMemories[i];
      if (d.oldestOpen && memory !== undefined) oldest = Math.min(oldest, d.oldestOpen(memory));
    }
    return oldest;
  }

  /**
   * Judges `txns` (the client's next transactions, in booking order), then closes what its own latest booking has
   * passed and emits every episode still open as it stands: returns every finding, settled. Only the client's own
   * bookings move its clock — another client's later booking says nothing about what this one may still book.
   */
  judge(txns: readonly Txn[]): Settled[] {
    const settled: Settled[] = [];
    for (const t of txns) {
      this.push(t);
      this.settle(settled);
    }
    this.advance(this.latest);
    this.flush();
    this.settle(settled, true);
    fillTransactions(settled, txns);
    return settled;
  }

  /** Moves the findings of settled transactions (all of them with `all`) to `into`. */
  settle(into: Settled[], all = false): void {
    const pending = this.pending;
    if (!pending || pending.size === 0) return;
    const oldest = all ? Number.POSITIVE_INFINITY : this.oldestOpen();
    for (const [id, entry] of pending) {
      if (entry.time >= oldest) continue;
      into.push(entry);
      pending.delete(id);
    }
    if (pending.size === 0) this.pending = undefined;
  }

  /**
   * The state to carry to the next scan (layout: state-codec.ts). Pending findings are not part of it: settle
   * everything first, and close what time has passed with `advance`, so no stale window is carried along.
   */
  save(): Buffer {
    return this.write().toBuffer();
  }

  /** The state `save` returns, as base64. */
  saveBase64(): string {
    return this.write().toBase64();
  }

  private write(): StateWriter {
    const out = STATE_OUT.reset();
    const { account, client, samples } = this.plan;
    out.put(STATE_VERSION);
    out.put(Number.isFinite(this.latest) ? this.latest : 0);
    out.put(this.accountStates.size);
    for (const [id, acc] of this.accountStates) {
      out.put(id);
      let parts = 0;
      acc.samples?.forEach((sample, k) => {
        if (sample.count) parts |= 1 << k;
      });
      account.forEach((d, i) => {
        const memory = acc.memories[i];
        if (memory !== undefined && !d.rule.isEmpty(memory)) parts |= 1 << (samples.length + i);
      });
      out.put(parts);
      acc.samples?.forEach((sample, k) => {
        if (!(parts & (1 << k))) return;
        out.put((samples[k] as DebitHistory).size);
        out.put((samples[k] as DebitHistory).days);
        sample.saveTo(out);
      });
      account.forEach((d, i) => {
        if (parts & (1 << (samples.length + i))) d.rule.save(acc.memories[i], out, d.settings);
      });
    }
    let parts = 0;
    client.forEach((d, i) => {
      const memory = this.clientMemories[i];
      if (memory !== undefined && !d.rule.isEmpty(memory)) parts |= 1 << i;
    });
    out.put(parts);
    client.forEach((d, i) => {
      if (parts & (1 << i)) d.rule.save(this.clientMemories[i], out, d.settings);
    });
    return out;
  }

  /** A detector carrying on from a state `save` wrote (its accounts' details are set with describeAccount). */
  static restore(
    clientId: number,
    country: string,
    rules: RulesConfig,
    ctx: RuleContext,
    saved: Buffer,
  ): ClientDetector {
    const input = new StateReader(saved);
    const version = input.next();
    if (version !== STATE_VERSION) {
      throw new Error(`saved scan state of client ${clientId} has version ${version}, not ${STATE_VERSION}`);
    }
    const d = new ClientDetector(clientId, country, rules, ctx);
    const { account, client, samples } = d.plan;
    d.latest = input.next();
    for (let a = 0, n = input.count(); a < n; a++) {
      const acc = newAccount({ id: input.next(), currency: '', openedAt: 0 });
      const parts = input.next();
      for (let k = 0; k < samples.length; k++) {
        if (!(parts & (1 << k))) continue;
        const size = input.next();
        const days = input.next();
        const sample = RollingSample.restoreFrom(size, input);
        const at = samples.findIndex((h) => h.size === size && h.days === days);
        if (at < 0) continue;
        acc.samples ??= samples.map((h) => new RollingSample(h.size));
        acc.samples[at] = sample;
      }
      account.forEach((r, i) => {
        if (parts & (1 << (samples.length + i))) acc.memories[i] = r.rule.restore(input, r.settings);
      });
      d.accountStates.set(acc.info.id, acc);
    }
    const parts = input.next();
    client.forEach((r, i) => {
      if (parts & (1 << i)) d.clientMemories[i] = r.rule.restore(input, r.settings);
    });
    if (!input.done) throw new Error(`saved scan state of client ${clientId} has data past its end`);
    return d;
  }
}

function newAccount(info: AccountInfo): AccountState {
  return { info, samples: undefined, memories: [] };
}

/** How far back (days) a replayed client's history is read: the longest reach of any rule, and a day. */
export function historyDays(rules: RulesConfig): number {
  const settingsOf = rules as unknown as Record<string, RuleSettings>;
  let days = 0;
  for (const rule of ENGINE_RULES) days = Math.max(days, rule.reachDays(settingsOf[rule.id] as RuleSettings));
  return days + 1;
}

/** Sets the transaction of each settled entry that lacks it (an episode settled after its transaction) from `txns`. */
function fillTransactions(settled: Settled[], txns: readonly Txn[]): void {
  let byId: Map<number, Txn> | undefined;
  for (const s of settled) {
    if (s.txn) continue;
    byId ??= new Map(txns.map((t) => [t.id, t]));
    s.txn = byId.get(s.id);
  }
}
