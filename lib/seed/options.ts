/**
 * The seed options, validated once by one zod schema for both the CLI (`npm run seed -- …`) and the Lambda event.
 *
 * Dates are whole UTC days: `from` is the first day with traffic, `to` is exclusive (the bank's "now"). The default
 * `to` is today at 00:00 UTC and `from` one year earlier, so for a database identical byte for byte pass the same
 * `--seed` AND an explicit `--to` (determinism holds for identical options).
 */
import { z } from 'zod';
import { LOCALES } from '../domain/bank.js';
import { ValidationError } from '../errors.js';

const DAY_MS = 86_400_000;
export const DEFAULT_SEED = 42;
export const DEFAULT_CLIENTS = 500;
export const DEFAULT_TRANSACTIONS = 50_000;
export const DEFAULT_ANOMALY_RATE = 0.005;
export const MAX_CLIENTS = 2_000_000;
export const MAX_TRANSACTIONS = 50_000_000;
/** Every account gets an opening row, and a client has at most 4 accounts. */
export const MIN_TRANSACTIONS_PER_CLIENT = 4;

const LOCALE_IDS = LOCALES.map((l) => l.locale);

const wholeNumber = (what: string, min: number, max: number) =>
  z.coerce
    .number({ message: `${what} must be a whole number from ${min} to ${max}` })
    .refine((n) => Number.isInteger(n) && n >= min && n <= max, {
      message: `${what} must be a whole number from ${min} to ${max}`,
    });

const isoDay = (what: string) =>
  z
    .string()
    .regex(/^\d{4}-\d{2}-\d{2}$/, { message: `${what} must be a date like 2025-01-31` })
    .refine((s) => {
      const d = new Date(`${s}T00:00:00Z`);
      return !Number.isNaN(d.getTime()) && d.toISOString().startsWith(s) && d.getUTCFullYear() >= 1990;
    }, `${what} must be a real calendar date from 1990 on`);

const localesField = z
  .union([z.string(), z.array(z.string())])
  .transform((v) => (Array.isArray(v) ? v : v.split(',')).map((s) => s.trim()).filter((s) => s !== ''))
  .superRefine((list, ctx) => {
    if (list.length === 0) ctx.addIssue({ code: 'custom', message: 'locales must name at least one locale' });
    for (const l of list)
      if (!LOCALE_IDS.includes(l))
        ctx.addIssue({ code: 'custom', message: `unknown locale "${l}"; known: ${LOCALE_IDS.join(', ')}` });
    if (new Set(list).size !== list.length)
      ctx.addIssue({ code: 'custom', message: 'locales must not repeat' });
  });

/** Today 00:00 UTC as YYYY-MM-DD — the documented default `to`. */
export function todayUtc(now: Date = new Date()): string {
  return new Date(Math.floor(now.getTime() / DAY_MS) * DAY_MS).toISOString().slice(0, 10);
}

function addDays(day: string, days: number): string {
  return new Date(Date.parse(`${day}T00:00:00Z`) + days * DAY_MS).toISOString().slice(0, 10);
}

export const seedOptionsSchema = z
  .object({
    clients: wholeNumber('clients', 1, MAX_CLIENTS).default(DEFAULT_CLIENTS),
    transactions: wholeNumber('transactions', 1, MAX_TRANSACTIONS).default(DEFAULT_TRANSACTIONS),
    from: isoDay('from').optional(),
    to: isoDay('to').optional(),
    seed: wholeNumber('seed', 0, 4_294_967_295).default(DEFAULT_SEED),
    locales: localesField.default(LOCALE_IDS),
    anomalyRate: z.coerce
      .number({ message: 'anomaly-rate must be a number from 0 to 0.1' })
      .min(0, 'anomaly-rate must be a number from 0 to 0.1')
      .max(0.1, 'anomaly-rate must be a number from 0 to 0.1')
      .default(DEFAULT_ANOMALY_RATE),
    reset: z.boolean().default(false),
    append: z.boolean().default(false),
    ifEmpty: z.boolean().default(false),
  })
  .strict()
  .transform((o) => {
    const to = o.to ?? todayUtc();
    const from = o.from ?? addDays(to, -365);
    return { ...o, from, to };
  })
  .superRefine((o, ctx) => {
    const days = (Date.parse(o.to) - Date.parse(o.from)) / DAY_MS;
    if (days < 1) ctx.addIssue({ code: 'custom', path: ['from'], message: 'from must be before to' });
    if (days > 366 * 20)
      ctx.addIssue({ code: 'custom', path: ['from'], message: 'the date range must be at most 20 years' });
    if (o.transactions < o.clients * MIN_TRANSACTIONS_PER_CLIENT)
      ctx.addIssue({
        code: 'custom',
        path: ['transactions'],
        message: `transactions must be at least ${MIN_TRANSACTIONS_PER_CLIENT} per client (${o.clients * MIN_TRANSACTIONS_PER_CLIENT} for ${o.clients} clients): every account starts with an opening row`,
      });
    if (o.transactions / days > 200_000)
      ctx.addIssue({
        code: 'custom',
        path: ['transactions'],
        message: 'more than 200 000 transactions a day: widen the date range',
      });
    const modes = [o.reset, o.append, o.ifEmpty].filter(Boolean).length;
    if (modes > 1)
      ctx.addIssue({ code: 'custom', path: ['reset'], message: 'choose one of reset, append and if-empty' });
  });

export type SeedOptions = z.output<typeof seedOptionsSchema>;

/** Validates raw options (CLI flags or an event); throws a ValidationError listing every problem. */
export function parseSeedOptions(input: unknown): SeedOptions {
  const result = seedOptionsSchema.safeParse(input ?? {});
  if (result.success) return result.data;
  const problems = result.error.issues.map((i) => ({
    field: i.path.join('.') || '(options)',
    message: i.code === 'unrecognized_keys' ? `unknown option(s): ${i.keys.join(', ')}` : i.message,
  }));
  throw new ValidationError(
    `invalid seed options:\n${problems.map((p) => `  - ${p.message}`).join('\n')}`,
    problems,
  );
}

/** Number of days in [from, to). */
export function dayCount(o: Pick<SeedOptions, 'from' | 'to'>): number {
  return Math.round((Date.parse(o.to) - Date.parse(o.from)) / DAY_MS);
}
