/**
 * What the network rules that look at one recipient's payers share (fan-in, scatter-gather, gather-scatter): who
 * paid an IBAN before a window (its *known* payers — more than a few makes it an established payee: a landlord, a
 * utility, a shop, a merchant's settlement account) and who paid it only within the window (its *new* payers); and
 * the sums their evidence shows.
 */
import type { Transfer, TransferWindow } from './network-rule.js';
import { cents, DAY } from './stats.js';

/** The settings every payers-based rule has. */
export interface KnownPayerSettings {
  /** How far before the window a payer counts as known to the recipient. */
  knownDays: number;
  /** A recipient paid by more distinct clients than this in the known period is an established payee. */
  maxKnownSenders: number;
}

/** An IBAN's payers, by client. */
export interface Payers {
  /** New payer client (none of its payments to the IBAN before the window) → its transfers in the window, oldest first. */
  fresh: Map<number, Transfer[]>;
  /** The clients who paid the IBAN in the `knownDays` before the window. */
  known: Set<number>;
}

/**
 * The payers of `iban` from `start` on (new) and in the `knownDays` before it (known), leaving out `owner` (the
 * client the IBAN belongs to when it is ours, else 0: paying one's own account is no payment). Undefined for an
 * established payee — more known payers than `maxKnownSenders` — as soon as that is known, so a supermarket paid by
 * thousands costs a few steps.
 */
export function payersOf(
  window: TransferWindow,
  iban: string,
  owner: number,
  start: number,
  cfg: KnownPayerSettings,
): Payers | undefined {
  const known = new Set<number>();
  const fresh = new Map<number, Transfer[]>();
  for (const p of window.paidTo(iban, start - cfg.knownDays * DAY)) {
    if (p.client === owner) continue;
    if (p.time < start) {
      known.add(p.client);
      // Oldest first: every known payer comes before the window's, so an established payee is known here.
      if (known.size > cfg.maxKnownSenders) return undefined;
    } else if (!known.has(p.client)) {
      const list = fresh.get(p.client);
      if (list) list.push(p);
      else fresh.set(p.client, [p]);
    }
  }
  return { fresh, known };
}

/** Whether `a` was booked before `b` (booking order: time, then id). */
export function bookedBefore(a: Transfer, b: Transfer): boolean {
  return a.time < b.time || (a.time === b.time && a.id < b.id);
}

/** Sorts transfers in booking order, in place. */
export function inBookingOrder(transfers: Transfer[]): Transfer[] {
  return transfers.sort((a, b) => a.time - b.time || a.id - b.id);
}

/** The transfers' amounts added up. */
export function sumOf(transfers: Iterable<Transfer>): number {
  let sum = 0;
  for (const t of transfers) sum += t.amount;
  return sum;
}

/** Whether `amount` is within `tolerance` (a share) of `reference`, bounds included: 0.2 → 80 %–120 %. */
export function withinTolerance(amount: number, reference: number, tolerance: number): boolean {
  // A millionth of a cent absorbs the binary rounding of sums of amounts in cents.
  return reference > 0 && Math.abs(amount - reference) <= tolerance * reference + 1e-8;
}

/** The transfers' sums per currency, in cents. */
export function totalsByCurrency(transfers: readonly Transfer[]): Record<string, number> {
  const totals: Record<string, number> = {};
  for (const x of transfers) totals[x.currency] = (totals[x.currency] ?? 0) + x.amount;
  for (const c of Object.keys(totals)) totals[c] = cents(totals[c] as number);
  return totals;
}
