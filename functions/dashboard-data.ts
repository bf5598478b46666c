/**
 * GET /dashboard/data/{figure} — the dashboard's JSON figures (kpis, transactions, top-clients, alerts, locations,
 * suspicious, distribution), for any API key with the read permission (viewer or analyst).
 *
 * Trigger: HTTP API. Env: MYSQL_URL / MYSQL_SECRET_ID, API_KEYS / API_KEYS_SECRET_ID. IAM: the DB and API-keys
 * secrets only. Reads the summary tables; when they are behind the raw tables (a cheap MAX(id) check, at most every
 * 5 s per container) it brings them up to date first (lib/analytics/refresh.ts).
 */
import { figure } from '../lib/analytics/figures.js';
import { ensureAnalyticsFresh } from '../lib/analytics/refresh.js';
import { figurePathSchema, figureQuerySchema } from '../lib/dashboard/query.js';
import { type HttpEvent, httpHandler, json, parseInput } from '../lib/http/handler.js';

export async function lambdaHandler(event: HttpEvent) {
  const { figure: name } = parseInput(figurePathSchema, event.pathParameters ?? {}, 'path');
  const q = parseInput(figureQuerySchema, event.queryStringParameters ?? {}, 'query');
  await ensureAnalyticsFresh();
  return json(200, await figure(name, q), { 'cache-control': 'private, no-store' });
}

export const handler = httpHandler(lambdaHandler, { auth: 'read' });
