/**
 * GET /dashboard/data/{figure} — the dashboard's JSON figures (kpis, transactions, top-clients, alerts, locations,
 * suspicious, distribution), for any API key with the read permission (viewer, analyst or lead); and
 * GET /dashboard/data/me — the key's person and role (and, for a lead, the people a case can be assigned to), so
 * the case page offers only the actions the key may take.
 *
 * Trigger: HTTP API. Env: MYSQL_URL / MYSQL_SECRET_ID, API_KEYS / API_KEYS_SECRET_ID. IAM: the DB and API-keys
 * secrets only. Reads the summary tables; when they are behind the raw tables (a cheap MAX(id) check, at most every
 * 5 s per container) it brings them up to date first (lib/analytics/refresh.ts).
 */
import { figure } from '../lib/analytics/figures.js';
import { ensureAnalyticsFresh } from '../lib/analytics/refresh.js';
import { figurePathSchema, figureQuerySchema } from '../lib/dashboard/query.js';
import { casePeople, requirePrincipal } from '../lib/http/auth.js';
import { type HttpContext, type HttpEvent, httpHandler, json, parseInput } from '../lib/http/handler.js';

export async function lambdaHandler(event: HttpEvent, context: HttpContext) {
  const { figure: name } = parseInput(figurePathSchema, event.pathParameters ?? {}, 'path');
  const q = parseInput(figureQuerySchema, event.queryStringParameters ?? {}, 'query');
  if (name === 'me') {
    const { name: person, role } = requirePrincipal(context);
    const people = role === 'lead' ? [...(await casePeople())].sort() : [];
    return json(200, { name: person, role, people }, { 'cache-control': 'private, no-store' });
  }
  await ensureAnalyticsFresh();
  return json(200, await figure(name, q), { 'cache-control': 'private, no-store' });
}

export const handler = httpHandler(lambdaHandler, { auth: 'read' });
