/**
 * The one middy wrapper for job functions (EventBridge schedules, manual invokes): validates the event payload
 * with a zod schema, logs start / finish / failure as structured JSON with the duration — every line carrying the
 * job's name and the Lambda context (Powertools' injectLambdaContext, keys reset after each invocation) — and
 * re-throws errors so the invocation fails visibly (EventBridge retries, CloudWatch alarms on Errors). The
 * environment is validated when the function's module loads (its cold start). Under `serverless invoke local` the
 * database pool is closed after the invocation, so the CLI exits (../local-invoke.ts).
 *
 * @example export const handler = jobHandler('scan-anomalies', scanEventSchema, async (event) => runScan(event));
 */
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import middy from '@middy/core';
import type { Context } from 'aws-lambda';
import type { ZodType } from 'zod';
import { getConfig } from '../config.js';
import { ValidationError } from '../errors.js';
import { closePoolAfterLocalInvoke } from '../local-invoke.js';
import { logger } from '../log.js';

export type JobLambda<E, R> = (event: E, context: Context) => Promise<R>;

/**
 * EventBridge scheduled events carry `source: 'aws.events'` and a `detail`; payload fields come from `input`. A
 * Lambda destination's record (another function's asynchronous invocation ended: `requestContext.functionArn`,
 * `requestPayload`, `responsePayload`) is a trigger too, with no payload of its own. `serverless invoke local`
 * without `--data` passes an empty string: no payload, like an empty event.
 */
function payloadOf(event: unknown): unknown {
  if (event && typeof event === 'object') {
    const e = event as {
      source?: string;
      requestContext?: { functionArn?: string };
      responsePayload?: unknown;
    };
    if (e.source === 'aws.events') return {};
    if (typeof e.requestContext?.functionArn === 'string' && 'responsePayload' in e) return {};
  }
  return event === undefined || event === null || event === '' ? {} : event;
}

export function jobHandler<E, R>(name: string, schema: ZodType<E>, job: JobLambda<E, R>) {
  getConfig(); // a bad environment fails the cold start, naming the variable
  return middy<unknown, R>()
    .use(closePoolAfterLocalInvoke())
    .use(injectLambdaContext(logger, { resetKeys: true }))
    .handler(async (rawEvent, context) => {
      const started = performance.now();
      logger.appendKeys({ job: name });
      const parsed = schema.safeParse(payloadOf(rawEvent));
      if (!parsed.success) {
        const problems = parsed.error.issues.map((i) => ({
          field: i.path.join('.') || '(event)',
          message: i.message,
        }));
        const error = new ValidationError(
          `invalid ${name} event: ${problems.map((p) => `${p.field} ${p.message}`).join('; ')}`,
          problems,
        );
        logger.error('job rejected its event', { error });
        throw error;
      }
      logger.info('job started');
      try {
        const result = await job(parsed.data, context);
        logger.info('job finished', { durationMs: Math.round(performance.now() - started) });
        return result;
      } catch (error) {
        logger.error('job failed', {
          error: error as Error,
          durationMs: Math.round(performance.now() - started),
        });
        throw error;
      }
    });
}
