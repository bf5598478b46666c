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
import { capIds, cents, DAY, HOUR, isoMinute } from './stats.js';
import type { Finding } from './types.js';

export interface FanInConfig {
  enabled: boolean;
  /** The window in which the new senders pay. */
  windowHours: number;
  /** Distinct new sender clients that make a fan-in. */
  minSenders: number;
  /** How far before the window a sender counts as known to the recipient. */
  knownDays: number;
  /** A recipient paid by more distinct clients than this in the known period is an established payee. */
  maxKnownSenders: number;
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
  defaults: DEFAULTS,
  reachDays: (cfg) => cfg.windowHours / 24 + cfg.knownDays,
  // Only the payments to the transfer's recipient (payersOf).
  reads: 'recipient',
  judge: judgeFanIn,
});

/** The recipient's payers in the window (new ones, by client) and how many clients paid it before. */
interface Payers {
  /** New sender client → its transfers in the window, oldest first. */
  fresh: Map<number, Transfer[]>;
  knownClients: number;
}

/** Undefined for an established payee (more known senders than allowed): nothing more to count. */
function payersOf(t: Transfer, window: TransferWindow, cfg: FanInConfig): Payers | undefined {
  const start = t.time - cfg.windowHours * HOUR;
  const known = new Set<number>();
  const fresh = new Map<number, Transfer[]>();
  for (const p of window.paidTo(t.to, start - cfg.knownDays * DAY)) {
    if (p.client === t.toClient) continue;
    if (p.time < start) {
      known.add(p.client);
      // Oldest first: every known sender comes before the window's, so an established payee is known here.
      if (known.size > cfg.maxKnownSenders) return undefined;
    } else if (!known.has(p.client)) {
      const list = fresh.get(p.client);
      if (list) list.push(p);
      else fresh.set(p.client, [p]);
    }
  }
  return { fresh, knownClients: known.size };
}

/**
 * Emits when `t` is a new sender's payment to a recipient that now has at least `minSenders` new senders: on every
 * transfer of the fan-in when `t` makes it (its sender is the one that reaches the count), else on `t` alone.
 */
function judgeFanIn(t: Transfer, window: TransferWindow, cfg: FanInConfig, out: Finding[]): void {
  if (t.client === t.toClient) return;
  const payers = payersOf(t, window, cfg);
  if (!payers) return;
  const { fresh, knownClients } = payers;
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
    knownSenders: knownClients,
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

/** The transfers' sums per currency, in cents. */
function totalsByCurrency(transfers: readonly Transfer[]): Record<string, number> {
  const totals: Record<string, number> = {};
  for (const x of transfers) totals[x.currency] = (totals[x.currency] ?? 0) + x.amount;
  for (const c of Object.keys(totals)) totals[c] = cents(totals[c] as number);
  return totals;
}
