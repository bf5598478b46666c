/**
 * The suppressions API's contract as zod schemas, like ../alerts/schemas.ts (whose shared pieces it reuses):
 * GET /suppressions' query, the id of DELETE /suppressions/{id}, and the responses. What closing may ask for (the
 * `suppress` member of PATCH /cases/{id} and PATCH /alerts/{id}) is in ./request.ts.
 */
import { z } from 'zod';
import {
  apiRegistry,
  cursorParam,
  idString,
  isoTimeSchema,
  limitParam,
  pageSchema,
  strict,
} from '../alerts/schemas.js';
import { ruleIdSchema } from './request.js';

export const SUPPRESSION_STATES = ['active', 'expired', 'revoked'] as const;
export type SuppressionState = (typeof SUPPRESSION_STATES)[number];

// ---------------------------------------------------------------------------------------------------------------
// GET /suppressions, DELETE /suppressions/{id}
// ---------------------------------------------------------------------------------------------------------------

export const listSuppressionsQuerySchema = strict({
  state: z
    .enum(SUPPRESSION_STATES, { message: `expects one of ${SUPPRESSION_STATES.join(', ')}` })
    .optional()
    .meta({ description: 'active (suppressing now), expired (past its date) or revoked' }),
  client_id: idString.optional().meta({ description: 'only this client’s suppressions' }),
  rule: ruleIdSchema.optional().meta({ description: 'only this rule’s suppressions' }),
  limit: limitParam,
  cursor: cursorParam,
});
export type ListSuppressionsQuery = z.output<typeof listSuppressionsQuerySchema>;

export const suppressionIdPathSchema = strict({ id: idString.meta({ description: 'the suppression id' }) });

export const suppressionSchema = z.object({
  id: z.number().int(),
  rule_id: z.string(),
  client_id: z.number().int(),
  client_name: z.string(),
  counterparty: z.string().nullable(),
  country: z.string().nullable(),
  until: z.string().meta({ description: 'the last day (UTC) it applies' }),
  state: z.enum(SUPPRESSION_STATES),
  reason: z.string(),
  created_by: z.string(),
  created_at: isoTimeSchema,
  case_id: z.number().int().nullable(),
  alert_id: z.number().int().nullable(),
  revoked_at: isoTimeSchema.nullable(),
  revoked_by: z.string().nullable(),
  findings_suppressed: z.number().int().meta({ description: 'findings the scan kept as suppressed by it' }),
  history: z.array(
    z.object({
      changed_at: isoTimeSchema,
      changed_by: z.string(),
      action: z.enum(['created', 'revoked']),
      note: z.string().nullable(),
    }),
  ),
});
apiRegistry.add(suppressionSchema, { id: 'Suppression' });
export type Suppression = z.infer<typeof suppressionSchema>;

export const suppressionListSchema = pageSchema(suppressionSchema);
apiRegistry.add(suppressionListSchema, { id: 'SuppressionList' });
