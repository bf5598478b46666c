/**
 * GET /alerts/stats — alert counts by risk level, reason, status, flagged_by and day over a period (`from`, `to`;
 * default the last 30 days), the latest scan runs (`runs`, default 5) and the scan's all-time report.
 * Trigger: HTTP API. Auth: any API key. Env: MYSQL_URL or MYSQL_SECRET_ID, API_KEYS or API_KEYS_SECRET_ID.
 * IAM: secretsmanager:GetSecretValue on the DB and API-keys secrets.
 */
import { statsQuerySchema } from '../lib/alerts/schemas.js';
import { alertStats } from '../lib/alerts/stats.js';
import { httpHandler, json, parseInput } from '../lib/http/handler.js';

export const handler = httpHandler(
  async (event) => {
    const query = parseInput(statsQuerySchema, event.queryStringParameters ?? {}, 'query');
    return json(200, await alertStats(query));
  },
  { auth: 'read' },
);
