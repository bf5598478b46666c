/**
 * The cases API's contract as zod schemas, like ../alerts/schemas.ts (whose shared pieces it reuses): requests are
 * validated with them (unknown fields rejected), responses are described by them, and GET /openapi.json is generated
 * from both.
 */
import { z } from 'zod';
import {
  alertSummarySchema,
  apiRegistry,
  cursorParam,
  disposition,
  historyEntrySchema,
  idString,
  isoTimeSchema,
  limitParam,
  money,
  noteText,
  pageSchema,
  riskLevel,
  strict,
  transactionSchema,
} from '../alerts/schemas.js';
import { caseSuppressionsSchema } from '../suppressions/request.js';

export const CASE_STATUSES = ['open', 'investigating', 'escalated', 'closed'] as const;
export const CASE_KINDS = ['client', 'network'] as const;
export type CaseStatus = (typeof CASE_STATUSES)[number];

const oneOf = (values: readonly string[]) => `expects one of ${values.join(', ')}`;
const caseStatus = z.enum(CASE_STATUSES, { message: oneOf(CASE_STATUSES) });
const STATUS_LIST = new RegExp(`^(?:${CASE_STATUSES.join('|')})(?:,(?:${CASE_STATUSES.join('|')}))*$`);

/** A person's name as API keys carry it (lib/config.ts apiKeyEntrySchema). */
const personName = z
  .string({ message: 'expects a person’s name (an API key name) or null' })
  .regex(/^[A-Za-z0-9][A-Za-z0-9._@-]{0,99}$/, { message: 'expects a person’s name (an API key name)' });

// ---------------------------------------------------------------------------------------------------------------
// Requests
// ---------------------------------------------------------------------------------------------------------------

export const listCasesQuerySchema = strict({
  status: z
    .string()
    .regex(STATUS_LIST, { message: `expects one or more of ${CASE_STATUSES.join(', ')}, comma-separated` })
    .transform((v) => [...new Set(v.split(','))] as CaseStatus[])
    .optional()
    .meta({
      description:
        'only cases in this state, or in any of several: `open,investigating,escalated` (not closed)',
    }),
  assignee: z
    .union([z.literal('none'), personName], { message: 'expects a person’s name or `none`' })
    .optional()
    .meta({ description: 'only cases assigned to this person; `none`: unassigned ones' }),
  min_risk: riskLevel.optional().meta({ description: 'only cases of this risk level or above' }),
  client_id: idString.optional().meta({ description: 'only this client’s case(s)' }),
  overdue: z
    .enum(['true', 'false'], { message: 'expects true or false' })
    .transform((v) => v === 'true')
    .optional()
    .meta({ description: '`true`: not closed and past their due time; `false`: the others' }),
  limit: limitParam,
  cursor: cursorParam,
});
export type ListCasesQuery = z.output<typeof listCasesQuerySchema>;

export const caseIdPathSchema = strict({ id: idString.meta({ description: 'the case id' }) });

export const updateCaseBodySchema = strict({
  status: caseStatus.optional().meta({
    description:
      'open → investigating → escalated → closed; a lead sends an escalated case back or reopens one',
  }),
  assignee: personName.nullable().optional().meta({
    description: 'who works it (an analyst or lead key’s name); null: nobody. Others than oneself: lead',
  }),
  disposition: disposition.optional().meta({ description: 'required when closing, not allowed otherwise' }),
  note: noteText.optional().meta({ description: 'required when closing; added to the case’s notes' }),
  suppress: caseSuppressionsSchema.optional(),
})
  .superRefine((body, ctx) => {
    if (body.suppress && !(body.status === 'closed' && body.disposition === 'false_positive')) {
      ctx.addIssue({
        code: 'custom',
        path: ['suppress'],
        message: 'is only allowed when closing as false_positive',
      });
    }
    if (Object.values(body).every((v) => v === undefined)) {
      ctx.addIssue({ code: 'custom', path: [], message: 'expects at least one of status, assignee, note' });
    }
    if (body.status === 'closed' && !body.disposition) {
      ctx.addIssue({ code: 'custom', path: ['disposition'], message: 'is required when closing a case' });
    }
    if (body.status === 'closed' && !body.note) {
      ctx.addIssue({ code: 'custom', path: ['note'], message: 'is required when closing a case' });
    }
    if (body.status !== 'closed' && body.disposition) {
      ctx.addIssue({ code: 'custom', path: ['disposition'], message: 'is only allowed when closing' });
    }
  })
  .meta({ description: 'Assigns, moves or annotates a case. Send the case’s ETag in If-Match.' });
apiRegistry.add(updateCaseBodySchema, { id: 'UpdateCase' });
export type UpdateCaseBody = z.output<typeof updateCaseBodySchema>;

export const createNoteBodySchema = strict({ note: noteText }).meta({ description: 'A note on a case.' });
apiRegistry.add(createNoteBodySchema, { id: 'CreateCaseNote' });

// ---------------------------------------------------------------------------------------------------------------
// Responses
// ---------------------------------------------------------------------------------------------------------------

export const caseSummarySchema = z.object({
  id: z.number().int(),
  kind: z.enum(CASE_KINDS),
  client_id: z.number().int().nullable().meta({ description: 'null for a network case' }),
  client_name: z.string().nullable(),
  status: caseStatus,
  disposition: disposition.nullable(),
  risk_level: riskLevel.meta({ description: 'the highest risk of its alerts' }),
  priority: z.number().int().meta({ description: 'higher first; see docs/cases.md for the formula' }),
  amount: money.meta({ description: 'sum of |amount| of its alerted transactions, as booked' }),
  rule_count: z.number().int().meta({ description: 'independent signals among its alerts' }),
  alert_count: z.number().int(),
  assignee: z.string().nullable(),
  due_at: isoTimeSchema,
  overdue: z.boolean().meta({ description: 'not closed and past its due time' }),
  opened_at: isoTimeSchema,
  closed_at: isoTimeSchema.nullable(),
  updated_at: isoTimeSchema,
  version: z.number().int().meta({ description: 'the ETag; send it in If-Match to change the case' }),
});
apiRegistry.add(caseSummarySchema, { id: 'CaseSummary' });
export type CaseSummary = z.infer<typeof caseSummarySchema>;

export const caseListSchema = pageSchema(caseSummarySchema);
apiRegistry.add(caseListSchema, { id: 'CaseList' });

export const caseNoteSchema = z.object({
  id: z.number().int(),
  created_at: isoTimeSchema,
  author: z.string(),
  note: z.string(),
});
apiRegistry.add(caseNoteSchema, { id: 'CaseNote' });

const caseHistoryEntry = z.object({
  changed_at: isoTimeSchema,
  changed_by: z.string().meta({ description: 'the person (API key name) or the job' }),
  field: z.string(),
  old_value: z.string().nullable(),
  new_value: z.string().nullable(),
});

export const caseDetailSchema = caseSummarySchema.extend({
  client: z
    .object({
      id: z.number().int(),
      first_name: z.string(),
      last_name: z.string(),
      identifier: z.string().meta({ description: 'masked for viewers' }),
      email: z.string().nullable().meta({ description: 'masked for viewers' }),
      phone: z.string().nullable().meta({ description: 'masked for viewers' }),
      country: z.string(),
    })
    .nullable(),
  alerts: z.array(alertSummarySchema.extend({ evidence: z.unknown(), history: z.array(historyEntrySchema) })),
  transactions: z.array(transactionSchema.extend({ alert_ids: z.array(z.number().int()) })).meta({
    description: 'the client’s latest transactions, newest first; alert_ids marks the alerted ones',
  }),
  related_clients: z.array(
    z.object({
      id: z.number().int(),
      first_name: z.string(),
      last_name: z.string(),
      country: z.string(),
      via: z
        .array(z.string())
        .meta({ description: 'how they are related: a network case, an alert’s evidence' }),
    }),
  ),
  network_cases: z.array(z.object({ id: z.number().int(), status: caseStatus, risk_level: riskLevel })),
  notes: z.array(caseNoteSchema),
  history: z.array(caseHistoryEntry),
});
apiRegistry.add(caseDetailSchema, { id: 'CaseDetail' });
export type CaseDetail = z.infer<typeof caseDetailSchema>;
