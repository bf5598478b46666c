/**
 * What an AMLSim import writes, as rows in TRANSACTION_COLUMNS order (lib/domain/bank.ts): one client and one GBP
 * account per node (IBAN-shaped, from lib/seed/iban.ts, deterministic from the node id), and per transfer a debit on
 * the source and the matching credit on the target, sorted by booking time so ids grow with it (the scan's watermark
 * relies on that). Pure: no I/O.
 */
import { ownIban } from '../seed/iban.js';
import { Random } from '../seed/random.js';
import type { AmlsimAccount, AmlsimData, AmlsimTransfer } from './amlsim.js';

/** The one currency and country of an AMLSim import (AMLSim amounts carry no currency). */
export const IMPORT_CURRENCY = 'GBP';
const IMPORT_COUNTRY = 'GB';
const SECONDS_PER_DAY = 86_400;

/** Ids of the two transfer types, as migrated into transaction_types. */
export interface TransferTypeIds {
  outgoing: number;
  incoming: number;
}

/** The database id of node `node`: node + 1 (AMLSim counts from 0, ids from 1). */
export const accountIdOf = (node: number) => node + 1;

/** The IBAN of node `node` (GB: the serial is the node's own, no random digits). */
export function ibanOf(node: number): string {
  return ownIban(IMPORT_COUNTRY, accountIdOf(node), new Random(node));
}

/** YYYY-MM-DD of `start` plus `days`. */
function dayOf(start: Date, days: number): string {
  return new Date(start.getTime() + days * SECONDS_PER_DAY * 1000).toISOString().slice(0, 10);
}

/**
 * The booking time of the `index`-th of `count` transfers of step `step`: step s is day `start + s`, and its
 * transfers are spread evenly over the day in file order, the k-th at (k + ½) · 24 h / count.
 *
 * @example bookingTime(new Date('2025-01-01'), 1, 0, 2) // '2025-01-02 06:00:00'
 */
export function bookingTime(start: Date, step: number, index: number, count: number): string {
  const second = Math.floor(((index + 0.5) * SECONDS_PER_DAY) / count);
  const at = new Date(start.getTime() + (step * SECONDS_PER_DAY + second) * 1000);
  return at.toISOString().slice(0, 19).replace('T', ' ');
}

/** The transfers in booking order: by step, then file order. */
export function inBookingOrder(transfers: readonly AmlsimTransfer[]): AmlsimTransfer[] {
  return [...transfers].sort((a, b) => a.step - b.step || a.order - b.order);
}

/** A client per node: synthetic, deterministic, no personal data (AMLSim has none). */
export function clientRow(account: AmlsimAccount, start: Date): (string | number)[] {
  const id = accountIdOf(account.node);
  return [
    id,
    'AMLSim',
    `Account ${account.node}`,
    `AMLSIM-${account.node}`,
    '1980-01-01',
    account.node % 2 === 0 ? 'M' : 'F',
    dayOf(start, 0),
    IMPORT_COUNTRY,
    'en_GB',
  ];
}
export const CLIENT_COLUMNS = [
  'id',
  'first_name',
  'last_name',
  'identifier',
  'birth_date',
  'gender',
  'registration_date',
  'country',
  'locale',
] as const;

export const ACCOUNT_COLUMNS = [
  'id',
  'client_id',
  'account_number',
  'account_type',
  'opening_date',
  'balance',
  'currency',
] as const;

const money = (cents: number) => (cents / 100).toFixed(2);

/** The rows of one import, made as they are loaded (memory holds the data, not the rows). */
export interface ImportRows {
  transactions: Iterable<(string | number | null)[]>;
  /** Filled while `transactions` is iterated through. */
  labels: (string | number)[][];
  /** Account rows, each with its balance after the last transfer. */
  accounts: (string | number)[][];
  transactionCount: number;
}

/**
 * The rows of `data`: transactions (ids 1…, debit before its credit), then the labels of every transaction of a
 * fraud account (one episode per account: episode id = account id), kind `amlsim-<pattern>` or `amlsim-fraud`.
 */
export function importRows(data: AmlsimData, start: Date, types: TransferTypeIds): ImportRows {
  const ordered = inBookingOrder(data.transfers);
  const perStep = new Map<number, number>();
  for (const t of ordered) perStep.set(t.step, (perStep.get(t.step) ?? 0) + 1);
  const opening = (node: number) => Math.round((data.accounts.get(node)?.initBalance ?? 0) * 100);
  const final = new Map<number, number>();
  for (const t of ordered) {
    final.set(t.source, (final.get(t.source) ?? opening(t.source)) - t.cents);
    final.set(t.target, (final.get(t.target) ?? opening(t.target)) + t.cents);
  }
  const kind = `amlsim-${data.pattern ?? 'fraud'}`;
  const labelled: (string | number)[][] = [];
  function* transactions(): Generator<(string | number | null)[]> {
    const balances = new Map<number, number>();
    let id = 0;
    let index = 0;
    let step = Number.NaN;
    for (const t of ordered) {
      index = t.step === step ? index + 1 : 0;
      step = t.step;
      const date = bookingTime(start, t.step, index, perStep.get(t.step) ?? 1);
      for (const [node, other, sign] of [
        [t.source, t.target, -1],
        [t.target, t.source, 1],
      ] as const) {
        id++;
        const after = (balances.get(node) ?? opening(node)) + sign * t.cents;
        balances.set(node, after);
        const type = sign < 0 ? types.outgoing : types.incoming;
        yield [
          id,
          accountIdOf(node),
          type,
          date,
          money(sign * t.cents),
          IMPORT_CURRENCY,
          money(after),
          ibanOf(other),
          'completed',
          'AMLSim transfer',
        ];
        const account = data.accounts.get(node);
        if (account?.fraud)
          labelled.push([
            id,
            accountIdOf(node),
            kind,
            1,
            `AMLSim fraud account ${node} (fraudStep ${account.fraudStep})`,
          ]);
      }
    }
  }
  return {
    transactions: { [Symbol.iterator]: transactions },
    labels: labelled,
    accounts: [...data.accounts.values()].map((a) => [
      accountIdOf(a.node),
      accountIdOf(a.node),
      ibanOf(a.node),
      'personal',
      dayOf(start, 0),
      money(final.get(a.node) ?? opening(a.node)),
      IMPORT_CURRENCY,
    ]),
    transactionCount: ordered.length * 2,
  };
}
