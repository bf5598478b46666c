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
import { StateReader, StateWriter } from './state-codec.js';
import { type EpisodeWindow, RollingSample } from './stats.js';
import { isJustUnder, StructuringWatch } from './structuring.js';
import type { AccountInfo, ClientTimeline, EpisodeTxn, Finding, RuleContext, Txn } from './types.js';
import { LocationMemory, locationHistoryCap } from './unusual-location.js';
import { BurstWatch, countsAsTransfer } from './unusual-pattern.js';

/** The saved-state format; a state of another version is not read (its client is replayed from its history). */
export const STATE_VERSION = 2;

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

/** A remembered transaction: id, time, amount, balance after (or NaN), recipient key (or NaN), currency. */
function saveTxn(out: StateWriter, t: EpisodeTxn): void {
  out.put(t.id);
  out.put(t.time);
  out.put(t.amount);
  out.putMaybe(t.balanceAfter);
  out.putMaybe(t.recipientKey ?? (t.recipient ? recipientKey(t.recipient) : null));
  out.putCode(t.currency);
}

function restoreTxn(input: StateReader): EpisodeTxn {
  const id = input.next();
  const time = input.next();
  const amount = input.next();
  const balanceAfter = input.maybe();
  const key = input.maybe();
  return {
    id,
    time,
    amount,
    currency: input.code(),
    balanceAfter,
    recipient: null,
    recipientKey: key ?? undefined,
  };
}

function saveTxns(out: StateWriter, txns: readonly EpisodeTxn[]): void {
  out.put(txns.length);
  for (const t of txns) saveTxn(out, t);
}

function restoreTxns(input: StateReader): EpisodeTxn[] {
  const n = input.count();
  const txns: EpisodeTxn[] = [];
  for (let i = 0; i < n; i++) txns.push(restoreTxn(input));
  return txns;
}

/** A window: its items, then the open episode's ids (−1 when none) and those of its members not in the window. */
function saveWindow(out: StateWriter, w: EpisodeWindow<EpisodeTxn>): void {
  const window = w.window;
  saveTxns(out, window);
  if (!w.open) {
    out.put(-1);
    return;
  }
  out.put(w.open.length);
  for (const t of w.open) out.put(t.id);
  const inWindow = new Set(window);
  saveTxns(
    out,
    w.open.filter((t) => !inWindow.has(t)),
  );
}

function restoreWindow(w: EpisodeWindow<EpisodeTxn>, input: StateReader): void {
  const window = restoreTxns(input);
  w.window = window;
  const opened = input.next();
  if (opened === -1) return;
  if (!Number.isInteger(opened) || opened < 0)
    throw new Error(`saved scan state has a bad count (${opened})`);
  const ids: number[] = [];
  for (let i = 0; i < opened; i++) ids.push(input.next());
  const byId = new Map<number, EpisodeTxn>();
  for (const t of window) byId.set(t.id, t);
  for (const t of restoreTxns(input)) byId.set(t.id, t);
  w.open = ids.map((id) => byId.get(id)).filter((t): t is EpisodeTxn => t !== undefined);
}

/** What each account's saved form holds (a bit per part, in this order). */
const HAS_AMOUNTS = 1;
const HAS_DEBITS = 2;
const HAS_LAST = 4;
const HAS_BURST = 8;
const HAS_SERIES = 16;
const HAS_EPISODE = 32;

const STATE_OUT = new StateWriter();

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
   * The state to carry to the next scan (encoded by lib/rules/state-codec.ts): settle everything
   * first (pending findings are not part of it), and close what time has passed with `advance`, so no stale window
   * is carried along. It holds numbers and currency and country codes only: recipients as hashes, never an IBAN.
   *
   * Layout: version, latest booking time (ms); accounts (count; each: id, a bit per part present, then the parts:
   * high-amount's sample, client-baseline's when kept apart, last activity, open burst window, series, dormant
   * episode); recipient countries with when each was last paid; recent activity times; structuring windows per
   * currency.
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
    out.put(STATE_VERSION);
    out.put(Number.isFinite(this.latest) ? this.latest : 0);
    out.put(this.accountStates.size);
    for (const [id, acc] of this.accountStates) {
      const amounts = acc.amounts?.count ? acc.amounts : undefined;
      const debits = acc.debits && acc.debits !== acc.amounts && acc.debits.count ? acc.debits : undefined;
      const last = acc.dormant.lastTime;
      const burst = acc.burst && !acc.burst.episodes.empty ? acc.burst.episodes : undefined;
      const series = acc.series?.series.length ? acc.series.series : undefined;
      const episode = acc.dormant.episode;
      out.put(id);
      out.put(
        (amounts ? HAS_AMOUNTS : 0) |
          (debits ? HAS_DEBITS : 0) |
          (last !== undefined ? HAS_LAST : 0) |
          (burst ? HAS_BURST : 0) |
          (series ? HAS_SERIES : 0) |
          (episode ? HAS_EPISODE : 0),
      );
      amounts?.saveTo(out);
      debits?.saveTo(out);
      if (last !== undefined) out.put(last);
      if (burst) saveWindow(out, burst);
      if (series) saveTxns(out, series);
      if (episode) {
        out.put(episode.quietSince);
        saveTxns(out, episode.members);
      }
    }
    const lookback = this.rules['unusual-location'].lookbackDays * 86_400_000;
    const recent = this.location.recentTimes();
    const latest = recent[recent.length - 1];
    if (latest !== undefined) this.location.prune(latest - lookback);
    out.put(this.location.lastUsed.size);
    for (const [country, time] of this.location.lastUsed) {
      out.putCode(country);
      out.put(time);
    }
    out.put(recent.length);
    for (const time of recent) out.put(time);
    let windows = 0;
    for (const w of this.structuring.byCurrency.values()) if (!w.empty) windows++;
    out.put(windows);
    for (const [currency, w] of this.structuring.byCurrency) {
      if (w.empty) continue;
      out.putCode(currency);
      saveWindow(out, w);
    }
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
    d.latest = input.next();
    const ha = rules['high-amount'];
    const cb = rules['client-baseline'];
    for (let i = 0, n = input.count(); i < n; i++) {
      const id = input.next();
      const parts = input.next();
      const acc = newAccount({ id, currency: '', openedAt: 0 });
      // One sample serves both rules when their sizes and lookbacks agree; otherwise client-baseline's was saved
      // apart (when it held anything).
      if (parts & (HAS_AMOUNTS | HAS_DEBITS)) {
        const amounts =
          parts & HAS_AMOUNTS
            ? RollingSample.restoreFrom(ha.ownHistorySize, input)
            : new RollingSample(ha.ownHistorySize);
        acc.amounts = amounts;
        acc.debits = d.sharedSample
          ? amounts
          : parts & HAS_DEBITS
            ? RollingSample.restoreFrom(cb.historySize, input)
            : new RollingSample(cb.historySize);
      }
      if (parts & HAS_LAST) acc.dormant.lastTime = input.next();
      if (parts & HAS_BURST) {
        acc.burst = new BurstWatch(rules['unusual-pattern']);
        restoreWindow(acc.burst.episodes, input);
      }
      if (parts & HAS_SERIES) acc.series = new SeriesWatch(restoreTxns(input));
      if (parts & HAS_EPISODE) {
        const quietSince = input.next();
        acc.dormant.episode = { quietSince, members: restoreTxns(input) };
      }
      d.accountStates.set(id, acc);
    }
    for (let i = 0, n = input.count(); i < n; i++) {
      const code = input.code();
      d.location.lastUsed.set(code, input.next());
    }
    for (let i = 0, n = input.count(); i < n; i++) d.location.remember(input.next());
    for (let i = 0, n = input.count(); i < n; i++) {
      const currency = input.code();
      restoreWindow(d.structuring.window(currency, rules.structuring), input);
    }
    if (!input.done) throw new Error(`saved scan state of client ${clientId} has data past its end`);
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
