/**
 * The alerts API's contract as zod schemas: the request schemas validate every query string, path and body (and
 * reject unknown fields), the response schemas describe what the handlers return. GET /openapi.json is generated
 * from these same objects (./openapi.ts), and the tests check responses against them — one source of truth.
 *
 * Wire format: snake_case fields like the brief's columns; times are ISO 8601 UTC (`2026-03-01T12:00:00Z`);
 * money stays a decimal string (`"-1520.00"`) so no float ever rounds a bank's amount.
 */
import { z } from 'zod';
import { alertSuppressionSchema } from '../suppressions/request.js';

export const RISK_LEVELS = ['Low', 'Medium', 'High'] as const;
/** Alert states; `suppressed`: a finding a suppression kept from being raised (no workflow, not listed by default). */
export const STATUSES = ['open', 'investigating', 'closed', 'suppressed'] as const;
/** The states an analyst moves an alert to. */
const WORKFLOW_STATUSES = ['open', 'investigating', 'closed'] as const;
export const DISPOSITIONS = ['confirmed', 'false_positive', 'not_suspicious'] as const;
export const FLAGGED_BY = ['analyst', 'system'] as const;

export type AlertStatus = (typeof STATUSES)[number];
export type RiskLevel = (typeof RISK_LEVELS)[number];

/** The risk levels at or above `min`: `min_risk=Medium` → Medium, High. */
export function risksFrom(min: RiskLevel): RiskLevel[] {
  return RISK_LEVELS.slice(RISK_LEVELS.indexOf(min));
}

/** Registry of the named schemas that become `components.schemas` in the OpenAPI document. */
export const apiRegistry = z.registry<{ id: string; description?: string }>();

/** Page size limits of GET /alerts. */
export const DEFAULT_LIMIT = 50;
export const MAX_LIMIT = 500;
/** Longest period GET /alerts/stats summarises, in days. */
export const MAX_STATS_DAYS = 366;

const oneOf = (values: readonly string[]) => `expects one of ${values.join(', ')}`;

/** A positive whole number written in decimal, as query strings and paths carry it (no signs, exponents, hex). */
export const idString = z
  .string()
  .regex(/^[1-9][0-9]{0,15}$/, { message: 'expects a positive whole number (1 to 16 digits)' })
  .transform(Number);

/** A point in time: `YYYY-MM-DD` (a whole day) or `YYYY-MM-DDTHH:MM[:SS][Z]` (UTC). */
export interface TimeBound {
  /** As the DB compares it: `YYYY-MM-DD HH:MM:SS`. */
  sql: string;
  /** True for a bare date: as an upper bound it covers that whole day. */
  dateOnly: boolean;
}

const TIME_PATTERN = /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2}))?Z?)?$/;

export const timeString = z
  .string()
  .max(25)
  .transform((value, ctx): TimeBound => {
    const m = TIME_PATTERN.exec(value);
    const [, y, mo, d, h = '00', mi = '00', s = '00'] = m ?? [];
    const date = m ? new Date(`${y}-${mo}-${d}T${h}:${mi}:${s}Z`) : undefined;
    const valid =
      date !== undefined &&
      !Number.isNaN(date.getTime()) &&
      date.getUTCDate() === Number(d) &&
      Number(y) >= 1970 &&
      Number(y) <= 9999;
    if (!valid) {
      ctx.addIssue({
        code: 'custom',
        message: 'expects a date YYYY-MM-DD or a UTC time YYYY-MM-DDTHH:MM:SSZ',
      });
      return z.NEVER;
    }
    return { sql: `${y}-${mo}-${d} ${h}:${mi}:${s}`, dateOnly: m?.[4] === undefined };
  })
  .meta({
    description: 'a date `YYYY-MM-DD` (as `to`: that whole day) or a UTC time `YYYY-MM-DDTHH:MM:SSZ`',
    examples: ['2026-03-01', '2026-03-01T12:00:00Z'],
  });

const unknownKeys =
  (allowed: readonly string[]) =>
  (issue: { code?: string; keys?: string[] }): string | undefined =>
    issue.code === 'unrecognized_keys'
      ? `unknown field(s) ${(issue.keys ?? []).map((k) => JSON.stringify(k.slice(0, 40))).join(', ')}; allowed: ${allowed.join(', ')}`
      : undefined;

/** An object schema that rejects unknown fields, naming them and the allowed ones. */
export function strict<T extends z.core.$ZodLooseShape>(shape: T) {
  return z.strictObject(shape, { error: unknownKeys(Object.keys(shape)) });
}

export const riskLevel = z.enum(RISK_LEVELS, { message: oneOf(RISK_LEVELS) });
const status = z.enum(STATUSES, { message: oneOf(STATUSES) });
const workflowStatus = z.enum(WORKFLOW_STATUSES, { message: oneOf(WORKFLOW_STATUSES) });
export const disposition = z.enum(DISPOSITIONS, { message: oneOf(DISPOSITIONS) });
const flaggedBy = z.enum(FLAGGED_BY, { message: oneOf(FLAGGED_BY) });

/** Printable text: no control characters (tabs and newlines aside in notes). */
const NO_CONTROL = /^[^\p{Cc}]*$/u;
const NOTE_CHARS = /^(?:[^\p{Cc}]|[\t\n\r])*$/u;

const reasonText = z
  .string({ message: 'expects a string' })
  .trim()
  .min(3, { message: 'expects 3 to 100 characters' })
  .max(100, { message: 'expects 3 to 100 characters' })
  .regex(NO_CONTROL, { message: 'must not contain control characters' });

export const noteText = z
  .string({ message: 'expects a string' })
  .trim()
  .min(1, { message: 'expects 1 to 2000 characters' })
  .max(2000, { message: 'expects 1 to 2000 characters' })
  .regex(NOTE_CHARS, { message: 'must not contain control characters other than tabs and newlines' });

const ruleId = z
  .string()
  .regex(/^[a-z0-9][a-z0-9-]{0,63}$/, { message: 'expects a rule id such as high-amount' });

// ---------------------------------------------------------------------------------------------------------------
// Requests
// ---------------------------------------------------------------------------------------------------------------

/** `limit` of a list route: a page size from 1 to MAX_LIMIT. */
export const limitParam = z
  .string()
  .regex(/^[0-9]{1,3}$/, { message: `expects a whole number from 1 to ${MAX_LIMIT}` })
  .transform(Number)
  .refine((n) => n >= 1 && n <= MAX_LIMIT, { message: `expects a whole number from 1 to ${MAX_LIMIT}` })
  .optional()
  .meta({ description: `page size, default ${DEFAULT_LIMIT}, at most ${MAX_LIMIT}` });

/** `cursor` of a list route: the opaque `next_cursor` of the previous page. */
export const cursorParam = z
  .string()
  .regex(/^[A-Za-z0-9_-]{1,200}$/, { message: 'expects the next_cursor of a previous page' })
  .optional()
  .meta({ description: 'the `next_cursor` of the previous page (opaque)' });

/** One keyset page of `item`s, as every list route answers: `{data, limit, next_cursor}`. */
export function pageSchema<T extends z.ZodType>(item: T) {
  return z.object({
    data: z.array(item),
    limit: z.number().int(),
    next_cursor: z
      .string()
      .nullable()
      .meta({ description: 'pass as `cursor` for the next page; null at the end' }),
  });
}

/** What a list function returns: one keyset page (pageSchema's shape). */
export interface Page<T> {
  data: T[];
  limit: number;
  next_cursor: string | null;
}

export const listAlertsQuerySchema = strict({
  risk_level: riskLevel.optional().meta({ description: 'only alerts of this risk level' }),
  min_risk: riskLevel.optional().meta({ description: 'only alerts of this risk level or above' }),
  status: status
    .optional()
    .meta({ description: 'only alerts in this state; without it, every state but `suppressed`' }),
  flagged_by: flaggedBy.optional().meta({ description: 'system (the scan) or analyst' }),
  reason: reasonText
    .optional()
    .meta({ description: 'the reason exactly (case-insensitive), e.g. `high amount`' }),
  rule: ruleId
    .optional()
    .meta({ description: 'the rule that fired, e.g. `rapid-transfers` (system alerts)' }),
  account_id: idString.optional().meta({ description: 'alerts on this account’s transactions' }),
  client_id: idString.optional().meta({ description: 'alerts on any account of this client' }),
  transaction_id: idString.optional().meta({ description: 'alerts on this transaction' }),
  from: timeString.optional().meta({ description: 'alert_date at or after this time' }),
  to: timeString
    .optional()
    .meta({ description: 'alert_date at or before this time (a bare date: that day)' }),
  limit: limitParam,
  cursor: cursorParam,
}).refine((q) => !(q.from && q.to && q.from.sql > q.to.sql), {
  message: 'must not be after to',
  path: ['from'],
});
export type ListAlertsQuery = z.output<typeof listAlertsQuerySchema>;

export const statsQuerySchema = strict({
  from: timeString.optional().meta({ description: 'start of the period (default: 30 days before `to`)' }),
  to: timeString.optional().meta({ description: 'end of the period (default: now; a bare date: that day)' }),
  runs: z
    .string()
    .regex(/^[0-9]{1,2}$/, { message: 'expects a whole number from 1 to 50' })
    .transform(Number)
    .refine((n) => n >= 1 && n <= 50, { message: 'expects a whole number from 1 to 50' })
    .optional()
    .meta({ description: 'how many of the latest scan runs to list, default 5' }),
});
export type StatsQuery = z.output<typeof statsQuerySchema>;

export const alertIdPathSchema = strict({ id: idString.meta({ description: 'the alert id' }) });

export const createAlertBodySchema = strict({
  transaction_id: z
    .number({ message: 'expects a number' })
    .int({ message: 'expects a whole number' })
    .min(1, { message: 'expects a positive transaction id' })
    .max(Number.MAX_SAFE_INTEGER, { message: 'expects a transaction id that exists' }),
  reason: reasonText.meta({ description: 'why, in the brief’s words where they fit, e.g. `high amount`' }),
  risk_level: riskLevel,
  note: noteText.optional(),
}).meta({ description: 'An analyst flags a transaction.' });
apiRegistry.add(createAlertBodySchema, { id: 'CreateAlert' });
export type CreateAlertBody = z.output<typeof createAlertBodySchema>;

export const updateAlertBodySchema = strict({
  status: workflowStatus.meta({
    description: 'the next workflow state: open → investigating → closed; a lead may reopen (closed → open)',
  }),
  disposition: disposition.optional().meta({ description: 'required when closing, not allowed otherwise' }),
  note: noteText.optional().meta({ description: 'required when closing' }),
  suppress: alertSuppressionSchema.optional(),
})
  .superRefine((body, ctx) => {
    if (body.suppress && !(body.status === 'closed' && body.disposition === 'false_positive')) {
      ctx.addIssue({
        code: 'custom',
        path: ['suppress'],
        message: 'is only allowed when closing as false_positive',
      });
    }
    if (body.status === 'closed' && !body.disposition) {
      ctx.addIssue({ code: 'custom', path: ['disposition'], message: 'is required when closing an alert' });
    }
    if (body.status === 'closed' && !body.note) {
      ctx.addIssue({ code: 'custom', path: ['note'], message: 'is required when closing an alert' });
    }
    if (body.status !== 'closed' && body.disposition) {
      ctx.addIssue({ code: 'custom', path: ['disposition'], message: 'is only allowed when closing' });
    }
  })
  .meta({ description: 'Moves an alert along its workflow.' });
apiRegistry.add(updateAlertBodySchema, { id: 'UpdateAlert' });
export type UpdateAlertBody = z.output<typeof updateAlertBodySchema>;

// ---------------------------------------------------------------------------------------------------------------
// Responses (documentation and tests; handlers build these shapes directly)
// ---------------------------------------------------------------------------------------------------------------

export const isoTimeSchema = z
  .string()
  .meta({ description: 'ISO 8601 UTC', examples: ['2026-03-01T12:00:00Z'] });
export const money = z
  .string()
  .regex(/^-?\d+\.\d{2}$/)
  .meta({ description: 'decimal string', examples: ['-1520.00'] });

export const alertSummarySchema = z.object({
  id: z.number().int(),
  transaction_id: z.number().int(),
  account_id: z.number().int(),
  client_id: z.number().int(),
  reason: z.string(),
  rule_id: z.string().nullable(),
  risk_level: riskLevel,
  score: z.number().nullable(),
  status,
  disposition: disposition.nullable(),
  flagged_by: flaggedBy,
  created_by: z.string().nullable(),
  alert_date: isoTimeSchema,
  updated_at: isoTimeSchema,
  amount: money,
  currency: z.string(),
  transaction_date: isoTimeSchema,
});
apiRegistry.add(alertSummarySchema, { id: 'AlertSummary' });
export type AlertSummary = z.infer<typeof alertSummarySchema>;

export const alertListSchema = pageSchema(alertSummarySchema);
apiRegistry.add(alertListSchema, { id: 'AlertList' });

export const transactionSchema = z.object({
  id: z.number().int(),
  account_id: z.number().int(),
  type: z.string(),
  date: isoTimeSchema,
  amount: money,
  currency: z.string(),
  balance_after: money.nullable(),
  recipient_account: z.string().nullable(),
  status: z.enum(['completed', 'pending', 'cancelled']),
  title: z.string().nullable(),
});
apiRegistry.add(transactionSchema, { id: 'Transaction' });

export const historyEntrySchema = z.object({
  changed_at: isoTimeSchema,
  changed_by: z.string(),
  from_status: status.nullable(),
  to_status: status,
  disposition: disposition.nullable(),
  note: z.string().nullable(),
});
apiRegistry.add(historyEntrySchema, { id: 'AlertHistoryEntry' });

export const alertDetailSchema = alertSummarySchema.extend({
  note: z.string().nullable(),
  scan_run_id: z.number().int().nullable(),
  suppression_id: z
    .number()
    .int()
    .nullable()
    .meta({ description: 'status suppressed: the suppression that kept this finding from being raised' }),
  evidence: z.unknown().meta({ description: 'what the rule saw: thresholds, amounts, related transactions' }),
  transaction: transactionSchema,
  account: z.object({
    id: z.number().int(),
    account_number: z.string(),
    account_type: z.string(),
    currency: z.string(),
    balance: money,
    opening_date: z.string(),
    is_active: z.boolean(),
  }),
  client: z.object({
    id: z.number().int(),
    first_name: z.string(),
    last_name: z.string(),
    identifier: z.string().meta({ description: 'masked for viewers' }),
    email: z.string().nullable().meta({ description: 'masked for viewers' }),
    phone: z.string().nullable().meta({ description: 'masked for viewers' }),
    country: z.string(),
    locale: z.string(),
    is_active: z.boolean(),
    registration_date: z.string(),
  }),
  related_transactions: z.array(transactionSchema),
  history: z.array(historyEntrySchema),
});
apiRegistry.add(alertDetailSchema, { id: 'AlertDetail' });
export type AlertDetail = z.infer<typeof alertDetailSchema>;

const counts = z.record(z.string(), z.number().int());
const reportRow = z.object({
  key: z.string(),
  alerts: z.number().int(),
  transactions: z.number().int(),
  high: z.number().int(),
  medium: z.number().int(),
  low: z.number().int(),
});

export const alertStatsSchema = z.object({
  from: isoTimeSchema,
  to: isoTimeSchema.meta({ description: 'exclusive' }),
  total: z.number().int(),
  by_risk_level: counts,
  by_reason: counts,
  by_status: counts,
  by_flagged_by: counts,
  by_day: z.array(z.object({ day: z.string(), count: z.number().int() })),
  latest_scan_runs: z.array(
    z.object({
      id: z.number().int(),
      mode: z.string(),
      status: z
        .string()
        .meta({ description: 'running, succeeded, partial (stopped at its deadline), failed or skipped' }),
      started_at: isoTimeSchema,
      finished_at: isoTimeSchema.nullable(),
      transactions_scanned: z.number().int(),
      alerts_created: z.number().int(),
      findings_suppressed: z.number().int().meta({ description: 'findings kept as suppressed, not raised' }),
      alerts_by_risk: z.unknown(),
      alerts_by_reason: z.unknown(),
    }),
  ),
  all_time: z
    .object({
      totals: z.object({
        alerts: z.number().int(),
        transactions: z.number().int(),
        system: z.number().int(),
        analyst: z.number().int(),
        suppressed: z
          .number()
          .int()
          .meta({ description: 'findings kept as suppressed (not in the other figures)' }),
      }),
      by_rule: z.array(reportRow),
      by_risk_level: z.array(reportRow),
      by_currency: z.array(reportRow),
      by_country: z.array(reportRow),
      by_month: z.array(reportRow).meta({ description: 'month of the transaction' }),
    })
    .meta({ description: 'the scan report (`npm run scan -- --report`) over all alerts' }),
});
apiRegistry.add(alertStatsSchema, { id: 'AlertStats' });

export const errorBodySchema = z.object({
  error: z.object({
    code: z.string(),
    message: z.string(),
    problems: z.array(z.object({ field: z.string(), message: z.string() })).optional(),
    requestId: z.string().optional(),
  }),
});
apiRegistry.add(errorBodySchema, { id: 'Error' });
