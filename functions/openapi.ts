/**
 * GET /openapi.json — the API's OpenAPI 3.1 document, generated from the zod schemas that validate requests.
 * Trigger: HTTP API. No auth (it describes the API; it holds no data). Env: none. IAM: none beyond logs.
 */
import { openApiDocument } from '../lib/alerts/openapi.js';
import { httpHandler, json } from '../lib/http/handler.js';

export const handler = httpHandler(async () =>
  json(200, openApiDocument(), { 'cache-control': 'public, max-age=300' }),
);
