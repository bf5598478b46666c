/**
 * GET /notifications — the notifications outbox, newest first, filtered (status, kind, case_id), in keyset pages
 * (limit ≤ 500, opaque `cursor`): each one's state, delivery rounds, last error and each destination's outcome.
 * Trigger: HTTP API. Auth: any API key (viewer, analyst, lead). Env: MYSQL_URL or MYSQL_SECRET_ID, API_KEYS or
 * API_KEYS_SECRET_ID. IAM: secretsmanager:GetSecretValue on the DB and API-keys secrets.
 */
import { httpHandler, json, parseInput } from '../lib/http/handler.js';
import { listNotifications } from '../lib/notify/repository.js';
import { listNotificationsQuerySchema } from '../lib/notify/schemas.js';

export const handler = httpHandler(
  async (event) => {
    const query = parseInput(listNotificationsQuerySchema, event.queryStringParameters ?? {}, 'query');
    return json(200, await listNotifications(query));
  },
  { auth: 'read' },
);
