/**
 * Network rule `scatter-gather` (reason "scatter-gather"): one client pays several other clients of the bank, and
 * within days each of them passes about what it received on to one common account — money split to blur its trail
 * and brought together again (layering through mules). Found when a payment to the common account (the *gatherer*)
 * makes at least `minWidth` distinct intermediary clients each pass on within `tolerance` of what the origin paid
 * them, in one currency, from the origin's first payment to the last payment on within `windowDays`.
 *
 * Only the bank's own accounts can be seen passing money on — an account of another bank shows what it received,
 * never what it paid — so the intermediaries are clients of ours; the origin is a client of ours (it pays from one
 * of our accounts); the gatherer may be any IBAN, the origin's own included (a round trip). Left alone, because they are habits, not layering:
 * - payments between one client's own accounts (a sweep): an intermediary is never the origin nor the gatherer's
 *   owner;
 * - a gatherer that more than `maxKnownSenders` clients paid in the `knownDays` before the window: an established
 *   payee (a landlord, a utility, a supermarket) — a business's payroll whose employees then pay the same landlord;
 * - an intermediary that paid the gatherer in those `knownDays` already: it pays a usual payee;
 * - an intermediary passing on much less or much more than it received (rent is a part of a salary).
 *
 * The score rises with the width: `baseScore` at `minWidth` intermediaries, `maxScore` at twice as many.
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

export interface ScatterGatherConfig extends KnownPayerSettings {
  enabled: boolean;
  /** From the origin's first payment to the last payment on to the gatherer. */
  windowDays: number;
  /** Distinct intermediary clients that make a scatter-gather. */
  minWidth: number;
  /** Each intermediary passes on within this share of what the origin paid it (0.2: 80 %–120 %). */
  tolerance: number;
  baseScore: number;
  maxScore: number;
}

const DEFAULTS: ScatterGatherConfig = {
  enabled: true,
  windowDays: 7,
  minWidth: 3,
  tolerance: 0.2,
  knownDays: 35,
  maxKnownSenders: 2,
  baseScore: 60,
  maxScore: 80,
};

/** Transfers looked at per judged transfer at most (a hub paid by thousands cannot stall the scan). */
const MAX_STEPS = 20_000;

export const scatterGather = defineNetworkRule({
  id: 'scatter-gather',
  reason: 'scatter-gather',
  scope: 'network',
  // Its gather side is many payers into one account, as fan-in's is: counted once in the risk.
  signal: 'collection',
  defaults: DEFAULTS,
  reachDays: (cfg) => cfg.windowDays + cfg.knownDays,
  // Its origins and intermediaries within the window; before it, only the gatherer's payers (payersOf on t.to).
  anyReachDays: (cfg) => cfg.windowDays,
  judge: judgeScatterGather,
});

/** One intermediary: what the origin paid it and what it passed on to the gatherer, oldest first. */
interface Layer {
  client: number;
  received: Transfer[];
  passed: Transfer[];
}

/**
 * Judges `t` as a payment on to a gatherer: for each client who paid `t`'s sender within the window (an origin),
 * the origin's intermediaries that passed on to the same gatherer. Emits when at least `minWidth` of them did, `t`'s
 * sender among them: on every transfer of the pattern when `t` completes it, else on what `t` adds (its sender's
 * transfers when `t` makes it an intermediary, else `t` alone).
 */
function judgeScatterGather(
  t: Transfer,
  window: TransferWindow,
  cfg: ScatterGatherConfig,
  out: Finding[],
): void {
  if (t.client === t.toClient) return;
  const start = t.time - cfg.windowDays * DAY;
  const budget = { steps: MAX_STEPS };
  const origins = originsOf(t, window, start, budget);
  if (origins.length === 0) return;
  const gatherer = payersOf(window, t.to, t.toClient, start, cfg);
  if (!gatherer) return;
  for (const origin of origins) {
    const layers = layersOf(origin, t, window, start, gatherer.known, budget);
    if (layers.length >= cfg.minWidth) emit(origin, layers, t, gatherer.known.size, cfg, out);
    if (budget.steps <= 0) return;
  }
}

/** The clients (other than the sender's) who paid `t`'s sending account within the window in its currency. */
function originsOf(t: Transfer, window: TransferWindow, start: number, budget: { steps: number }): number[] {
  const origins = new Set<number>();
  for (const r of window.paidTo(t.from, start)) {
    if (--budget.steps < 0) break;
    if (r.client !== t.client && r.currency === t.currency) origins.add(r.client);
  }
  return [...origins];
}

/**
 * The origin's intermediaries: the clients of ours it paid within the window in `t`'s currency (not itself, not the
 * gatherer's owner, not one that paid the gatherer before the window), each with its payments on to the gatherer
 * booked after the origin first paid it.
 */
function layersOf(
  origin: number,
  t: Transfer,
  window: TransferWindow,
  start: number,
  known: ReadonlySet<number>,
  budget: { steps: number },
): Layer[] {
  const received = new Map<number, Transfer[]>();
  for (const s of window.paidByClient(origin, start)) {
    if (--budget.steps < 0) return [];
    const client = s.toClient;
    if (!client || client === origin || client === t.toClient || s.currency !== t.currency) continue;
    if (known.has(client)) continue;
    const list = received.get(client);
    if (list) list.push(s);
    else received.set(client, [s]);
  }
  const layers: Layer[] = [];
  for (const [client, legs] of received) {
    const first = legs[0] as Transfer;
    const passed: Transfer[] = [];
    for (const p of window.paidByClient(client, first.time)) {
      if (--budget.steps < 0) return [];
      if (p.to === t.to && p.currency === t.currency && bookedBefore(first, p)) passed.push(p);
    }
    if (passed.length > 0) layers.push({ client, received: legs, passed });
  }
  return layers;
}

/** Whether `layer` passed on within the tolerance of what it received (`without`: leaving that transfer out). */
function passesOn(layer: Layer, cfg: ScatterGatherConfig, without?: Transfer): boolean {
  const passed =
    sumOf(layer.passed) - (without && layer.passed.some((p) => p.id === without.id) ? without.amount : 0);
  return withinTolerance(passed, sumOf(layer.received), cfg.tolerance);
}

/** The transfers of the layers, in booking order. */
function transfersOf(layers: readonly Layer[]): Transfer[] {
  return inBookingOrder(layers.flatMap((l) => [...l.received, ...l.passed]));
}

/** Emits the origin's scatter-gather if `t`'s sender is one of its intermediaries passing on within the tolerance. */
function emit(
  origin: number,
  layers: readonly Layer[],
  t: Transfer,
  knownPayers: number,
  cfg: ScatterGatherConfig,
  out: Finding[],
): void {
  const passing = layers.filter((l) => passesOn(l, cfg));
  if (passing.length < cfg.minWidth || !passing.some((l) => l.client === t.client)) return;
  const before = layers.filter((l) => passesOn(l, cfg, t));
  const earlier = new Set(before.length >= cfg.minWidth ? transfersOf(before).map((x) => x.id) : []);
  const transfers = transfersOf(passing);
  const ids = transfers.map((x) => x.id);
  const evidence = evidenceOf(origin, passing, transfers, t, knownPayers, cfg);
  const fullness = Math.min(1, (passing.length - cfg.minWidth) / cfg.minWidth);
  const score = cents(cfg.baseScore + (cfg.maxScore - cfg.baseScore) * fullness);
  for (const x of transfers) {
    if (earlier.has(x.id)) continue;
    out.push({
      transactionId: x.id,
      time: x.time,
      ruleId: 'scatter-gather',
      score,
      evidence,
      related: ids.filter((id) => id !== x.id),
    });
  }
}

/** Intermediaries listed by name in the evidence at most (the totals count them all). */
const MAX_LISTED = 20;

function evidenceOf(
  origin: number,
  layers: readonly Layer[],
  transfers: readonly Transfer[],
  t: Transfer,
  knownPayers: number,
  cfg: ScatterGatherConfig,
): Record<string, unknown> {
  const scattered = layers.reduce((sum, l) => sum + sumOf(l.received), 0);
  const gathered = layers.reduce((sum, l) => sum + sumOf(l.passed), 0);
  const first = transfers[0] as Transfer;
  return {
    originClient: origin,
    originAccounts: [...new Set(layers.flatMap((l) => l.received.map((x) => x.account)))],
    gatherer: t.to,
    gathererIsOurs: t.toAccount !== 0,
    // Money back at the origin's own account: a round trip through the intermediaries.
    gathererIsOrigin: t.toClient === origin,
    gathererKnownPayers: knownPayers,
    intermediaries: layers.length,
    currency: t.currency,
    scattered: cents(scattered),
    gathered: cents(gathered),
    gatheredShare: cents(gathered / scattered),
    layers: layers.slice(0, MAX_LISTED).map((l) => ({
      client: l.client,
      received: cents(sumOf(l.received)),
      passedOn: cents(sumOf(l.passed)),
    })),
    from: isoMinute(first.time),
    to: isoMinute(t.time),
    hours: cents((t.time - first.time) / HOUR),
    thresholds: {
      windowDays: cfg.windowDays,
      minWidth: cfg.minWidth,
      tolerance: cfg.tolerance,
      knownDays: cfg.knownDays,
      maxKnownSenders: cfg.maxKnownSenders,
    },
    relatedTransactionIds: capIds(transfers.map((x) => x.id)),
  };
}
