/**
 * GET /cases — the case queue: soonest due first, then highest priority, then id, filtered (status, assignee,
 * min_risk, client_id, overdue), in keyset pages (limit ≤ 500, opaque `cursor`).
 * Trigger: HTTP API. Auth: any API key. Env: MYSQL_URL or MYSQL_SECRET_ID, API_KEYS or API_KEYS_SECRET_ID.
 * IAM: secretsmanager:GetSecretValue on the DB and API-keys secrets.
 */
import { listCases } from '../lib/cases/repository.js';
import { listCasesQuerySchema } from '../lib/cases/schemas.js';
import { httpHandler, json, parseInput } from '../lib/http/handler.js';

export const handler = httpHandler(
  async (event) => {
    const query = parseInput(listCasesQuerySchema, event.queryStringParameters ?? {}, 'query');
    return json(200, await listCases(query));
  },
  { auth: 'read' },
);
