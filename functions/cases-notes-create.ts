/**
 * POST /cases/{id}/notes — adds a note to a case: {note}. 201 with the case (notes included) and its new ETag.
 * Analysts note the cases they may work (assigned to them or to nobody, not escalated); leads any.
 * Trigger: HTTP API. Auth: analyst or lead key. Body: JSON, ≤ 16 KiB. Env: MYSQL_URL or MYSQL_SECRET_ID, API_KEYS
 * or API_KEYS_SECRET_ID. IAM: secretsmanager:GetSecretValue on the DB and API-keys secrets.
 */
import { getCaseDetail } from '../lib/cases/repository.js';
import { caseIdPathSchema, createNoteBodySchema } from '../lib/cases/schemas.js';
import { addCaseNote, etag } from '../lib/cases/update.js';
import { requirePrincipal } from '../lib/http/auth.js';
import { httpHandler, json, parseInput } from '../lib/http/handler.js';

export const handler = httpHandler(
  async (event, context) => {
    const principal = requirePrincipal(context);
    const { id } = parseInput(caseIdPathSchema, event.pathParameters ?? {}, 'path');
    const { note } = parseInput(createNoteBodySchema, context.jsonBody, 'body');
    await addCaseNote(id, note, principal);
    const detail = await getCaseDetail(id, principal.role);
    return json(201, detail, { etag: etag(detail.version), location: `/cases/${id}` });
  },
  { auth: 'write', jsonBody: true },
);
