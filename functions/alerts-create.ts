/**
 * POST /alerts — an analyst flags a transaction: {transaction_id, reason, risk_level, note?}. 201 with the new
 * alert; a repeat of an active flag answers 200 with the same alert (nothing new is written).
 * Trigger: HTTP API. Auth: analyst key. Body: JSON, ≤ 16 KiB. Env: MYSQL_URL or MYSQL_SECRET_ID, API_KEYS or
 * API_KEYS_SECRET_ID. IAM: secretsmanager:GetSecretValue on the DB and API-keys secrets.
 */
import { createAnalystAlert, getAlertDetail } from '../lib/alerts/repository.js';
import { createAlertBodySchema } from '../lib/alerts/schemas.js';
import { requirePrincipal } from '../lib/http/auth.js';
import { httpHandler, json, parseInput } from '../lib/http/handler.js';

export const handler = httpHandler(
  async (_event, context) => {
    const principal = requirePrincipal(context);
    const body = parseInput(createAlertBodySchema, context.jsonBody, 'body');
    const { id, created } = await createAnalystAlert(body, principal);
    const alert = await getAlertDetail(id, principal.role);
    return json(created ? 201 : 200, alert, { location: `/alerts/${id}` });
  },
  { auth: 'write', jsonBody: true },
);
