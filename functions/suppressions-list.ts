/**
 * GET /suppressions — what closing as a false positive told the scan to stop raising: newest first, filtered (state
 * active / expired / revoked, client_id, rule), in keyset pages (limit ≤ 500, opaque `cursor`), each with its history
 * and how many findings it kept as suppressed.
 * Trigger: HTTP API. Auth: any API key. Env: MYSQL_URL or MYSQL_SECRET_ID, API_KEYS or API_KEYS_SECRET_ID.
 * IAM: secretsmanager:GetSecretValue on the DB and API-keys secrets.
 */
import { httpHandler, json, parseInput } from '../lib/http/handler.js';
import { listSuppressions } from '../lib/suppressions/repository.js';
import { listSuppressionsQuerySchema } from '../lib/suppressions/schemas.js';

export const handler = httpHandler(
  async (event) => {
    const query = parseInput(listSuppressionsQuerySchema, event.queryStringParameters ?? {}, 'query');
    return json(200, await listSuppressions(query));
  },
  { auth: 'read' },
);
