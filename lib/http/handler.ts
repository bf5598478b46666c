/**
 * The one middy wrapper for HTTP functions (API Gateway HTTP API, payload v2): normalised headers, typed errors
 * mapped to JSON responses in one place, and never a stack trace, SQL or raw error in a response body.
 *
 * @example export const handler = httpHandler(async (event) => json(200, { ok: true }));
 */
import middy from '@middy/core';
import httpHeaderNormalizer from '@middy/http-header-normalizer';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2, Context } from 'aws-lambda';
import type { ZodType } from 'zod';
import { AppError, ValidationError } from '../errors.js';
import { logger } from '../log.js';

export type HttpEvent = APIGatewayProxyEventV2;
export type HttpResult = APIGatewayProxyStructuredResultV2;

const BASE_HEADERS = {
  'content-type': 'application/json; charset=utf-8',
  'cache-control': 'no-store',
  'x-content-type-options': 'nosniff',
};

export function json(statusCode: number, body: unknown, headers: Record<string, string> = {}): HttpResult {
  return { statusCode, headers: { ...BASE_HEADERS, ...headers }, body: JSON.stringify(body) };
}

/** Maps any error to a response. Only 4xx messages reach the client; 5xx say nothing but a request id. */
export function errorResponse(error: unknown, requestId: string): HttpResult {
  if (error instanceof AppError && error.status < 500) {
    const problems =
      error instanceof ValidationError && error.problems.length > 0 ? { problems: error.problems } : {};
    return json(error.status, { error: { code: error.code, message: error.message, ...problems } });
  }
  // middy's own middlewares throw http-errors objects (statusCode + expose) for e.g. malformed JSON.
  const httpError = error as { statusCode?: number; expose?: boolean; message?: string };
  if (typeof httpError.statusCode === 'number' && httpError.statusCode < 500 && httpError.expose) {
    return json(httpError.statusCode, { error: { code: 'invalid_request', message: httpError.message } });
  }
  const status = error instanceof AppError ? error.status : 500;
  return json(status, {
    error: {
      code: error instanceof AppError ? error.code : 'internal_error',
      message: status === 503 ? 'A dependency is unavailable; try again shortly' : 'Internal server error',
      requestId,
    },
  });
}

/**
 * Parses `value` with a zod schema or throws a ValidationError listing every problem with its field path.
 * `where` prefixes the paths (`query`, `body`, `path`).
 */
export function parseInput<T>(schema: ZodType<T>, value: unknown, where: string): T {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  const problems = result.error.issues.map((issue) => ({
    field: [where, ...issue.path.map(String)].join('.'),
    message: issue.message,
  }));
  throw new ValidationError(
    `Invalid ${where}: ${problems.map((p) => `${p.field} ${p.message}`).join('; ')}`,
    problems,
  );
}

export type HttpLambda = (event: HttpEvent, context: Context) => Promise<HttpResult>;

export function httpHandler(lambda: HttpLambda) {
  return middy<HttpEvent, HttpResult>()
    .use(httpHeaderNormalizer())
    .use({
      onError: async (request) => {
        const { error } = request;
        const status = error instanceof AppError ? error.status : 500;
        if (status >= 500) {
          logger.error('request failed', {
            error: error as Error,
            route: request.event.routeKey,
            requestId: request.context.awsRequestId,
          });
        }
        request.response = errorResponse(error, request.context.awsRequestId);
      },
    })
    .handler(lambda);
}
