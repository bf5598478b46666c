/**
 * Reference data shared by the seeder, the detection rules and the analytics: the brief's locales and currencies,
 * the transaction types with the sign each implies, the reporting thresholds, and the vocabulary of labelled
 * anomalies. Pure constants — no I/O.
 */

export interface LocaleInfo {
  /** faker / brief locale id, e.g. pl_PL. */
  locale: string;
  /** ISO 3166-1 alpha-2, also the IBAN country code. */
  country: string;
  countryName: string;
  currency: 'PLN' | 'GBP' | 'EUR' | 'SEK';
}

/** The brief's nine European locales with their currencies. */
export const LOCALES: readonly LocaleInfo[] = [
  { locale: 'pl_PL', country: 'PL', countryName: 'Poland', currency: 'PLN' },
  { locale: 'en_GB', country: 'GB', countryName: 'United Kingdom', currency: 'GBP' },
  { locale: 'de_DE', country: 'DE', countryName: 'Germany', currency: 'EUR' },
  { locale: 'fr_FR', country: 'FR', countryName: 'France', currency: 'EUR' },
  { locale: 'es_ES', country: 'ES', countryName: 'Spain', currency: 'EUR' },
  { locale: 'it_IT', country: 'IT', countryName: 'Italy', currency: 'EUR' },
  { locale: 'nl_NL', country: 'NL', countryName: 'Netherlands', currency: 'EUR' },
  { locale: 'sv_SE', country: 'SE', countryName: 'Sweden', currency: 'SEK' },
  { locale: 'de_AT', country: 'AT', countryName: 'Austria', currency: 'EUR' },
] as const;

/** The columns of the brief's `transactions` table, in table order (what the seeder writes and the scan reads). */
export const TRANSACTION_COLUMNS = [
  'id',
  'account_id',
  'transaction_type_id',
  'date',
  'amount',
  'currency',
  'balance_after',
  'recipient_account',
  'status',
  'title',
] as const;

/** The columns of `anomaly_labels` a writer fills (its id is the table's), written by the seeder and the importer. */
export const LABEL_COLUMNS = ['transaction_id', 'episode_id', 'kind', 'suspicious', 'note'] as const;

export type Direction = 'credit' | 'debit';

export interface TransactionTypeInfo {
  /** Stored in transaction_types.type; stable. */
  type: string;
  description: string;
  /** credit ⇒ amount > 0, debit ⇒ amount < 0 (transactions.amount is signed). */
  direction: Direction;
  /** Moves money to another account (recipient_account set). */
  transfer: boolean;
}

/** The brief's transaction types, in id order (transaction_types.id = index + 1 when seeded). */
export const TRANSACTION_TYPES: readonly TransactionTypeInfo[] = [
  {
    type: 'deposit',
    description: 'Cash or cheque deposit at a branch',
    direction: 'credit',
    transfer: false,
  },
  { type: 'withdrawal', description: 'Cash withdrawal at a branch', direction: 'debit', transfer: false },
  {
    type: 'outgoing transfer',
    description: 'Transfer to another account',
    direction: 'debit',
    transfer: true,
  },
  {
    type: 'incoming transfer',
    description: 'Transfer received from another account',
    direction: 'credit',
    transfer: false,
  },
  { type: 'card payment', description: 'Payment by debit card', direction: 'debit', transfer: false },
  {
    type: 'standing order',
    description: 'Recurring payment or charge by standing order',
    direction: 'debit',
    transfer: true,
  },
  { type: 'ATM withdrawal', description: 'Cash withdrawal at an ATM', direction: 'debit', transfer: false },
  {
    type: 'express transfer',
    description: 'Instant transfer to another account',
    direction: 'debit',
    transfer: true,
  },
  {
    type: 'mobile payment',
    description: 'Payment from the mobile app (BLIK, phone)',
    direction: 'debit',
    transfer: false,
  },
] as const;

/**
 * Amounts at or above which a cash or transfer operation must be reported (roughly EUR 10 000 in each currency).
 * "Structuring" is several amounts just under this within a day.
 */
export const REPORTING_THRESHOLDS: Readonly<Record<string, number>> = {
  EUR: 10_000,
  PLN: 45_000,
  GBP: 8_500,
  SEK: 110_000,
  USD: 11_000,
};

/** Kinds of injected suspicious behaviour the seeder labels (table anomaly_labels, suspicious = 1). */
export const ANOMALY_KINDS = [
  'amount-spike', // one amount far above the account's own history
  'burst', // many transfers from one account within minutes
  'rapid-drain', // a rapid series draining an account to mule accounts
  'new-country', // a transfer to a country the client never dealt with
  'structuring', // several amounts just under the reporting threshold within a day
  'dormant-reactivation', // a long-dormant account suddenly active
  'fan-out', // one client paying many new, distinct recipients within a day or two
  'repeated-payments', // several payments to one new recipient within hours (often one sum in near-equal parts)
  'pass-through', // money received and sent on, less a cut, within hours (a mule)
  'velocity', // many quick payments of every kind within an hour or two (a taken-over account or card)
  'fan-in', // many clients of the bank paying one recipient (ours or elsewhere) within days
  'cycle', // money going round 2-6 of the bank's accounts of distinct clients, back to the first
  'scatter-gather', // one client pays several mule accounts of ours, which pass it on to one common IBAN
  'gather-scatter', // several senders pay one account of ours, which disperses it to several recipients
] as const;
export type AnomalyKind = (typeof ANOMALY_KINDS)[number];

/** Kinds of unusual but legitimate behaviour the seeder labels (suspicious = 0); alerts on them must stay Low. */
export const DECOY_KINDS = [
  'decoy-bonus', // a yearly bonus
  'decoy-house-deposit', // most of a savings pot to a notary escrow
  'decoy-payroll', // a business paying the same employees on a fixed day each month (looks like fan-out)
  'decoy-rent', // tenants paying their landlord's account each month (looks like fan-in)
  'decoy-family', // family members paying each other back and forth (looks like a two-hop cycle)
  'decoy-sweep', // a client moving money between its own accounts (looks like pass-through)
  'decoy-merchant', // a merchant's settlement account: many customer payments in, the takings out (looks like gather-scatter)
] as const;
export type DecoyKind = (typeof DECOY_KINDS)[number];
