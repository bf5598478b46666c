/**
 * Builders for the rules' unit tests: transactions and timelines from a few readable fields. Not a test file.
 */
import { histogramOf, thresholdLookup } from '../../lib/rules/percentiles.js';
import { ibanCountry } from '../../lib/rules/stats.js';
import type { AccountInfo, ClientTimeline, RuleContext, Txn } from '../../lib/rules/types.js';

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
