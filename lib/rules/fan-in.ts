/**
 * Network rule `fan-in` (reason "fan-in"): many clients who never paid an account before pay it within a few days —
 * the collection account of a mule or of a scam, whether the IBAN is another bank's or one of ours. A recipient
 * that many clients already paid before the window (a utility, a landlord, a shop) is an established payee and is
 * not judged; payments between one client's own accounts never count. The score rises with the number of new
 * senders, from `baseScore` at `minSenders` to `maxScore` at twice as many.
 *
 * Before `knownDays` of history exist, a sender cannot be known yet: every one counts as new.
 */
import { defineNetworkRule, type Transfer, type TransferWindow } from './network-rule.js';
import { type KnownPayerSettings, payersOf, totalsByCurrency } from './payers.js';
import { capIds, cents, HOUR, isoMinute } from './stats.js';
import type { Finding } from './types.js';

export interface FanInConfig extends KnownPayerSettings {
  enabled: boolean;
  /** The window in which the new senders pay. */
  windowHours: number;
  /** Distinct new sender clients that make a fan-in. */
  minSenders: number;
  baseScore: number;
  maxScore: number;
}

const DEFAULTS: FanInConfig = {
  enabled: true,
  windowHours: 72,
  minSenders: 5,
  knownDays: 35,
  maxKnownSenders: 2,
  baseScore: 60,
  maxScore: 80,
};

export const fanIn = defineNetworkRule({
  id: 'fan-in',
  reason: 'fan-in',
  scope: 'network',
  // Many payers into one account, the gather side of scatter-gather and gather-scatter too: counted once in the risk.
  signal: 'collection',
  defaults: DEFAULTS,
  reachDays: (cfg) => cfg.windowHours / 24 + cfg.knownDays,
  // Only the payments to the transfer's recipient (payersOf).
  anyReachDays: () => 0,
  judge: judgeFanIn,
});

/**
 * Emits when `t` is a new sender's payment to a recipient that now has at least `minSenders` new senders: on every
 * transfer of the fan-in when `t` makes it (its sender is the one that reaches the count), else on `t` alone.
 */
function judgeFanIn(t: Transfer, window: TransferWindow, cfg: FanInConfig, out: Finding[]): void {
  if (t.client === t.toClient) return;
  const payers = payersOf(window, t.to, t.toClient, t.time - cfg.windowHours * HOUR, cfg);
  if (!payers) return;
  const { fresh, known } = payers;
  const mine = fresh.get(t.client);
  if (!mine || fresh.size < cfg.minSenders) return;
  const transfers = [...fresh.values()].flat().sort((a, b) => a.time - b.time || a.id - b.id);
  const reached = fresh.size === cfg.minSenders && mine.length === 1;
  const targets = reached ? transfers : [t];
  const fullness = Math.min(1, (fresh.size - cfg.minSenders) / cfg.minSenders);
  const score = cents(cfg.baseScore + (cfg.maxScore - cfg.baseScore) * fullness);
  const ids = transfers.map((x) => x.id);
  const evidence = {
    recipient: t.to,
    recipientIsOurs: t.toAccount !== 0,
    newSenders: fresh.size,
    transfers: transfers.length,
    knownSenders: known.size,
    totals: totalsByCurrency(transfers),
    from: isoMinute((transfers[0] as Transfer).time),
    to: isoMinute(t.time),
    thresholds: {
      windowHours: cfg.windowHours,
      minSenders: cfg.minSenders,
      knownDays: cfg.knownDays,
      maxKnownSenders: cfg.maxKnownSenders,
    },
    relatedTransactionIds: capIds(ids),
  };
  for (const x of targets) {
    out.push({
      transactionId: x.id,
      time: x.time,
      ruleId: 'fan-in',
      score,
      evidence,
      related: ids.filter((id) => id !== x.id),
    });
  }
}
