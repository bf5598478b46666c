/**
 * DELETE /suppressions/{id} — revokes a suppression: from now on the scan raises the findings it covered (those it
 * kept as suppressed stay so). A lead revokes any; an analyst only their own (403 otherwise). Idempotent: revoking
 * a revoked suppression changes nothing. The suppression keeps its row and its history says who revoked it and when.
 * Trigger: HTTP API. Auth: analyst or lead key. Env: MYSQL_URL or MYSQL_SECRET_ID, API_KEYS or API_KEYS_SECRET_ID.
 * IAM: secretsmanager:GetSecretValue on the DB and API-keys secrets.
 */
import { requirePrincipal } from '../lib/http/auth.js';
import { httpHandler, json, parseInput } from '../lib/http/handler.js';
import { getSuppression, revokeSuppression } from '../lib/suppressions/repository.js';
import { suppressionIdPathSchema } from '../lib/suppressions/schemas.js';

export const handler = httpHandler(
  async (event, context) => {
    const principal = requirePrincipal(context);
    const { id } = parseInput(suppressionIdPathSchema, event.pathParameters ?? {}, 'path');
    await revokeSuppression(id, principal);
    return json(200, await getSuppression(id));
  },
  { auth: 'write' },
);
