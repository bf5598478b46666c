/**
 * Network rule `gather-scatter` (reason "gather-scatter"): an account of ours that many clients who never paid it
 * pay within hours or days, and that pays about as much on to many recipients it never paid — a collection account
 * that disperses (the hub of a mule network, the account of a scam paying its helpers). Found when the account's
 * payment out makes at least `minRecipients` new recipients and at least `minSenders` new senders within
 * `windowHours` (from the first payment in to the last out), in one currency, what went out within `tolerance` of
 * what came in, every payment out booked after the first payment in.
 *
 * Only the bank's own accounts can be seen paying out, and only our clients' payments into them can be seen coming
 * in (a credit from another bank names no sender): the account is ours, its senders are our clients, its recipients
 * any IBAN. Left alone, because they are habits, not layering:
 * - an established payee — more than `maxKnownSenders` clients paid the account in the `knownDays` before the
 *   window: a merchant's settlement account, a landlord collecting rent;
 * - its usual recipients (paid in those `knownDays`): a landlord paying its usual plumber is no dispersal;
 * - payments between the account holder's own accounts (a sweep), either way.
 *
 * The score rises with the width on both sides: `baseScore` at the minimums, `maxScore` at twice as many senders
 * and recipients.
 */
import { defineNetworkRule, type Transfer, type TransferWindow } from './network-rule.js';
import {
  bookedBefore,
  inBookingOrder,
  type KnownPayerSettings,
  payersOf,
  sumOf,
  withinTolerance,
} from './payers.js';
import { capIds, cents, DAY, HOUR, isoMinute } from './stats.js';
import type { Finding } from './types.js';

export interface GatherScatterConfig extends KnownPayerSettings {
  enabled: boolean;
  /** From the first payment in to the last payment out. */
  windowHours: number;
  /** Distinct new sender clients paying in. */
  minSenders: number;
  /** Distinct new recipient IBANs paid out. */
  minRecipients: number;
  /** What went out is within this share of what came in (0.2: 80 %–120 %). */
  tolerance: number;
  baseScore: number;
  maxScore: number;
}

const DEFAULTS: GatherScatterConfig = {
  enabled: true,
  windowHours: 72,
  minSenders: 4,
  minRecipients: 4,
  tolerance: 0.2,
  knownDays: 35,
  maxKnownSenders: 2,
  baseScore: 55,
  maxScore: 75,
};

/** Payments out looked at per judged transfer at most (an account paying thousands cannot stall the scan). */
const MAX_STEPS = 20_000;

export const gatherScatter = defineNetworkRule({
  id: 'gather-scatter',
  reason: 'gather-scatter',
  scope: 'network',
  // Its gather side is many payers into one account, as fan-in's is: counted once in the risk.
  signal: 'collection',
  defaults: DEFAULTS,
  reachDays: (cfg) => cfg.windowHours / 24 + cfg.knownDays,
  // Only the payments into the sending account (payersOf on t.from) and out of it (paidFrom).
  anyReachDays: () => 0,
  judge: judgeGatherScatter,
});

/** The account's flow in the window, in `t`'s currency: new senders' payments in, payments out to new recipients. */
interface Flow {
  ins: Transfer[];
  senders: number;
  knownSenders: number;
  outs: Transfer[];
}

/**
 * Judges `t` as a payment out of a collection account. Emits when the flow qualifies: on every transfer of it (in
 * and out) when `t` completes it, else on `t` alone.
 */
function judgeGatherScatter(
  t: Transfer,
  window: TransferWindow,
  cfg: GatherScatterConfig,
  out: Finding[],
): void {
  if (t.client === t.toClient) return;
  const flow = flowOf(t, window, cfg);
  if (!flow?.outs.some((x) => x.id === t.id) || !qualifies(flow, flow.outs, cfg)) return;
  const before = flow.outs.filter((x) => x.id !== t.id);
  const transfers = inBookingOrder([...flow.ins, ...flow.outs]);
  const targets = qualifies(flow, before, cfg) ? [t] : transfers;
  const recipients = new Set(flow.outs.map((x) => x.to)).size;
  const beyond = (n: number, min: number) => (n - min) / min;
  const fullness = Math.min(
    1,
    (beyond(flow.senders, cfg.minSenders) + beyond(recipients, cfg.minRecipients)) / 2,
  );
  const score = cents(cfg.baseScore + (cfg.maxScore - cfg.baseScore) * fullness);
  const ids = transfers.map((x) => x.id);
  const evidence = evidenceOf(flow, recipients, transfers, t, cfg);
  for (const x of targets) {
    out.push({
      transactionId: x.id,
      time: x.time,
      ruleId: 'gather-scatter',
      score,
      evidence,
      related: ids.filter((id) => id !== x.id),
    });
  }
}

/** Whether the flow with payments out `outs` is a gather-scatter. */
function qualifies(flow: Flow, outs: readonly Transfer[], cfg: GatherScatterConfig): boolean {
  return (
    flow.senders >= cfg.minSenders &&
    new Set(outs.map((x) => x.to)).size >= cfg.minRecipients &&
    withinTolerance(sumOf(outs), sumOf(flow.ins), cfg.tolerance)
  );
}

/**
 * The flow of `t`'s sending account within the window, undefined when it is an established payee or has fewer new
 * senders than asked.
 */
function flowOf(t: Transfer, window: TransferWindow, cfg: GatherScatterConfig): Flow | undefined {
  const start = t.time - cfg.windowHours * HOUR;
  const payers = payersOf(window, t.from, t.client, start, cfg);
  if (!payers) return undefined;
  let senders = 0;
  const ins: Transfer[] = [];
  for (const list of payers.fresh.values()) {
    const paid = list.filter((x) => x.currency === t.currency);
    if (paid.length > 0) senders++;
    ins.push(...paid);
  }
  if (senders < cfg.minSenders) return undefined;
  const first = inBookingOrder(ins)[0] as Transfer;
  return { ins, senders, knownSenders: payers.known.size, outs: paymentsOut(t, window, start, first, cfg) };
}

/**
 * The account's payments out booked after `first` (the first payment in) in `t`'s currency, to recipients it did
 * not pay in the `knownDays` before the window, none to its holder's own accounts.
 */
function paymentsOut(
  t: Transfer,
  window: TransferWindow,
  start: number,
  first: Transfer,
  cfg: GatherScatterConfig,
): Transfer[] {
  const usual = new Set<string>();
  const outs: Transfer[] = [];
  let steps = MAX_STEPS;
  for (const p of window.paidFrom(t.account, start - cfg.knownDays * DAY)) {
    if (--steps < 0) break;
    if (p.time < start) usual.add(p.to);
    else if (
      bookedBefore(first, p) &&
      p.currency === t.currency &&
      p.toClient !== t.client &&
      !usual.has(p.to)
    )
      outs.push(p);
  }
  return outs;
}

function evidenceOf(
  flow: Flow,
  recipients: number,
  transfers: readonly Transfer[],
  t: Transfer,
  cfg: GatherScatterConfig,
): Record<string, unknown> {
  const received = sumOf(flow.ins);
  const paidOut = sumOf(flow.outs);
  const first = transfers[0] as Transfer;
  return {
    account: t.account,
    iban: t.from,
    currency: t.currency,
    newSenders: flow.senders,
    knownSenders: flow.knownSenders,
    paymentsIn: flow.ins.length,
    newRecipients: recipients,
    paymentsOut: flow.outs.length,
    received: cents(received),
    paidOut: cents(paidOut),
    paidOutShare: cents(paidOut / received),
    from: isoMinute(first.time),
    to: isoMinute(t.time),
    hours: cents((t.time - first.time) / HOUR),
    thresholds: {
      windowHours: cfg.windowHours,
      minSenders: cfg.minSenders,
      minRecipients: cfg.minRecipients,
      tolerance: cfg.tolerance,
      knownDays: cfg.knownDays,
      maxKnownSenders: cfg.maxKnownSenders,
    },
    relatedTransactionIds: capIds(transfers.map((x) => x.id)),
  };
}
