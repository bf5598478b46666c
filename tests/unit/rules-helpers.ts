/**
 * Builders for the rules' unit tests: transactions and timelines from a few readable fields, and the findings the
 * engine (the one the scan runs) hands out for a timeline. Not a test file.
 */
import { DEFAULT_RULES_CONFIG, type RulesConfig } from '../../lib/rules/config.js';
import { ClientDetector } from '../../lib/rules/engine.js';
import { histogramOf, thresholdLookup } from '../../lib/rules/percentiles.js';
import { RULE_IDS, type RuleId } from '../../lib/rules/registry.js';
import { ibanCountry } from '../../lib/rules/stats.js';
import type { AccountInfo, Finding, RuleContext, Txn } from '../../lib/rules/types.js';

/** Everything one client did, across all their accounts, sorted by (time, id). */
export interface ClientTimeline {
  clientId: number;
  /** The client's own country (ISO 3166-1 alpha-2). */
  country: string;
  accounts: ReadonlyMap<number, AccountInfo>;
  txns: readonly Txn[];
}

export const T0 = Date.UTC(2025, 5, 2, 9, 0, 0);
export const MIN = 60_000;
export const DAYS = 86_400_000;

let nextId = 1;

export function txn(fields: Partial<Txn> & { amount: number; minutes?: number; days?: number }): Txn {
  const { minutes = 0, days = 0, ...rest } = fields;
  const direction = fields.amount < 0 ? 'debit' : 'credit';
  const recipient = fields.recipient ?? null;
  return {
    id: nextId++,
    accountId: 1,
    type: direction === 'debit' ? 'outgoing transfer' : 'incoming transfer',
    direction,
    transfer: direction === 'debit',
    time: T0 + days * DAYS + minutes * MIN,
    currency: 'EUR',
    balanceAfter: null,
    recipient,
    recipientCountry: ibanCountry(recipient),
    status: 'completed',
    title: null,
    ...rest,
  };
}

export function timeline(txns: Txn[], { country = 'DE', opened = T0 - 3 * 365 * DAYS } = {}): ClientTimeline {
  const accounts = new Map<number, AccountInfo>();
  for (const t of txns)
    accounts.set(t.accountId, { id: t.accountId, currency: t.currency, openedAt: opened });
  const sorted = [...txns].sort((a, b) => a.time - b.time || a.id - b.id);
  return { clientId: 1, country, accounts, txns: sorted };
}

/** A rule context whose percentiles come from `population` (one month window, as the scan would compute them). */
export function context(
  population: Array<{ amount: number; currency: string; time: number }> = [],
): RuleContext {
  return { amountThresholds: thresholdLookup(histogramOf(population), 1), historySince: 0 };
}

/** `n` debits of `amount` spread one per day before T0. */
export function history(n: number, amount: number, fields: Partial<Txn> = {}): Txn[] {
  return Array.from({ length: n }, (_, i) => txn({ amount: -amount, days: -(n - i), ...fields }));
}

/** Every enabled rule's findings on a timeline, judged from an empty memory by the engine, in settling order. */
export function detectTimeline(tl: ClientTimeline, ctx: RuleContext, rules: RulesConfig): Finding[] {
  const d = new ClientDetector(tl.clientId, tl.country.toUpperCase(), rules, ctx);
  for (const a of tl.accounts.values()) d.describeAccount(a);
  return d.judge(tl.txns).flatMap((s) => s.findings);
}

/** One rule's findings on a timeline (every other rule switched off), with `settings` and a context (default: empty). */
export function findingsOf<Id extends RuleId>(
  id: Id,
  tl: ClientTimeline,
  settings: RulesConfig[Id],
  ctx: Partial<RuleContext> = {},
): Finding[] {
  const rules = { ...DEFAULT_RULES_CONFIG } as Record<string, unknown>;
  for (const other of RULE_IDS) rules[other] = { ...DEFAULT_RULES_CONFIG[other], enabled: false };
  rules[id] = settings;
  return detectTimeline(tl, { ...context(), ...ctx }, rules as unknown as RulesConfig);
}

/**
 * A client's year: routine debits, then a spike, a burst, a structuring day whose deposits are sent on within hours in
 * three near-equal parts to one recipient, a payment abroad, a long silence and a reactivation.
 */
export function eventfulYear(): Txn[] {
  const routine = history(40, 50, { recipient: 'DE89370400440532013000' });
  const spike = txn({ amount: -5_000, days: 1, recipient: 'DE89370400440532013000' });
  const burst = Array.from({ length: 6 }, (_, i) =>
    txn({
      amount: -150,
      days: 2,
      minutes: i * 2,
      recipient: `DE0${i}370400440532013000`,
      balanceAfter: 900 - (i + 1) * 150,
    }),
  );
  const structuring = [9_500, 9_700, 9_900].map((amount, i) =>
    txn({ amount, days: 3, minutes: 60 * i, type: 'deposit' }),
  );
  // The structuring day's deposits sent on within hours, in three near-equal parts to one recipient.
  const layering = [0, 1, 2].map((i) =>
    txn({ amount: -9_600, days: 3, minutes: 240 + 30 * i, recipient: 'DE44500105175407324931' }),
  );
  const abroad = txn({ amount: -300, days: 4, recipient: 'MT84MALT011000012345MTLCAST001S' });
  const reactivated = [
    txn({ amount: -400, days: 250, balanceAfter: 600 }),
    txn({ amount: -500, days: 251, balanceAfter: 100 }),
  ];
  return [...routine, spike, ...burst, ...structuring, ...layering, abroad, ...reactivated];
}

/** Ordinary EUR debits of 10–209 in T0's month: the population the amount percentiles come from. */
export const population = Array.from({ length: 200 }, (_, i) => ({
  amount: -(10 + i),
  currency: 'EUR',
  time: T0,
}));
