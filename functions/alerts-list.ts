/**
 * GET /alerts — alerts newest first, filtered (risk_level, status, flagged_by, reason, rule, account_id,
 * client_id, transaction_id, from, to), in keyset pages (limit ≤ 500, opaque `cursor`).
 * Trigger: HTTP API. Auth: any API key (viewer or analyst). Env: MYSQL_URL or MYSQL_SECRET_ID, API_KEYS or
 * API_KEYS_SECRET_ID. IAM: secretsmanager:GetSecretValue on the DB and API-keys secrets.
 */
import { listAlerts } from '../lib/alerts/repository.js';
import { listAlertsQuerySchema } from '../lib/alerts/schemas.js';
import { httpHandler, json, parseInput } from '../lib/http/handler.js';

export const handler = httpHandler(
  async (event) => {
    const query = parseInput(listAlertsQuerySchema, event.queryStringParameters ?? {}, 'query');
    return json(200, await listAlerts(query));
  },
  { auth: 'read' },
);
