/**
 * PATCH /alerts/{id} — moves an alert along open → investigating → closed: {status, disposition?, note?}
 * (closing needs a disposition and a note). 409 when the move is not allowed from the current state. The change
 * and its history entry are written in one DB transaction under a row lock.
 * Trigger: HTTP API. Auth: analyst key. Body: JSON, ≤ 16 KiB. Env: MYSQL_URL or MYSQL_SECRET_ID, API_KEYS or
 * API_KEYS_SECRET_ID. IAM: secretsmanager:GetSecretValue on the DB and API-keys secrets.
 */
import { getAlertDetail, updateAlertStatus } from '../lib/alerts/repository.js';
import { alertIdPathSchema, updateAlertBodySchema } from '../lib/alerts/schemas.js';
import { requirePrincipal } from '../lib/http/auth.js';
import { httpHandler, json, parseInput } from '../lib/http/handler.js';

export const handler = httpHandler(
  async (event, context) => {
    const principal = requirePrincipal(context);
    const { id } = parseInput(alertIdPathSchema, event.pathParameters ?? {}, 'path');
    const body = parseInput(updateAlertBodySchema, context.jsonBody, 'body');
    await updateAlertStatus(id, body, principal);
    return json(200, await getAlertDetail(id, principal.role));
  },
  { auth: 'write', jsonBody: true },
);
