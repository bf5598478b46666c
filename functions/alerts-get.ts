/**
 * GET /alerts/{id} — one alert with its evidence, transaction, account, client (identifier, e-mail and phone
 * masked for viewers), the related transactions its evidence names, and its workflow history.
 * Trigger: HTTP API. Auth: any API key. Env: MYSQL_URL or MYSQL_SECRET_ID, API_KEYS or API_KEYS_SECRET_ID.
 * IAM: secretsmanager:GetSecretValue on the DB and API-keys secrets.
 */
import { getAlertDetail } from '../lib/alerts/repository.js';
import { alertIdPathSchema } from '../lib/alerts/schemas.js';
import { requirePrincipal } from '../lib/http/auth.js';
import { httpHandler, json, parseInput } from '../lib/http/handler.js';

export const handler = httpHandler(
  async (event, context) => {
    const { id } = parseInput(alertIdPathSchema, event.pathParameters ?? {}, 'path');
    return json(200, await getAlertDetail(id, requirePrincipal(context).role));
  },
  { auth: 'read' },
);
