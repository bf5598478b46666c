/**
 * The shapes every detection rule shares: transactions as the rules see them (the input) and findings with their
 * evidence (the output). Pure types — no I/O.
 */
import type { RuleId } from './registry.js';

export type TxStatus = 'completed' | 'pending' | 'cancelled';

/** One transaction as the rules see it: amounts as numbers (signed: credits > 0, debits < 0), time in ms. */
export interface Txn {
  id: number;
  accountId: number;
  /** transaction_types.type, e.g. 'outgoing transfer'. */
  type: string;
  /** From the sign of the amount: credit > 0, debit < 0 (0 counts as a credit). */
  direction: 'credit' | 'debit';
  /** An outgoing transfer to another account (the type moves money out, or a recipient IBAN is set on a debit). */
  transfer: boolean;
  /** Booking time as milliseconds since the epoch, reading the DATETIME as UTC (the bank's wall clock). */
  time: number;
  amount: number;
  currency: string;
  balanceAfter: number | null;
  /** Normalised recipient IBAN (upper case, no spaces), or null when none (NULL or the legacy ''). */
  recipient: string | null;
  /** The recipient IBAN's country (its first two letters), or null. */
  recipientCountry: string | null;
  /** A number identifying the recipient (a hash of the IBAN) where the full IBAN is not kept in memory. */
  recipientKey?: number;
  status: TxStatus;
  title: string | null;
}

/** What the episode rules (bursts, series, structuring, dormancy) keep of a transaction while its episode is open. */
export type EpisodeTxn = Pick<
  Txn,
  'id' | 'time' | 'amount' | 'currency' | 'balanceAfter' | 'recipient' | 'recipientKey'
>;

export interface AccountInfo {
  id: number;
  currency: string;
  /** accounts.opening_date as ms (UTC midnight). */
  openedAt: number;
}

export type { RuleId } from './registry.js';

/** One rule's verdict on one transaction: a score (0–100) and the evidence an analyst needs to see why. */
export interface Finding {
  transactionId: number;
  /** The transaction's booking time (ms), as in Txn.time. */
  time: number;
  ruleId: RuleId;
  /** 0–100; see lib/rules/risk.ts for how scores become Low / Medium / High. */
  score: number;
  evidence: Record<string, unknown>;
  /** Other transactions of the same episode (a burst, a series, a day of structuring), oldest first. */
  related: number[];
}

/** The amount percentiles in force for one comparable group (currency and direction) and trailing window. */
export interface AmountThresholds {
  p95: number;
  p99: number;
  /** How many transactions the percentiles were computed from. */
  comparable: number;
  /** The trailing window, as 'YYYY-MM' months, inclusive. */
  window: { from: string; to: string };
}

/** Looks up the population thresholds for a transaction's currency, direction and booking month. */
export type ThresholdLookup = (
  currency: string,
  direction: 'credit' | 'debit',
  time: number,
) => AmountThresholds | undefined;

export interface RuleContext {
  amountThresholds: ThresholdLookup;
  /**
   * When the bank's recorded history starts (ms; the earliest transaction in the database). Silence before it is
   * unknown, not dormancy: an account whose first recorded transaction comes soon after it is not "reactivated".
   */
  historySince: number;
}
