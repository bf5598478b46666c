/**
 * Rule `pass-through` (reason "pass-through"): money received and sent on within hours, in ≈ out — layering. A
 * credit into any of the client's accounts (the anchor) at least the population's p95 debit in its currency (as
 * large as a large payment), followed within `windowHours` (inclusive) by debits of the client (any account, same
 * currency) by which the sum sent on comes within `tolerance` of the credits received meanwhile; the flow ends at
 * that debit (what the client books later is its own life, not the pass-through). Client scope: a mule receives on
 * one account and pays out from another as readily as from the same one. Money the client moves between its own
 * accounts (a sweep: a debit on one account and a credit of the same amount on another within `ownMoveMinutes`) is
 * neither received nor sent: both sides are left out, so a sweep alone never fires. When the balance before the
 * anchor is known: above `maxBalanceShare` of the flow the account is no conduit (nothing is found); within
 * `lowBalanceShare` of zero either way (the account held, or owed, little before the money came) the score is
 * higher. Imported data without balances is judged on the flow alone.
 */
import { defineRule, type Judging } from './rule.js';
import { restoreTxns, type StateReader, type StateWriter, saveTxns } from './state-codec.js';
import { capIds, HOUR, isoMinute, MINUTE } from './stats.js';
import type { EpisodeTxn, Finding, Txn } from './types.js';

export interface PassThroughConfig {
  enabled: boolean;
  /** Debits within `windowHours` after the anchor credit (inclusive)… */
  windowHours: number;
  /** …summing to the credits of that time within this share (0.1: out between 90 % and 110 % of in). */
  tolerance: number;
  /** A debit and a credit of the same amount on two of the client's accounts this close in time are one own move. */
  ownMoveMinutes: number;
  /** The balance before the anchor is "small" at or below this share of the flow (the score is higher)… */
  lowBalanceShare: number;
  /** …and above this share the account is no conduit (the money sent on may be its own savings): no finding. */
  maxBalanceShare: number;
  baseScore: number;
  lowBalanceBonus: number;
}

const DEFAULTS: PassThroughConfig = {
  enabled: true,
  windowHours: 24,
  tolerance: 0.1,
  ownMoveMinutes: 5,
  lowBalanceShare: 0.2,
  maxBalanceShare: 1,
  baseScore: 45,
  lowBalanceBonus: 20,
};

/** At most this many transactions are kept (a client booking more within a window has its oldest anchors judged early). */
const MAX_ITEMS = 200;

/** The client's transactions within the window, oldest first, with their accounts and what is settled of each. */
class FlowWindow {
  items: EpisodeTxn[] = [];
  accounts: number[] = [];
  /** 1 when the transaction is one side of an own move, or was flagged already (it anchors nothing more). */
  done: number[] = [];
  /** The population's p95 debit when the transaction is a credit that large (it may anchor), else NaN. */
  large: number[] = [];

  push(t: Txn, j: Judging, cfg: PassThroughConfig): void {
    const item = j.item();
    let own = 0;
    for (let i = this.items.length - 1; i >= 0; i--) {
      const p = this.items[i] as EpisodeTxn;
      if (t.time - p.time > cfg.ownMoveMinutes * MINUTE) break;
      if (
        p.amount === -t.amount &&
        p.currency === t.currency &&
        this.accounts[i] !== t.accountId &&
        !this.done[i]
      ) {
        this.done[i] = 1;
        own = 1;
        break;
      }
    }
    const p95 =
      t.direction === 'credit' ? j.ctx.amountThresholds(t.currency, 'debit', t.time)?.p95 : undefined;
    this.items.push(item);
    this.accounts.push(t.accountId);
    this.done.push(own);
    this.large.push(p95 !== undefined && t.amount >= p95 ? p95 : Number.NaN);
  }

  /** Judges every anchor whose window has closed by `now`, then forgets what no open window reaches. */
  advance(now: number, cfg: PassThroughConfig, out: Finding[]): void {
    const span = cfg.windowHours * HOUR;
    let drop = 0;
    while (drop < this.items.length) {
      const first = this.items[drop] as EpisodeTxn;
      const anchor = !this.done[drop] && !Number.isNaN(this.large[drop] as number);
      // Ahead of every anchor, a transaction matters only as one side of an own move.
      const reach = anchor ? span : cfg.ownMoveMinutes * MINUTE;
      if (now - first.time <= reach && this.items.length - drop < MAX_ITEMS) break;
      if (anchor) this.judge(drop, cfg, out);
      drop++;
    }
    if (drop === 0) return;
    this.items.splice(0, drop);
    this.accounts.splice(0, drop);
    this.done.splice(0, drop);
    this.large.splice(0, drop);
  }

  /** Emits every anchor still open as it stands (they stay open). */
  flush(cfg: PassThroughConfig, out: Finding[]): void {
    for (let i = 0; i < this.items.length; i++)
      if (!this.done[i] && !Number.isNaN(this.large[i] as number)) this.judge(i, cfg, out, false);
  }

  /**
   * The flow from anchor `a`: its currency's credits and debits from it on, own moves left out, up to the first
   * debit by which the money sent on is within `tolerance` of the money received — within the window. What the
   * client books after that is its own life, not the pass-through (a salary, the next day's shopping).
   */
  private judge(a: number, cfg: PassThroughConfig, out: Finding[], settle = true): void {
    const anchor = this.items[a] as EpisodeTxn;
    let credits = 0;
    let debits = 0;
    const members: number[] = [];
    let matched = false;
    for (let i = a; i < this.items.length && !matched; i++) {
      const p = this.items[i] as EpisodeTxn;
      if (p.time - anchor.time > cfg.windowHours * HOUR) break;
      if (p.currency !== anchor.currency || (this.done[i] && i !== a)) continue;
      if (p.amount > 0) credits += p.amount;
      else debits -= p.amount;
      members.push(i);
      matched =
        p.amount < 0 && debits >= (1 - cfg.tolerance) * credits && debits <= (1 + cfg.tolerance) * credits;
    }
    if (!matched) return;
    const before = anchor.balanceAfter === null ? null : anchor.balanceAfter - anchor.amount;
    if (before !== null && before > cfg.maxBalanceShare * credits) return;
    // Held little either way: an overdraft as deep as the flow is no sign of a conduit.
    const low = before !== null && Math.abs(before) <= cfg.lowBalanceShare * credits;
    const score = cfg.baseScore + (low ? cfg.lowBalanceBonus : 0);
    const ids = members.map((i) => (this.items[i] as EpisodeTxn).id);
    const last = this.items[members[members.length - 1] as number] as EpisodeTxn;
    for (const i of members) {
      const p = this.items[i] as EpisodeTxn;
      if (settle) this.done[i] = 1;
      out.push({
        transactionId: p.id,
        time: p.time,
        ruleId: 'pass-through',
        score,
        related: ids.filter((id) => id !== p.id),
        evidence: {
          received: Math.round(credits * 100) / 100,
          sentOn: Math.round(debits * 100) / 100,
          currency: anchor.currency,
          balanceBefore: before,
          window: { hours: cfg.windowHours, from: isoMinute(anchor.time), to: isoMinute(last.time) },
          thresholds: {
            windowHours: cfg.windowHours,
            tolerance: cfg.tolerance,
            anchorAtLeast: this.large[a],
            lowBalanceShare: cfg.lowBalanceShare,
          },
          relatedTransactionIds: capIds(ids),
        },
      });
    }
  }

  save(out: StateWriter): void {
    saveTxns(out, this.items);
    for (let i = 0; i < this.items.length; i++) {
      out.put(this.accounts[i] as number);
      out.put(this.done[i] as number);
      out.put(this.large[i] as number);
    }
  }

  static restore(input: StateReader): FlowWindow {
    const w = new FlowWindow();
    w.items = restoreTxns(input);
    for (let i = 0; i < w.items.length; i++) {
      w.accounts.push(input.next());
      w.done.push(input.next());
      w.large.push(input.next());
    }
    return w;
  }
}

/** Judged per client (across its accounts), every completed booking in order (late ones are left out). */
export const passThrough = defineRule({
  id: 'pass-through',
  reason: 'pass-through',
  scope: 'client',
  judgesLate: false,
  defaults: DEFAULTS,
  reachDays: (cfg) => cfg.windowHours / 24,
  remember: () => new FlowWindow(),
  push: (w, t, j, cfg, out) => {
    w.advance(t.time, cfg, out);
    w.push(t, j, cfg);
  },
  advance: (w, now, cfg, out) => w.advance(now, cfg, out),
  flush: (w, cfg, out) => w.flush(cfg, out),
  oldestOpen: (w) => w.items[0]?.time ?? Number.POSITIVE_INFINITY,
  isEmpty: (w) => w.items.length === 0,
  save: (w, out) => w.save(out),
  restore: (input) => FlowWindow.restore(input),
});
