/**
 * What closing as a false positive may ask for: the `suppress` member of PATCH /cases/{id} (rules of the case) and
 * of PATCH /alerts/{id} (the alert's rule). Its own module, importing nothing of the alerts' schemas, so that those
 * can include it. Validated by zod like every request: unknown fields, a date in the past or more than a year
 * ahead, a counterparty that is no IBAN, both narrowings at once — each a 400 naming the field.
 */
import { z } from 'zod';
import { RULE_IDS } from '../rules/registry.js';

/** Longest a suppression may last: `until` at most this many days after today (UTC). */
export const MAX_SUPPRESSION_DAYS = 365;

const DAY_MS = 86_400_000;

/** The UTC day `days` after `now`, as `YYYY-MM-DD`. */
const utcDay = (now: number, days = 0) => new Date(now + days * DAY_MS).toISOString().slice(0, 10);

export const ruleIdSchema = z.enum(RULE_IDS as [string, ...string[]], {
  message: `expects a rule id: ${RULE_IDS.join(', ')}`,
});

/** The last day a suppression applies: a date after today and at most MAX_SUPPRESSION_DAYS after it. */
const untilDate = z
  .string({ message: 'expects a date YYYY-MM-DD' })
  .regex(/^\d{4}-\d{2}-\d{2}$/, { message: 'expects a date YYYY-MM-DD' })
  .superRefine((value, ctx) => {
    const date = new Date(`${value}T00:00:00Z`);
    if (Number.isNaN(date.getTime()) || date.toISOString().slice(0, 10) !== value) {
      ctx.addIssue({ code: 'custom', message: 'expects a date YYYY-MM-DD' });
      return;
    }
    const now = Date.now();
    if (value <= utcDay(now)) {
      ctx.addIssue({ code: 'custom', message: 'must be after today (UTC): the last day it applies' });
    } else if (value > utcDay(now, MAX_SUPPRESSION_DAYS)) {
      ctx.addIssue({
        code: 'custom',
        message: `must be at most ${MAX_SUPPRESSION_DAYS} days ahead (${utcDay(now, MAX_SUPPRESSION_DAYS)} at the latest)`,
      });
    }
  })
  .meta({
    description: `the last day (UTC) it applies: after today, at most ${MAX_SUPPRESSION_DAYS} days ahead`,
    examples: ['2027-03-31'],
  });

/** A counterparty account as an IBAN (spaces and lower case accepted; kept normalised). */
const counterparty = z
  .string({ message: 'expects an IBAN' })
  .max(50, { message: 'expects an IBAN' })
  .transform((v) => v.replace(/\s+/g, '').toUpperCase())
  .refine((v) => /^[A-Z]{2}\d{2}[A-Z0-9]{8,30}$/.test(v), {
    message: 'expects an IBAN such as DE89 3704 0044 0532 0130 00',
  })
  .meta({ description: 'only transactions whose counterparty account (recipient_account) is this IBAN' });

const country = z
  .string({ message: 'expects a country code' })
  .regex(/^[A-Z]{2}$/, { message: 'expects a two-letter country code such as DE' })
  .meta({ description: 'only transactions whose counterparty account (IBAN) is of this country' });

/** Why: printable text (tabs and newlines allowed), 1 to 2000 characters. */
const reason = z
  .string({ message: 'expects a string' })
  .trim()
  .min(1, { message: 'expects 1 to 2000 characters' })
  .max(2000, { message: 'expects 1 to 2000 characters' })
  .regex(/^(?:[^\p{Cc}]|[\t\n\r])*$/u, {
    message: 'must not contain control characters other than tabs and newlines',
  })
  .meta({ description: 'why; default: the closing note' });

const fields = {
  counterparty: counterparty.optional(),
  country: country.optional(),
  until: untilDate,
  reason: reason.optional(),
};

/** A strict object naming unknown fields and the allowed ones (as ../alerts/schemas.ts `strict`). */
function strictObject<T extends z.core.$ZodLooseShape>(shape: T) {
  const allowed = Object.keys(shape).join(', ');
  return z.strictObject(shape, {
    error: (issue) =>
      issue.code === 'unrecognized_keys'
        ? `unknown field(s) ${issue.keys.map((k) => JSON.stringify(k.slice(0, 40))).join(', ')}; allowed: ${allowed}`
        : undefined,
  });
}

const atMostOneNarrowing = (body: { counterparty?: unknown; country?: unknown }, ctx: z.RefinementCtx) => {
  if (body.counterparty !== undefined && body.country !== undefined) {
    ctx.addIssue({
      code: 'custom',
      path: ['country'],
      message: 'give a counterparty or a country, not both',
    });
  }
};

/** The suppression asked for when closing an alert as a false positive: its rule, for its client. */
export const alertSuppressionSchema = strictObject(fields).superRefine(atMostOneNarrowing).meta({
  description:
    'only when closing as false_positive (system alerts): stop raising this rule’s findings for the client until a date',
});

/** One suppression asked for when closing a case as a false positive: a rule of the case, for its client. */
const caseSuppressionSchema = strictObject({
  rule: ruleIdSchema.meta({ description: 'the rule whose findings to suppress (one of the case’s alerts’)' }),
  ...fields,
}).superRefine(atMostOneNarrowing);

/** The `suppress` member of PATCH /cases/{id}: one to 10 rules. */
export const caseSuppressionsSchema = z
  .array(caseSuppressionSchema, { message: 'expects a list of suppressions' })
  .min(1, { message: 'expects 1 to 10 suppressions' })
  .max(10, { message: 'expects 1 to 10 suppressions' })
  .superRefine((list, ctx) => {
    const seen = new Map<string, number>();
    list.forEach((s, i) => {
      const key = `${s.rule}|${s.counterparty ?? ''}|${s.country ?? ''}`;
      const first = seen.get(key);
      if (first === undefined) seen.set(key, i);
      else ctx.addIssue({ code: 'custom', path: [i], message: `repeats suppression ${first}` });
    });
  })
  .meta({
    description:
      'only when closing as false_positive: stop raising these rules’ findings for the case’s client until a date',
  });

/** A suppression to create: its rule (the alert's own when closing an alert), narrowing, last day and why. */
export interface SuppressionSpec {
  rule?: string | undefined;
  counterparty?: string | undefined;
  country?: string | undefined;
  until: string;
  reason?: string | undefined;
}
