/**
 * PATCH /cases/{id} — assign, move (open → investigating → escalated → closed; a lead reopens), dispose and annotate
 * a case: {status?, assignee?, disposition?, note?}. If-Match (the case's ETag) is required: 428 without it, 412
 * when the case changed meanwhile. Analysts work cases assigned to them or to nobody; leads assign and reopen (403
 * otherwise). Closing closes the case's alerts; reopening reopens them.
 * Trigger: HTTP API. Auth: analyst or lead key. Body: JSON, ≤ 16 KiB. Env: MYSQL_URL or MYSQL_SECRET_ID, API_KEYS
 * or API_KEYS_SECRET_ID. IAM: secretsmanager:GetSecretValue on the DB and API-keys secrets.
 */
import { getCaseDetail } from '../lib/cases/repository.js';
import { caseIdPathSchema, updateCaseBodySchema } from '../lib/cases/schemas.js';
import { etag, updateCase, versionFromIfMatch } from '../lib/cases/update.js';
import { casePeople, requirePrincipal } from '../lib/http/auth.js';
import { httpHandler, json, parseInput } from '../lib/http/handler.js';

export const handler = httpHandler(
  async (event, context) => {
    const principal = requirePrincipal(context);
    const { id } = parseInput(caseIdPathSchema, event.pathParameters ?? {}, 'path');
    const body = parseInput(updateCaseBodySchema, context.jsonBody, 'body');
    const version = versionFromIfMatch(event.headers?.['if-match']);
    await updateCase(id, body, version, principal, await casePeople());
    const detail = await getCaseDetail(id, principal.role);
    return json(200, detail, { etag: etag(detail.version) });
  },
  { auth: 'write', jsonBody: true },
);
