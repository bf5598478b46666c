/**
 * Network rule `cycle` (reason "cycle"): money that comes back to the account it left, through a chain of the
 * bank's own accounts — A → B → … → A — each transfer booked after the one before it, all within `maxDays`, in one
 * currency, each amount within `hopTolerance` of the one before (a fee or a cut taken on the way). Found when the
 * transfer that closes the loop is booked; the shortest loop is reported. A loop through one client's own accounts
 * is a sweep and never counts.
 *
 * Scores: two hops (A pays B, B pays about as much back) is weak on its own — family and friends pay each other back
 * — at `twoHopScore`; three hops or more is what round-tripping looks like, at `score`, rising by `perExtraHop` a hop.
 */
import { defineNetworkRule, type Transfer, type TransferWindow } from './network-rule.js';
import { capIds, cents, DAY, isoMinute } from './stats.js';
import type { Finding } from './types.js';

export interface CycleConfig {
  enabled: boolean;
  /** From the first transfer of the loop to the one that closes it. */
  maxDays: number;
  /** Transfers in the loop, the closing one included (2: A → B → A). */
  maxHops: number;
  /** Each transfer is within this share of the one before it (0.1: 90 %–110 %). */
  hopTolerance: number;
  twoHopScore: number;
  score: number;
  perExtraHop: number;
  maxScore: number;
}

const DEFAULTS: CycleConfig = {
  enabled: true,
  maxDays: 7,
  maxHops: 6,
  hopTolerance: 0.1,
  twoHopScore: 20,
  score: 60,
  perExtraHop: 5,
  maxScore: 75,
};

/** Paths tried per closing transfer at most (a hub with many transfers cannot stall the scan). */
const MAX_STEPS = 20_000;

export const cycle = defineNetworkRule({
  id: 'cycle',
  reason: 'cycle',
  scope: 'network',
  defaults: DEFAULTS,
  reachDays: (cfg) => cfg.maxDays,
  judge: judgeCycle,
});

function judgeCycle(t: Transfer, window: TransferWindow, cfg: CycleConfig, out: Finding[]): void {
  if (!t.toAccount || t.toAccount === t.account) return;
  const path = shortestLoop(t, window, cfg);
  if (!path) return;
  const loop = [...path, t];
  if (new Set(loop.map((x) => x.client)).size < 2) return;
  const hops = loop.length;
  const score =
    hops === 2 ? cfg.twoHopScore : Math.min(cfg.maxScore, cfg.score + cfg.perExtraHop * (hops - 3));
  const ids = loop.map((x) => x.id);
  const first = loop[0] as Transfer;
  const evidence = {
    hops,
    accounts: loop.map((x) => x.account),
    clients: new Set(loop.map((x) => x.client)).size,
    amounts: loop.map((x) => cents(x.amount)),
    currency: t.currency,
    from: isoMinute(first.time),
    to: isoMinute(t.time),
    hours: cents((t.time - first.time) / 3_600_000),
    thresholds: { maxDays: cfg.maxDays, maxHops: cfg.maxHops, hopTolerance: cfg.hopTolerance },
    relatedTransactionIds: capIds(ids),
  };
  for (const x of loop) {
    out.push({
      transactionId: x.id,
      time: x.time,
      ruleId: 'cycle',
      score,
      evidence,
      related: ids.filter((id) => id !== x.id),
    });
  }
}

/** Whether `next` may follow `previous` in a loop: booked after it, same currency, amount within the tolerance. */
function follows(previous: Transfer, next: Transfer, cfg: CycleConfig): boolean {
  return (
    next.currency === previous.currency &&
    (next.time > previous.time || (next.time === previous.time && next.id > previous.id)) &&
    Math.abs(next.amount - previous.amount) <= cfg.hopTolerance * previous.amount
  );
}

/**
 * The shortest chain of transfers from the account `t` pays to back to the account `t` leaves, every transfer
 * booked within `maxDays` before `t` and each following the one before it (and `t` following the last) — found
 * by deepening a depth-first search one hop at a time.
 */
function shortestLoop(t: Transfer, window: TransferWindow, cfg: CycleConfig): Transfer[] | undefined {
  const since = t.time - cfg.maxDays * DAY;
  const budget = { steps: MAX_STEPS };
  for (let length = 1; length < cfg.maxHops; length++) {
    const path: Transfer[] = [];
    const visited = new Set<number>([t.toAccount]);
    if (extend(t.toAccount, undefined, length, path, visited)) return path;
    if (budget.steps <= 0) return undefined;
  }
  return undefined;

  function extend(
    account: number,
    previous: Transfer | undefined,
    left: number,
    path: Transfer[],
    visited: Set<number>,
  ): boolean {
    for (const e of window.paidFrom(account, previous ? previous.time : since)) {
      if (--budget.steps < 0) return false;
      if (e.id === t.id || !e.toAccount || (previous && !follows(previous, e, cfg))) continue;
      if (e.time > t.time || (e.time === t.time && e.id > t.id)) break;
      if (left === 1) {
        if (e.toAccount === t.account && follows(e, t, cfg)) {
          path.push(e);
          return true;
        }
        continue;
      }
      if (visited.has(e.toAccount) || e.toAccount === t.account) continue;
      path.push(e);
      visited.add(e.toAccount);
      if (extend(e.toAccount, e, left - 1, path, visited)) return true;
      visited.delete(e.toAccount);
      path.pop();
    }
    return false;
  }
}
