/**
 * The one middy wrapper for HTTP functions (API Gateway HTTP API, payload v2): the Lambda context in every log
 * line (Powertools' injectLambdaContext; keys reset after each request, the event never logged: its headers carry
 * API keys), normalised headers, typed errors mapped to JSON responses in one place, and never a stack trace, SQL
 * or raw error in a response body. The environment is validated when the function's module loads (its cold start).
 * Options add API-key auth (`auth: 'read' | 'write'`, see ./auth.ts) and a size-limited JSON body parser
 * (`jsonBody: true`); both run before the handler, auth first, so an unauthenticated caller learns nothing else.
 *
 * Time: the handler runs with the database's waits bounded (withBoundedWaits, lib/db/bounded-waits.ts), so a
 * database that refuses, never answers or freezes is a 503 within seconds; and a request still running a second
 * before the function's timeout is answered 503 then, never left to the platform (whose timeout answer is a 500, or
 * in serverless offline a 200 carrying a stack trace).
 *
 * @example export const handler = httpHandler(async (event) => json(200, { ok: true }));
 * @example export const handler = httpHandler(async (event, context) => …context.principal…, { auth: 'write', jsonBody: true });
 */
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import middy from '@middy/core';
import httpHeaderNormalizer from '@middy/http-header-normalizer';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2, Context } from 'aws-lambda';
import type { ZodType } from 'zod';
import { getConfig } from '../config.js';
import { withBoundedWaits } from '../db/bounded-waits.js';
import { isConnectionError } from '../db/pool.js';
import { AppError, DependencyError, ValidationError } from '../errors.js';
import { closePoolAfterLocalInvoke } from '../local-invoke.js';
import { logger } from '../log.js';
import { authenticate, type Permission, type Principal } from './auth.js';

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

/**
 * The error as the API reports it: ours as it is; a failure of the database connection that arrived unwrapped (code
 * that called the driver directly) as the DependencyError it is (503); anything else stays unexpected (500).
 */
function classify(error: unknown): unknown {
  if (error instanceof AppError || !isConnectionError(error)) return error;
  return new DependencyError('database unreachable', { cause: error });
}

/** Maps any error to a response. Only 4xx messages reach the client; 5xx say nothing but a request id. */
export function errorResponse(raw: unknown, requestId: string): HttpResult {
  const error = classify(raw);
  if (error instanceof AppError && error.status < 500) {
    const problems =
      error instanceof ValidationError && error.problems.length > 0 ? { problems: error.problems } : {};
    return json(error.status, { error: { code: error.code, message: error.message, ...problems } });
  }
  return json(error instanceof AppError ? error.status : 500, { error: serverError(error, requestId) });
}

/** The `error` member of a 5xx answer: a stable code, a fixed message and the request id — nothing of the failure. */
export function serverError(error: unknown, requestId: string) {
  const status = error instanceof AppError ? error.status : 500;
  return {
    code: error instanceof AppError ? error.code : 'internal_error',
    message: status === 503 ? 'A dependency is unavailable; try again shortly' : 'Internal server error',
    requestId,
  };
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

/** 415: a body that is not JSON. */
export class UnsupportedMediaTypeError extends AppError {
  override name = 'UnsupportedMediaTypeError';
  override readonly status = 415;
  override readonly code = 'unsupported_media_type';
}

/** Default limit of a request body, in bytes (after base64 decoding). */
export const MAX_BODY_BYTES = 16 * 1024;

/**
 * Parses a request body as JSON: at most `maxBytes`, a JSON content type when one is given, valid JSON.
 * Every failure is a 4xx with a clear message (never the parser's text, which would echo the input).
 */
export function parseJsonBody(
  event: Pick<HttpEvent, 'body' | 'isBase64Encoded' | 'headers'>,
  maxBytes: number,
) {
  const contentType = event.headers?.['content-type'];
  if (contentType && !/^application\/([\w.+-]+\+)?json\s*(;|$)/i.test(contentType)) {
    throw new UnsupportedMediaTypeError('The body must be JSON: send content-type: application/json');
  }
  const raw = event.body ?? '';
  const bytes = event.isBase64Encoded ? Buffer.from(raw, 'base64') : Buffer.from(raw, 'utf8');
  if (bytes.length > maxBytes) {
    throw new ValidationError(`Invalid body: must be at most ${maxBytes} bytes`, [
      { field: 'body', message: `must be at most ${maxBytes} bytes (got ${bytes.length})` },
    ]);
  }
  if (bytes.length === 0) {
    throw new ValidationError('Invalid body: a JSON object is required', [
      { field: 'body', message: 'is required (a JSON object)' },
    ]);
  }
  try {
    return JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes)) as unknown;
  } catch {
    throw new ValidationError('Invalid body: not valid JSON (UTF-8)', [
      { field: 'body', message: 'is not valid JSON (UTF-8)' },
    ]);
  }
}

/** The Lambda context as HTTP handlers see it: the authenticated caller and the parsed JSON body, when asked for. */
export interface HttpContext extends Context {
  principal?: Principal;
  jsonBody?: unknown;
}

export type HttpLambda = (event: HttpEvent, context: HttpContext) => Promise<HttpResult>;

export interface HttpOptions {
  /** Require an API key whose role has this permission (401 / 403 otherwise). Omit for public routes. */
  auth?: Permission;
  /** Parse the body as JSON into `context.jsonBody` (400 when missing, malformed or larger than maxBodyBytes). */
  jsonBody?: boolean;
  maxBodyBytes?: number;
}

/**
 * How long before the function's timeout a request still running is answered 503: room for Lambda (or serverless
 * offline, whose clock starts a little before the handler's) to send the answer, on a busy machine too.
 */
const ANSWER_MARGIN_MS = 1_000;

function outOfTime(): never {
  throw new DependencyError(
    `the request was still running ${ANSWER_MARGIN_MS} ms before the function's timeout`,
  );
}

export function httpHandler(lambda: HttpLambda, options: HttpOptions = {}) {
  const { auth, jsonBody = false, maxBodyBytes = MAX_BODY_BYTES } = options;
  getConfig(); // a bad environment fails the cold start, naming the variable
  return middy<HttpEvent, HttpResult, Error, HttpContext>({
    timeoutEarlyInMillis: ANSWER_MARGIN_MS,
    timeoutEarlyResponse: outOfTime,
  })
    .use(closePoolAfterLocalInvoke()) // `serverless invoke local` exits once the response is out
    .use(injectLambdaContext(logger, { resetKeys: true, logEvent: false }))
    .use(httpHeaderNormalizer())
    .use({
      onError: async (request) => {
        const error = classify(request.error);
        const status = error instanceof AppError ? error.status : 500;
        if (status >= 500) {
          logger.error('request failed', { error: error as Error, route: request.event.routeKey });
        }
        request.response = errorResponse(error, request.context.awsRequestId);
      },
    })
    .use({
      before: async (request) => {
        if (auth) request.context.principal = await authenticate(request.event.headers, auth);
        if (jsonBody) request.context.jsonBody = parseJsonBody(request.event, maxBodyBytes);
      },
    })
    .handler((event, context) => withBoundedWaits(() => lambda(event, context)));
}
