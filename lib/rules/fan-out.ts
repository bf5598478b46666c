/**
 * Rule `fan-out` (reason "fan-out to new recipients"): one client paying many new, distinct recipients in a short
 * window — at least `minNew` payments to recipients the client has not paid within `knownDays`, within
 * `windowHours` (inclusive). A recipient is known by its 32-bit key (Txn.recipientKey, a hash of the IBAN: distinct
 * enough within one client), never by its IBAN. The known set is bounded twice: by time (a recipient not paid for
 * `knownDays` is forgotten) and by size (at most `maxKnown`, the least recently paid forgotten first). Before the
 * client has `minHistoryDays` of observed history every recipient is new, so nothing counts as new then: a
 * business's first payroll in the data is not a fan-out, and its next ones pay known recipients.
 */
import { defineRule, type Judging } from './rule.js';
import type { StateReader, StateWriter } from './state-codec.js';
import { restoreWindow, saveWindow } from './state-codec.js';
import { capIds, DAY, EpisodeWindow, HOUR, isoMinute, recipientKey } from './stats.js';
import type { EpisodeTxn, Finding, Txn } from './types.js';

export interface FanOutConfig {
  enabled: boolean;
  /** At least `minNew` payments to new recipients within `windowHours` (inclusive). */
  minNew: number;
  windowHours: number;
  /** A recipient paid within this many days is known (not new). */
  knownDays: number;
  /** At most this many known recipients are remembered per client (least recently paid forgotten first). */
  maxKnown: number;
  /** Nothing is new until the client has this many days of observed history. */
  minHistoryDays: number;
  baseScore: number;
  /** Added per new recipient beyond `minNew`, up to `maxScore`. */
  scorePerExtra: number;
  maxScore: number;
}

const DEFAULTS: FanOutConfig = {
  enabled: true,
  minNew: 6,
  windowHours: 24,
  knownDays: 365,
  maxKnown: 256,
  minHistoryDays: 35,
  baseScore: 50,
  scorePerExtra: 4,
  maxScore: 70,
};

/** A debit to an identified recipient (a transfer or any payment carrying a recipient IBAN). */
function paysRecipient(t: Txn): boolean {
  return t.direction === 'debit' && (t.recipientKey !== undefined || t.recipient !== null);
}

/** One client's known recipients (key → last paid, least recently paid first) and its window of new ones. */
class FanOutWatch {
  readonly known = new Map<number, number>();
  firstSeen = Number.POSITIVE_INFINITY;
  readonly episodes: EpisodeWindow<EpisodeTxn>;

  constructor(cfg: FanOutConfig) {
    this.episodes = new EpisodeWindow<EpisodeTxn>(cfg.windowHours * HOUR, cfg.minNew);
  }

  push(t: Txn, j: Judging, cfg: FanOutConfig, out: Finding[]): void {
    // The scan's sources set the key; a transaction built by hand may carry only the IBAN.
    const key = t.recipientKey ?? recipientKey(t.recipient as string);
    if (this.firstSeen > t.time) this.firstSeen = t.time;
    this.forget(t.time, cfg);
    const isNew = !this.known.has(key) && t.time - this.firstSeen >= cfg.minHistoryDays * DAY;
    // Delete and set again: the Map's order stays least recently paid first, so eviction is from the front.
    this.known.delete(key);
    this.known.set(key, t.time);
    if (this.known.size > cfg.maxKnown) this.known.delete(this.known.keys().next().value as number);
    if (!isNew) return;
    const closed = this.episodes.push(j.item());
    if (closed) emitFanOut(closed, cfg, out);
  }

  /** Forgets recipients last paid more than `knownDays` before `now`. */
  private forget(now: number, cfg: FanOutConfig): void {
    for (const [key, last] of this.known) {
      if (now - last <= cfg.knownDays * DAY) return;
      this.known.delete(key);
    }
  }

  advance(now: number, cfg: FanOutConfig, out: Finding[]): void {
    const closed = this.episodes.advance(now);
    if (closed) emitFanOut(closed, cfg, out);
  }

  save(out: StateWriter): void {
    out.put(this.firstSeen);
    out.put(this.known.size);
    for (const [key, last] of this.known) {
      out.put(key);
      out.put(last);
    }
    saveWindow(out, this.episodes);
  }

  static restore(input: StateReader, cfg: FanOutConfig): FanOutWatch {
    const watch = new FanOutWatch(cfg);
    watch.firstSeen = input.next();
    const n = input.count();
    for (let i = 0; i < n; i++) {
      const key = input.next();
      watch.known.set(key, input.next());
    }
    restoreWindow(watch.episodes, input);
    return watch;
  }
}

/** Judged per client (across its accounts), debits to a recipient only, in booking order (late ones are left out). */
export const fanOut = defineRule({
  id: 'fan-out',
  reason: 'fan-out to new recipients',
  scope: 'client',
  judgesLate: false,
  defaults: DEFAULTS,
  reachDays: (cfg) => cfg.knownDays,
  accepts: paysRecipient,
  remember: (cfg) => new FanOutWatch(cfg),
  push: (watch, t, j, cfg, out) => watch.push(t, j, cfg, out),
  advance: (watch, now, cfg, out) => watch.advance(now, cfg, out),
  flush: (watch, cfg, out) => {
    if (watch.episodes.open) emitFanOut(watch.episodes.open, cfg, out);
  },
  oldestOpen: (watch) => watch.episodes.oldest(),
  isEmpty: (watch) => watch.known.size === 0 && watch.episodes.empty,
  save: (watch, out) => watch.save(out),
  restore: (input, cfg) => FanOutWatch.restore(input, cfg),
});

function emitFanOut(episode: readonly EpisodeTxn[], cfg: FanOutConfig, out: Finding[]): void {
  const first = episode[0];
  const last = episode[episode.length - 1];
  if (!first || !last) return;
  const ids = episode.map((t) => t.id);
  const score = Math.min(cfg.maxScore, cfg.baseScore + cfg.scorePerExtra * (episode.length - cfg.minNew));
  const totals: Record<string, number> = {};
  for (const t of episode)
    totals[t.currency] = Math.round(((totals[t.currency] ?? 0) - t.amount) * 100) / 100;
  for (const t of episode) {
    out.push({
      transactionId: t.id,
      time: t.time,
      ruleId: 'fan-out',
      score,
      related: ids.filter((id) => id !== t.id),
      evidence: {
        newRecipients: episode.length,
        window: { hours: cfg.windowHours, from: isoMinute(first.time), to: isoMinute(last.time) },
        totalsByCurrency: totals,
        thresholds: { minNew: cfg.minNew, windowHours: cfg.windowHours, knownDays: cfg.knownDays },
        relatedTransactionIds: capIds(ids),
      },
    });
  }
}
