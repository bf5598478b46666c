import type { Context } from 'aws-lambda';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { z } from 'zod';
import { httpHandler, json } from '../../lib/http/handler.js';
import { jobHandler } from '../../lib/jobs/handler.js';
import { logger } from '../../lib/log.js';

// The logger's level is read when lib/log.ts loads, and each invocation returns to it: INFO for this file.
vi.hoisted(() => vi.stubEnv('POWERTOOLS_LOG_LEVEL', 'INFO'));
afterAll(() => vi.unstubAllEnvs());

const contextOf = (awsRequestId: string) =>
  ({ awsRequestId, functionName: 'fm-test-fn', memoryLimitInMB: '256' }) as unknown as Context;

/** The JSON log lines written while `work` runs. */
async function logsOf(work: () => Promise<unknown>): Promise<Array<Record<string, unknown>>> {
  const lines: string[] = [];
  const capture = (chunk: unknown) => {
    lines.push(String(chunk));
    return true;
  };
  const out = vi.spyOn(process.stdout, 'write').mockImplementation(capture);
  const err = vi.spyOn(process.stderr, 'write').mockImplementation(capture);
  try {
    await work().catch(() => undefined);
  } finally {
    out.mockRestore();
    err.mockRestore();
  }
  return lines
    .flatMap((l) => l.split('\n'))
    .filter((l) => l.startsWith('{'))
    .map((l) => JSON.parse(l));
}

describe('jobHandler', () => {
  const handler = jobHandler(
    'demo-job',
    z.object({ fail: z.boolean().default(false) }).strict(),
    async (e) => {
      logger.appendKeys({ step: 'inside' });
      if (e.fail) throw new Error('boom');
      return 'done';
    },
  );

  it("puts the job's name and the request id on every line of its invocation", async () => {
    const logs = await logsOf(() => handler({}, contextOf('req-1')));
    expect(logs.map((l) => l.message)).toEqual(['job started', 'job finished']);
    for (const line of logs) {
      expect(line).toMatchObject({
        job: 'demo-job',
        function_request_id: 'req-1',
        function_name: 'fm-test-fn',
      });
    }
  });

  it('leaves no key of one invocation on the next, also after a failure', async () => {
    const failed = await logsOf(() => handler({ fail: true }, contextOf('req-2')));
    expect(failed.at(-1)).toMatchObject({
      message: 'job failed',
      function_request_id: 'req-2',
      step: 'inside',
    });
    const outside = await logsOf(async () => logger.info('between invocations'));
    expect(outside[0]).not.toHaveProperty('job');
    expect(outside[0]).not.toHaveProperty('step');
    const next = await logsOf(() => handler({}, contextOf('req-3')));
    expect(next[0]).toMatchObject({ job: 'demo-job', function_request_id: 'req-3' });
    expect(next[0]).not.toHaveProperty('step');
  });

  it("takes a Lambda destination's record (another function's asynchronous run ended) as a trigger without payload", async () => {
    const record = {
      version: '1.0',
      requestContext: {
        functionArn: 'arn:aws:lambda:eu-central-1:123456789012:function:fm-scan:$LATEST',
        condition: 'Success',
      },
      requestPayload: { fail: true },
      responsePayload: { status: 'succeeded' },
    };
    expect(await handler(record, contextOf('req-4'))).toBe('done');
    // A payload that only looks like one is still validated.
    const rejected = await logsOf(() =>
      handler({ requestContext: {}, responsePayload: {} }, contextOf('req-5')),
    );
    expect(rejected.at(-1)).toMatchObject({ message: 'job rejected its event' });
  });
});

describe('httpHandler', () => {
  const event = { routeKey: 'GET /demo', headers: { 'x-api-key': 'secret-key-value' } };

  it('logs a 5xx with the request id and the route, never the event or its headers', async () => {
    const handler = httpHandler(async () => {
      throw new Error('database exploded');
    });
    let status: number | undefined;
    const logs = await logsOf(async () => {
      status = (await handler(event as never, contextOf('req-4')))?.statusCode;
    });
    expect(status).toBe(500);
    expect(logs).toHaveLength(1);
    expect(logs[0]).toMatchObject({
      message: 'request failed',
      route: 'GET /demo',
      function_request_id: 'req-4',
    });
    expect(JSON.stringify(logs)).not.toContain('secret-key-value');
  });

  it('leaves no key of one request on the next', async () => {
    const handler = httpHandler(async () => {
      logger.appendKeys({ alertId: 42 });
      return json(200, { ok: true });
    });
    await logsOf(() => handler(event as never, contextOf('req-5')));
    const after = await logsOf(async () => logger.info('between requests'));
    expect(after[0]).not.toHaveProperty('alertId');
  });
});
