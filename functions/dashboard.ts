/**
 * GET /dashboard — the dashboard page (HTML, no data in it), and GET /dashboard/app.js — its script (ECharts and the
 * map geometry bundled from npm at build time; no CDN, works offline). The data comes from GET /dashboard/data/…
 * (functions/dashboard-data.ts) with the API key the page asks for.
 *
 * Trigger: HTTP API. Env: none. IAM: none beyond its own logs (no database, no secret).
 */
import { dashboardHtml } from '../lib/dashboard/html.js';
import { pageScript } from '../lib/dashboard/page-script.js';
import { type HttpEvent, type HttpResult, httpHandler } from '../lib/http/handler.js';

const SECURITY_HEADERS = {
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'x-frame-options': 'DENY',
};

const CSP =
  "default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

export async function lambdaHandler(event: HttpEvent): Promise<HttpResult> {
  if (event.rawPath.endsWith('/app.js')) {
    return {
      statusCode: 200,
      headers: {
        ...SECURITY_HEADERS,
        'content-type': 'text/javascript; charset=utf-8',
        'cache-control': 'public, max-age=300',
      },
      body: await pageScript(),
    };
  }
  return {
    statusCode: 200,
    headers: {
      ...SECURITY_HEADERS,
      'content-type': 'text/html; charset=utf-8',
      'cache-control': 'no-cache',
      'content-security-policy': CSP,
    },
    body: dashboardHtml(),
  };
}

export const handler = httpHandler(lambdaHandler);
