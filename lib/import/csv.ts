/**
 * Any CSV of transactions through a column mapping (a JSON file, checked with zod): one line is one booking on one
 * account, whose sign comes from a direction column or the amount's own sign. Accounts are one per (account,
 * currency), clients one per account value; the rows are sorted by time before they get ids, as the scan needs.
 * The result has the same shape as an AMLSim import's (lib/import/rows.ts), so lib/import/load.ts loads either.
 */
import { createReadStream, readFileSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { z } from 'zod';
import { TRANSACTION_TYPES } from '../domain/bank.js';
import { ValidationError } from '../errors.js';
import { isValidIban } from '../seed/iban.js';
import type { BadRow } from './amlsim.js';
import { type ImportRows, ibanOf, type TransferTypeIds } from './rows.js';

const column = z.string().min(1);

/** The mapping file: which column holds what. */
export const mappingSchema = z
  .object({
    delimiter: z.string().length(1).default(','),
    account: column,
    amount: column,
    timestamp: column,
    timestampFormat: z.enum(['iso', 'epoch-seconds']).default('iso'),
    direction: z.object({ column, debit: z.string(), credit: z.string() }).optional(),
    counterparty: column.optional(),
    currency: column.optional(),
    defaultCurrency: z
      .string()
      .regex(/^[A-Z]{3}$/)
      .default('EUR'),
    type: column.optional(),
    balance: column.optional(),
    label: column.optional(),
    labelKind: z.string().min(1).max(32).default('csv-label'),
    episode: column.optional(),
  })
  .strict();
export type Mapping = z.infer<typeof mappingSchema>;

/** Reads and checks a mapping file; a problem names the field. */
export function readMapping(path: string): Mapping {
  let json: unknown;
  try {
    json = JSON.parse(readFileSync(path, 'utf8'));
  } catch (error) {
    throw new ValidationError(`mapping ${path}: ${(error as Error).message}`);
  }
  const parsed = mappingSchema.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new ValidationError(`mapping ${path}: ${issue?.path.join('.') || '(top)'}: ${issue?.message}`);
  }
  return parsed.data;
}

/** One CSV line's fields (double quotes around a field, "" inside one). */
export function splitCsv(line: string, delimiter: string): string[] {
  const cells: string[] = [];
  let cell = '';
  let quoted = false;
  for (let i = 0; i < line.length; i++) {
    const c = line[i];
    if (quoted && c === '"' && line[i + 1] === '"') {
      cell += '"';
      i++;
    } else if (c === '"') quoted = !quoted;
    else if (c === delimiter && !quoted) {
      cells.push(cell);
      cell = '';
    } else cell += c;
  }
  cells.push(cell);
  return cells.map((c) => c.trim());
}

/** A time as 'YYYY-MM-DD HH:MM:SS' (UTC), or undefined. */
export function parseTimestamp(value: string, format: Mapping['timestampFormat']): string | undefined {
  const ms =
    format === 'epoch-seconds'
      ? /^\d+$/.test(value)
        ? Number(value) * 1000
        : Number.NaN
      : /^\d{4}-\d{2}-\d{2}([ T]\d{2}:\d{2}(:\d{2})?)?(Z)?$/.test(value)
        ? Date.parse(`${value.replace(' ', 'T').replace(/Z$/, '')}${value.length === 10 ? 'T00:00:00' : ''}Z`)
        : Number.NaN;
  return Number.isNaN(ms) ? undefined : new Date(ms).toISOString().slice(0, 19).replace('T', ' ');
}

/** A mapped line. */
export interface CsvBooking {
  account: string;
  currency: string;
  cents: number;
  date: string;
  type: string;
  counterparty: string | null;
  balance: string | null;
  labelled: boolean;
  episode: string | null;
  line: number;
}

const TYPES = new Set(TRANSACTION_TYPES.map((t) => t.type));
const MONEY = /^-?\d+(\.\d{1,2})?$/;
const TRUTHY = new Set(['1', 'true', 'yes', 'y']);

/** One line through the mapping, or the reason it cannot be imported. */
export function mapLine(cells: Record<string, string>, m: Mapping, line: number): CsvBooking | string {
  const get = (name: string | undefined) => (name ? (cells[name] ?? '') : '');
  const account = get(m.account);
  if (!account) return `no account in column ${m.account}`;
  const amount = get(m.amount).replace(/^\+/, '');
  if (!MONEY.test(amount)) return `amount "${amount}" is not an amount`;
  let cents = Math.round(Number(amount) * 100);
  if (m.direction) {
    const d = get(m.direction.column);
    if (d !== m.direction.debit && d !== m.direction.credit)
      return `direction "${d}" is neither "${m.direction.debit}" nor "${m.direction.credit}"`;
    cents = Math.abs(cents) * (d === m.direction.debit ? -1 : 1);
  }
  if (cents === 0) return 'amount is zero';
  const date = parseTimestamp(get(m.timestamp), m.timestampFormat);
  if (!date)
    return `timestamp "${get(m.timestamp)}" is not ${m.timestampFormat === 'iso' ? 'YYYY-MM-DD[ HH:MM[:SS]]' : 'epoch seconds'}`;
  const currency = get(m.currency) || m.defaultCurrency;
  if (!/^[A-Z]{3}$/.test(currency)) return `currency "${currency}" is not a 3-letter code`;
  const type = get(m.type) || (cents < 0 ? 'outgoing transfer' : 'incoming transfer');
  if (!TYPES.has(type)) return `type "${type}" is not one of the bank's transaction types`;
  const balance = get(m.balance);
  if (balance && !MONEY.test(balance)) return `balance "${balance}" is not an amount`;
  const episode = get(m.episode);
  return {
    account,
    currency,
    cents,
    date,
    type,
    counterparty: get(m.counterparty) || null,
    balance: balance || null,
    labelled: TRUTHY.has(get(m.label).toLowerCase()) || (m.label === undefined && episode !== ''),
    episode: episode || null,
    line,
  };
}

/** Reads a CSV through `m`; every bad line is kept in `bad`. */
export async function readCsv(path: string, m: Mapping): Promise<{ bookings: CsvBooking[]; bad: BadRow[] }> {
  const file = path.split('/').pop() ?? path;
  const bookings: CsvBooking[] = [];
  const bad: BadRow[] = [];
  let header: string[] | undefined;
  let line = 0;
  for await (const text of createInterface({
    input: createReadStream(path),
    crlfDelay: Number.POSITIVE_INFINITY,
  })) {
    line++;
    if (text.trim() === '') continue;
    const cells = splitCsv(text, m.delimiter);
    if (!header) {
      header = cells;
      const missing = [m.account, m.amount, m.timestamp].filter((c) => !header?.includes(c));
      if (missing.length)
        throw new ValidationError(`${file} has no column ${missing.join(', ')} (the mapping names it)`);
      continue;
    }
    if (cells.length !== header.length) {
      bad.push({ file, line, reason: `expected ${header.length} fields, found ${cells.length}` });
      continue;
    }
    const booking = mapLine(Object.fromEntries(header.map((h, i) => [h, cells[i] ?? ''])), m, line);
    if (typeof booking === 'string') bad.push({ file, line, reason: booking });
    else bookings.push(booking);
  }
  return { bookings, bad };
}

/** The mapped bookings as an import: clients, accounts, transactions sorted by time, and labels of `kind`. */
export function csvRows(
  bookings: readonly CsvBooking[],
  types: TransferTypeIds,
  kind: string,
): { clients: (string | number)[][]; rows: ImportRows } {
  const sorted = [...bookings].sort((a, b) => (a.date < b.date ? -1 : a.date > b.date ? 1 : a.line - b.line));
  const clientIds = new Map<string, number>();
  const accountIds = new Map<string, number>();
  const accounts: (string | number)[][] = [];
  const clients: (string | number)[][] = [];
  const firstDay = sorted[0]?.date.slice(0, 10) ?? '2025-01-01';
  const typeIds = new Map(TRANSACTION_TYPES.map((t, i) => [t.type, i + 1]));
  typeIds.set('outgoing transfer', types.outgoing).set('incoming transfer', types.incoming);
  const accountOf = (b: CsvBooking): number => {
    const key = `${b.account}\u0000${b.currency}`;
    let id = accountIds.get(key);
    if (id !== undefined) return id;
    let client = clientIds.get(b.account);
    if (client === undefined) {
      client = clientIds.size + 1;
      clientIds.set(b.account, client);
      clients.push([
        client,
        'Imported',
        `Client ${client}`,
        `IMPORT-${client}`,
        '1980-01-01',
        client % 2 ? 'M' : 'F',
        firstDay,
        'GB',
        'en_GB',
      ]);
    }
    id = accounts.length + 1;
    accountIds.set(key, id);
    // The data's own IBAN for its first currency; a generated one otherwise (and for each further currency).
    const own =
      isValidIban(b.account) &&
      ![...accountIds.keys()].some((k) => k !== key && k.startsWith(`${b.account}\u0000`));
    accounts.push([id, client, own ? b.account : ibanOf(id - 1), 'personal', firstDay, '0.00', b.currency]);
    return id;
  };
  for (const b of sorted) accountOf(b);
  const episodes = new Map<string, number>();
  const labels: (string | number)[][] = [];
  const transactions = sorted.map((b, i) => {
    const account = accountOf(b);
    if (b.labelled) {
      const key = b.episode ?? `account ${account}`;
      if (!episodes.has(key)) episodes.set(key, episodes.size + 1);
      labels.push([i + 1, episodes.get(key) as number, kind, 1, `line ${b.line}`]);
    }
    if (b.balance !== null) (accounts[account - 1] as (string | number)[])[5] = b.balance;
    const amount = (b.cents / 100).toFixed(2);
    return [
      i + 1,
      account,
      typeIds.get(b.type) as number,
      b.date,
      amount,
      b.currency,
      b.balance,
      b.counterparty,
      'completed',
      null,
    ];
  });
  return { clients, rows: { transactions, labels, accounts, transactionCount: transactions.length } };
}
