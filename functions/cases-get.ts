/**
 * GET /cases/{id} — one case: its alerts with their evidence, the client (identifier, e-mail and phone masked for
 * viewers), the client's latest transactions with the alerted ones marked, related clients, notes and history. The
 * case's version is its ETag (send it as If-Match to PATCH the case).
 * Trigger: HTTP API. Auth: any API key. Env: MYSQL_URL or MYSQL_SECRET_ID, API_KEYS or API_KEYS_SECRET_ID.
 * IAM: secretsmanager:GetSecretValue on the DB and API-keys secrets.
 */
import { getCaseDetail } from '../lib/cases/repository.js';
import { caseIdPathSchema } from '../lib/cases/schemas.js';
import { etag } from '../lib/cases/update.js';
import { requirePrincipal } from '../lib/http/auth.js';
import { httpHandler, json, parseInput } from '../lib/http/handler.js';

export const handler = httpHandler(
  async (event, context) => {
    const { id } = parseInput(caseIdPathSchema, event.pathParameters ?? {}, 'path');
    const detail = await getCaseDetail(id, requirePrincipal(context).role);
    return json(200, detail, { etag: etag(detail.version) });
  },
  { auth: 'read' },
);
