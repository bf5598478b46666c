/**
 * The streaming detection engine. One `ClientDetector` per client holds what every rule remembers of that client —
 * each account's recent debits, when it was last active, its open burst, series and dormant episode; the client's
 * recipient countries, recent activity and just-under-threshold windows — takes the client's transactions one at
 * a time in the order they were booked, and hands out each transaction's findings once no rule can add to them
 * any more (the transaction is "settled": it is in no open window or episode). The same code judges a whole table
 * (the full scan), a batch of new rows on top of a saved state (the incremental scan) and a timeline in a unit
 * test, so all three agree by construction.
 *
 * A detector's memory is bounded by time, not by history: samples of at most `historySize` debits within the
 * lookback, windows of minutes or hours, episodes of days. `save()` turns it into compact JSON (times as seconds
 * before the client's latest transaction, recipients as hashes — never an IBAN) and `ClientDetector.restore`
 * brings it back.
 */
import { judgeClientBaseline } from './client-baseline.js';
import type { RulesConfig } from './config.js';
import { DormantWatch } from './dormant-reactivation.js';
import { judgeHighAmount } from './high-amount.js';
import { SeriesWatch } from './rapid-transfers.js';
import { type EpisodeWindow, RollingSample } from './stats.js';
import { isJustUnder, StructuringWatch } from './structuring.js';
import type { AccountInfo, ClientTimeline, EpisodeTxn, Finding, RuleContext, Txn } from './types.js';
import { LocationMemory, locationHistoryCap } from './unusual-location.js';
import { BurstWatch, countsAsTransfer } from './unusual-pattern.js';

/** The saved-state format; a different version is not read (a full scan rebuilds the state). */
export const STATE_VERSION = 1;

/** A transaction's findings once settled. `txn` is set when the detector saw the transaction in this run. */
export interface Settled {
  id: number;
  time: number;
  txn: Txn | undefined;
  findings: Finding[];
}

interface AccountState {
  info: AccountInfo;
  /** high-amount's own history and client-baseline's sample (one object when their sizes and lookbacks agree). */
  amounts: RollingSample | undefined;
  debits: RollingSample | undefined;
  /** Made on the account's first transfer. */
  burst: BurstWatch | undefined;
  series: SeriesWatch | undefined;
  dormant: DormantWatch;
}

/** A sample no debit has gone into yet (read-only: accounts get their own on their first debit). */
const EMPTY_SAMPLE = new RollingSample(0);

/** 32-bit FNV-1a of a recipient IBAN: tells recipients apart without keeping the IBAN. */
export function recipientKey(iban: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < iban.length; i++) {
    h ^= iban.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h | 0;
}

/** A remembered transaction: [id, time in s, amount, balance after or null, recipient key or null, currency]. */
type SavedTxn = [number, number, number, number | null, number | null, string];

/** Saved times are seconds before the client's latest transaction (`base`, ms): small numbers, short JSON. */
function ago(base: number, time: number): number {
  return (base - time) / 1000;
}

function at(base: number, seconds: number): number {
  return Math.round(base - seconds * 1000);
}

function saveTxn(t: EpisodeTxn, base: number): SavedTxn {
  const key = t.recipientKey ?? (t.recipient ? recipientKey(t.recipient) : null);
  return [t.id, ago(base, t.time), t.amount, t.balanceAfter, key, t.currency];
}

function restoreTxn([id, seconds, amount, balanceAfter, key, currency]: SavedTxn, base: number): EpisodeTxn {
  return {
    id,
    time: at(base, seconds),
    amount,
    currency,
    balanceAfter,
    recipient: null,
    recipientKey: key ?? undefined,
  };
}

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

interface SavedWindow {
  /** Window items, then the open episode's ids (items of the window or in `extra`). */
  w: SavedTxn[];
  o?: number[];
  x?: SavedTxn[];
}

function saveWindow(w: EpisodeWindow<EpisodeTxn>, base: number): SavedWindow | undefined {
  if (w.empty) return undefined;
  const saved: SavedWindow = { w: w.window.map((t) => saveTxn(t, base)) };
  if (w.open) {
    saved.o = w.open.map((t) => t.id);
    const inWindow = new Set(w.window);
    const extra = w.open.filter((t) => !inWindow.has(t));
    if (extra.length) saved.x = extra.map((t) => saveTxn(t, base));
  }
  return saved;
}

function restoreWindow(w: EpisodeWindow<EpisodeTxn>, saved: SavedWindow | undefined, base: number): void {
  if (!saved) return;
  const window = saved.w.map((s) => restoreTxn(s, base));
  w.window = window;
  if (saved.o) {
    const byId = new Map<number, EpisodeTxn>();
    for (const t of window) byId.set(t.id, t);
    for (const s of saved.x ?? []) byId.set(s[0], restoreTxn(s, base));
    w.open = saved.o.map((id) => byId.get(id)).filter((t): t is EpisodeTxn => t !== undefined);
  }
}

interface SavedAccount {
  id: number;
  /** high-amount's sample, flat [time s, value, …]; `d` is client-baseline's when kept apart. */
  a?: number[];
  d?: number[];
  /** Last activity (s), the open burst window, series and dormant episode. */
  l?: number;
  b?: SavedWindow;
  r?: SavedTxn[];
  e?: { q: number; m: SavedTxn[] };
}

export interface SavedClient {
  v: number;
  /** The latest booking time seen (s since the epoch); every other time is saved as seconds before it. */
  t: number;
  a: SavedAccount[];
  /** unusual-location: country → last paid (s), recent activity (s). */
  u?: Array<[string, number]>;
  h?: number[];
  /** structuring windows per currency. */
  s?: Array<[string, SavedWindow]>;
}

/** Findings are gathered here while one transaction is judged (the engine is synchronous: one array serves all). */
const OUT: Finding[] = [];

/** What one client's rules remember, and the findings waiting for their transaction to settle. */
export class ClientDetector {
  private readonly accountStates = new Map<number, AccountState>();
  readonly location: LocationMemory;
  readonly structuring = new StructuringWatch();
  private pending: Map<number, Settled> | undefined;
  /** The latest booking time pushed so far (a transaction earlier than this arrives late). */
  latest = Number.NEGATIVE_INFINITY;
  private readonly sharedSample: boolean;

  constructor(
    readonly clientId: number,
    readonly country: string,
    private readonly rules: RulesConfig,
    private readonly ctx: RuleContext,
  ) {
    const ha = rules['high-amount'];
    const cb = rules['client-baseline'];
    this.sharedSample = ha.ownHistorySize === cb.historySize && ha.ownHistoryDays === cb.lookbackDays;
    this.location = new LocationMemory(locationHistoryCap(rules['unusual-location']));
  }

  get hasPending(): boolean {
    return this.pending !== undefined && this.pending.size > 0;
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
   * (late) is judged by the amount and location rules only: the windows and episodes it would belong to have been
   * judged already. The incremental scan never pushes late transactions — it replays such a client's history in
   * order instead (lib/scan/scan.ts).
   */
  push(t: Txn): void {
    const rules = this.rules;
    const acc = this.account(t);
    const late = t.time < this.latest;
    if (!late) this.latest = t.time;
    const ha = rules['high-amount'];
    if (ha.enabled) {
      const f = judgeHighAmount(t, acc.amounts ?? EMPTY_SAMPLE, this.ctx, ha);
      if (f) OUT.push(f);
    }
    const cb = rules['client-baseline'];
    if (cb.enabled && t.direction === 'debit') {
      const f = judgeClientBaseline(t, acc.debits ?? EMPTY_SAMPLE, this.ctx, cb);
      if (f) OUT.push(f);
    }
    if (t.direction === 'debit') {
      if (!acc.amounts) {
        acc.amounts = new RollingSample(ha.ownHistorySize);
        acc.debits = this.sharedSample ? acc.amounts : new RollingSample(cb.historySize);
      }
      acc.amounts.add(t.time, -t.amount);
      if (acc.debits !== acc.amounts) acc.debits?.add(t.time, -t.amount);
    }
    const location = rules['unusual-location'];
    if (location.enabled) {
      const f = this.location.push(t, this.country, location);
      if (f) OUT.push(f);
    }
    if (!late) {
      const up = rules['unusual-pattern'];
      const rt = rules['rapid-transfers'];
      const st = rules.structuring;
      const inBurst = up.enabled && countsAsTransfer(t, up);
      const inSeries = rt.enabled && t.direction === 'debit' && t.transfer;
      const inStructuring = st.enabled && isJustUnder(t, st);
      // One slim copy serves every window the transaction enters (no closure, no copy when it enters none).
      const item = inBurst || inSeries || inStructuring ? slim(t) : t;
      if (inBurst) {
        acc.burst ??= new BurstWatch(up);
        acc.burst.push(t, up, OUT, item);
      }
      if (inSeries) {
        acc.series ??= new SeriesWatch();
        acc.series.push(t, rt, OUT, item);
      }
      if (inStructuring) this.structuring.push(t, st, OUT, item);
      const dr = rules['dormant-reactivation'];
      if (dr.enabled) acc.dormant.push(t, acc.info.openedAt, this.ctx, dr, OUT, item);
    }
    if (OUT.length) this.collect(t);
  }

  /** Time moved on to `now`: closes the windows and episodes nothing later can join. */
  advance(now: number): void {
    const rules = this.rules;
    for (const acc of this.accountStates.values()) {
      if (rules['unusual-pattern'].enabled) acc.burst?.advance(now, rules['unusual-pattern'], OUT);
      if (rules['rapid-transfers'].enabled) acc.series?.advance(now, rules['rapid-transfers'], OUT);
      if (rules['dormant-reactivation'].enabled) acc.dormant.advance(now, rules['dormant-reactivation'], OUT);
    }
    if (rules.structuring.enabled) this.structuring.advance(now, rules.structuring, OUT);
    if (OUT.length) this.collect();
  }

  /** Findings for every episode still open, as it stands now (the episodes stay open). */
  flush(): void {
    const rules = this.rules;
    for (const acc of this.accountStates.values()) {
      if (rules['unusual-pattern'].enabled) acc.burst?.flush(rules['unusual-pattern'], OUT);
      if (rules['rapid-transfers'].enabled) acc.series?.flush(rules['rapid-transfers'], OUT);
      if (rules['dormant-reactivation'].enabled) acc.dormant.flush(rules['dormant-reactivation'], OUT);
    }
    if (rules.structuring.enabled) this.structuring.flush(rules.structuring, OUT);
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
    let oldest = this.structuring.oldest();
    for (const acc of this.accountStates.values()) {
      if (acc.burst) oldest = Math.min(oldest, acc.burst.episodes.oldest());
      const first = acc.series?.series[0];
      if (first) oldest = Math.min(oldest, first.time);
      const episode = acc.dormant.episode;
      if (episode) oldest = Math.min(oldest, (episode.members[0] as EpisodeTxn).time);
    }
    return oldest;
  }

  /**
   * Judges `txns` (the client's next transactions, in booking order), then closes what its own latest booking has
   * passed and emits every episode still open as it stands: returns every finding, settled. Only the client's own
   * bookings move its clock — another client's later booking says nothing about what this one may still book.
   */
  judge(txns: Iterable<Txn>): Settled[] {
    const settled: Settled[] = [];
    for (const t of txns) {
      this.push(t);
      this.settle(settled);
    }
    this.advance(this.latest);
    this.flush();
    this.settle(settled, true);
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
   * The state to carry to the next scan. Settle everything first (pending findings are not part of it), and close
   * what time has passed with `advance`, so no stale window is carried along.
   */
  save(): SavedClient {
    const base = Number.isFinite(this.latest) ? this.latest : 0;
    const accounts: SavedAccount[] = [];
    const lookback = this.rules['unusual-location'].lookbackDays * 86_400_000;
    for (const [id, acc] of this.accountStates) {
      const saved: SavedAccount = { id };
      if (acc.amounts?.count) saved.a = acc.amounts.saveFlat(base);
      if (acc.debits && acc.debits !== acc.amounts && acc.debits.count) saved.d = acc.debits.saveFlat(base);
      if (acc.dormant.lastTime !== undefined) saved.l = ago(base, acc.dormant.lastTime);
      const burst = acc.burst && saveWindow(acc.burst.episodes, base);
      if (burst) saved.b = burst;
      if (acc.series?.series.length) saved.r = acc.series.series.map((t) => saveTxn(t, base));
      const episode = acc.dormant.episode;
      if (episode)
        saved.e = { q: ago(base, episode.quietSince), m: episode.members.map((t) => saveTxn(t, base)) };
      accounts.push(saved);
    }
    const state: SavedClient = { v: STATE_VERSION, t: base / 1000, a: accounts };
    const recent = this.location.recentTimes();
    const latest = recent[recent.length - 1];
    if (latest !== undefined) this.location.prune(latest - lookback);
    if (this.location.lastUsed.size)
      state.u = [...this.location.lastUsed].map(([c, time]) => [c, ago(base, time)]);
    if (recent.length) state.h = recent.map((time) => ago(base, time));
    const windows: Array<[string, SavedWindow]> = [];
    for (const [currency, w] of this.structuring.byCurrency) {
      const saved = saveWindow(w, base);
      if (saved) windows.push([currency, saved]);
    }
    if (windows.length) state.s = windows;
    return state;
  }

  /** A detector carrying on from `saved` (its accounts' details are set with describeAccount). */
  static restore(
    clientId: number,
    country: string,
    rules: RulesConfig,
    ctx: RuleContext,
    saved: SavedClient,
  ): ClientDetector {
    if (saved.v !== STATE_VERSION) {
      throw new Error(`saved scan state of client ${clientId} has version ${saved.v}, not ${STATE_VERSION}`);
    }
    const d = new ClientDetector(clientId, country, rules, ctx);
    const base = Math.round(saved.t * 1000);
    d.latest = base;
    const ha = rules['high-amount'];
    const cb = rules['client-baseline'];
    for (const a of saved.a) {
      const acc = newAccount({ id: a.id, currency: '', openedAt: 0 });
      if (a.a?.length) {
        acc.amounts = RollingSample.restoreFlat(ha.ownHistorySize, a.a, base);
        acc.debits = d.sharedSample
          ? acc.amounts
          : RollingSample.restoreFlat(cb.historySize, a.d ?? a.a, base);
      }
      if (a.l !== undefined) acc.dormant.lastTime = at(base, a.l);
      if (a.b) {
        acc.burst = new BurstWatch(rules['unusual-pattern']);
        restoreWindow(acc.burst.episodes, a.b, base);
      }
      if (a.r) acc.series = new SeriesWatch(a.r.map((s) => restoreTxn(s, base)));
      if (a.e)
        acc.dormant.episode = { quietSince: at(base, a.e.q), members: a.e.m.map((s) => restoreTxn(s, base)) };
      d.accountStates.set(a.id, acc);
    }
    for (const [c, seconds] of saved.u ?? []) d.location.lastUsed.set(c, at(base, seconds));
    for (const seconds of saved.h ?? []) d.location.remember(at(base, seconds));
    for (const [currency, w] of saved.s ?? [])
      restoreWindow(d.structuring.window(currency, rules.structuring), w, base);
    return d;
  }
}

function newAccount(info: AccountInfo): AccountState {
  return {
    info,
    amounts: undefined,
    debits: undefined,
    burst: undefined,
    series: undefined,
    dormant: new DormantWatch(),
  };
}

/** Every enabled rule's findings on one client's timeline (from an empty memory), in settling order. */
export function detectTimeline(timeline: ClientTimeline, ctx: RuleContext, rules: RulesConfig): Finding[] {
  const d = new ClientDetector(timeline.clientId, timeline.country.toUpperCase(), rules, ctx);
  for (const a of timeline.accounts.values()) d.describeAccount(a);
  return d.judge(timeline.txns).flatMap((s) => s.findings);
}
