/**
 * The database failing the way networks do, under the HTTP routes: the fault proxy (tests/helpers/fault-proxy.ts)
 * sits between the handlers (called in-process) and the real database, and refuses, black-holes, freezes the pooled
 * connections mid-conversation, or resets them. Whatever it does, every route must answer within a few seconds —
 * 503 `dependency_unavailable` with nothing but a request id, or the real answer when the failure can be worked
 * around — and the pool must recover by itself once the proxy passes again.
 *
 * The limits are the defaults (MYSQL_CONNECT_TIMEOUT_MS 1000, MYSQL_QUERY_TIMEOUT_MS 2000): a route waits at most
 * for one new connection and one statement, about 3 s. The bound asserted adds a margin for a loaded machine.
 */
import { CreateBucketCommand, DeleteBucketCommand } from '@aws-sdk/client-s3';
import type { Context } from 'aws-lambda';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { handler as listHandler } from '../../functions/alerts-list.js';
import { handler as healthHandler } from '../../functions/health.js';
import { getConfig, resetConfig } from '../../lib/config.js';
import { withBoundedWaits } from '../../lib/db/bounded-waits.js';
import { closePool, query } from '../../lib/db/pool.js';
import { DependencyError } from '../../lib/errors.js';
import { getS3 } from '../../lib/s3/client.js';
import listEvent from '../events/alerts-get-list.json' with { type: 'json' };
import healthEvent from '../events/http-get-health.json' with { type: 'json' };
import { type FaultProxy, startFaultProxy } from '../helpers/fault-proxy.js';
import { type Bank, call, type Reply, seedBank } from './alerts-fixture.js';

/** What a route may take to answer while the database fails: one connection and one statement, plus a margin. */
const ANSWER_BOUND_MS = 3_500;
/** What the pool may take to work again once the database answers. */
const RECOVERY_BOUND_MS = 3_500;

type RouteName = 'GET /health' | 'GET /alerts' | 'GET /alerts/{id}' | 'PATCH /alerts/{id}' | 'POST /alerts';
const ROUTES: RouteName[] = [
  'GET /health',
  'GET /alerts',
  'GET /alerts/{id}',
  'PATCH /alerts/{id}',
  'POST /alerts',
];

interface Answer {
  route: RouteName;
  status: number;
  body: Record<string, unknown>;
  text: string;
  ms: number;
}

let bank: Bank;
let proxy: FaultProxy;
let openAlerts: number[] = [];
let calls = 0;
const fileUrl = process.env.MYSQL_URL as string;
const bucket = `fm-faults-db-${Date.now().toString(36)}`;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function health(): Promise<Reply> {
  const context = { awsRequestId: 'test-request', functionName: 'health' } as Context;
  const result = await healthHandler(healthEvent as never, context);
  const text = result.body ?? '';
  return { status: result.statusCode ?? 0, headers: result.headers ?? {}, text, body: JSON.parse(text) };
}

/**
 * One request to `route`, timed. Writes use a fresh open alert (PATCH) or a reason of their own (POST), so each
 * one that succeeds really writes, and one that fails can be looked for afterwards.
 */
async function send(route: RouteName, tag: string): Promise<Answer> {
  const n = ++calls;
  const started = performance.now();
  const reply = await (async () => {
    switch (route) {
      case 'GET /health':
        return health();
      case 'GET /alerts':
        return call('list', { query: { limit: '5' } });
      case 'GET /alerts/{id}':
        return call('get', { id: String(bank.alerts[n % bank.alerts.length]) });
      case 'PATCH /alerts/{id}':
        return call('update', {
          id: String(openAlerts.shift()),
          body: { status: 'investigating', note: tag },
        });
      case 'POST /alerts':
        return call('create', {
          body: { transaction_id: bank.transactions[0]?.[9], reason: tag, risk_level: 'Low', note: tag },
        });
    }
  })();
  return { route, status: reply.status, body: reply.body, text: reply.text, ms: performance.now() - started };
}

/** Every route at once, as concurrent clients would send them. */
const sendAll = (tag: string) => Promise.all(ROUTES.map((route) => send(route, tag)));

/** Sends every route until all answer 2xx; how long that took after the database came back, and the answers. */
async function recover(tag: string): Promise<{ ms: number; answers: Answer[] }> {
  const started = performance.now();
  for (;;) {
    const answers = await sendAll(tag);
    const ms = performance.now() - started;
    if (answers.every((a) => a.status >= 200 && a.status < 300) || ms > RECOVERY_BOUND_MS * 3)
      return { ms, answers };
    await sleep(100);
  }
}

/** Opens `n` connections in the pool at once and leaves them idle there. */
async function warmPool(n: number): Promise<void> {
  await Promise.all(Array.from({ length: n }, () => query('SELECT SLEEP(0.05)')));
}

function expectUnavailable(answer: Answer): void {
  const what = `${answer.route}: ${answer.status} ${answer.text}`;
  expect(answer.status, what).toBe(503);
  const error = answer.body.error as Record<string, unknown>;
  expect(error, what).toMatchObject({ code: 'dependency_unavailable', requestId: 'test-request' });
  if (answer.route === 'GET /health') {
    expect(answer.body, what).toMatchObject({ status: 'degraded', db: { ok: false }, s3: { ok: true } });
  } else {
    expect(Object.keys(answer.body), what).toEqual(['error']);
    expect(Object.keys(error).sort(), what).toEqual(['code', 'message', 'requestId']);
  }
  // Nothing of the failure's insides: no stack frame, no file path, no driver text, no address.
  expect(answer.text, what).not.toMatch(/\n\s+at |\/work\/|node_modules|\.[jt]s:\d|Error:|127\.0\.0\.1/);
}

async function analystAlertsWithReason(reason: string): Promise<number> {
  const [row] = await query<{ n: number }>('SELECT COUNT(*) AS n FROM alerts WHERE reason = ?', [reason]);
  return Number(row?.n);
}

beforeAll(async () => {
  bank = await seedBank();
  openAlerts = (await query<{ id: number }>("SELECT id FROM alerts WHERE status = 'open' ORDER BY id")).map(
    (r) => Number(r.id),
  );
  const target = new URL(fileUrl);
  proxy = await startFaultProxy(Number(target.port || 3306), target.hostname);
  // From here on the handlers reach the database through the proxy, and /health finds a bucket of its own.
  const viaProxy = new URL(fileUrl);
  viaProxy.hostname = '127.0.0.1';
  viaProxy.port = String(proxy.port);
  process.env.MYSQL_URL = viaProxy.toString();
  process.env.BACKUP_BUCKET = bucket;
  resetConfig();
  await closePool();
  await getS3().send(new CreateBucketCommand({ Bucket: getConfig().BACKUP_BUCKET }));
});

afterAll(async () => {
  await proxy?.set('pass');
  await closePool();
  await proxy?.close();
  await getS3()
    .send(new DeleteBucketCommand({ Bucket: bucket }))
    .catch(() => undefined);
  process.env.MYSQL_URL = fileUrl;
  delete process.env.BACKUP_BUCKET;
  resetConfig();
});

describe('the HTTP routes while the database fails', () => {
  it('answer 2xx through the proxy while it passes', async () => {
    const { answers } = await recover('faults: passing');
    for (const a of answers) expect(a.status, `${a.route}: ${a.text}`).toBeLessThan(300);
  });

  it.each([
    {
      fault: 'refuse',
      how: 'the server refuses connections (a closed port)',
      apply: () => proxy.set('refuse'),
    },
    {
      fault: 'blackhole',
      how: 'the server takes connections and never answers (its open ones reset first)',
      apply: async () => {
        await proxy.set('kill');
        await sleep(100);
        await proxy.set('blackhole');
      },
    },
    {
      fault: 'freeze',
      how: 'the pooled connections freeze mid-conversation and new ones are never answered',
      apply: async () => {
        await warmPool(getConfig().MYSQL_POOL_SIZE);
        await proxy.set('freeze');
      },
    },
  ])(
    '$fault — $how: every route answers 503 within the bound, writes nothing, and recovers',
    async ({ fault, apply }) => {
      await apply();
      const tag = `faults: during ${fault}`;
      const patched = openAlerts[0] as number;
      const answers = await sendAll(tag);
      for (const answer of answers) {
        expectUnavailable(answer);
        expect(answer.ms, `${answer.route} took ${Math.round(answer.ms)} ms`).toBeLessThan(ANSWER_BOUND_MS);
      }

      await proxy.set('pass');
      const recovery = await recover(`faults: after ${fault}`);
      for (const a of recovery.answers) expect(a.status, `${a.route}: ${a.text}`).toBeLessThan(300);
      expect(recovery.ms).toBeLessThan(RECOVERY_BOUND_MS);
      // The writes that answered 503 left nothing behind.
      expect(await analystAlertsWithReason(tag)).toBe(0);
      const [alert] = await query<{ status: string }>('SELECT status FROM alerts WHERE id = ?', [patched]);
      expect(alert?.status).toBe('open');
    },
  );

  it('freeze while a statement is running: it fails within the statement limit, its connection is discarded', async () => {
    const running = withBoundedWaits(() => query('SELECT SLEEP(0.5) AS slept'));
    const started = performance.now();
    await sleep(100);
    await proxy.set('freeze');
    const error = await running.then(
      () => undefined,
      (e: unknown) => e,
    );
    const ms = performance.now() - started;
    await proxy.set('pass');
    expect(error).toBeInstanceOf(DependencyError);
    expect(ms).toBeLessThan(ANSWER_BOUND_MS);
    // The connection that froze is not handed out again: the pool's next statements all answer.
    const answers = await Promise.all(
      Array.from({ length: getConfig().MYSQL_POOL_SIZE }, () =>
        withBoundedWaits(() => query('SELECT 1 AS one')),
      ),
    );
    expect(answers).toEqual(Array(getConfig().MYSQL_POOL_SIZE).fill([{ one: 1 }]));
  });

  it('kill — every open connection is reset and the server takes new ones: every route answers 2xx', async () => {
    await warmPool(getConfig().MYSQL_POOL_SIZE);
    await proxy.set('kill');
    const answers = await sendAll('faults: during kill');
    for (const a of answers) {
      expect(a.status, `${a.route}: ${a.text}`).toBeLessThan(300);
      expect(a.ms).toBeLessThan(ANSWER_BOUND_MS);
    }
  });

  it('a burst of 30 requests while the pooled connections freeze: each answers 503 within the bound', async () => {
    await warmPool(getConfig().MYSQL_POOL_SIZE);
    await proxy.set('freeze');
    const answers = await Promise.all(Array.from({ length: 30 }, () => send('GET /alerts', 'burst')));
    for (const answer of answers) {
      expectUnavailable(answer);
      expect(answer.ms, `took ${Math.round(answer.ms)} ms`).toBeLessThan(ANSWER_BOUND_MS);
    }
    await proxy.set('pass');
    const recovery = await recover('faults: after the burst');
    expect(recovery.ms).toBeLessThan(RECOVERY_BOUND_MS);
  });

  it("answers 503 before the function's own timeout when that comes sooner than the database's limits", async () => {
    await warmPool(2);
    await proxy.set('freeze');
    const context = {
      awsRequestId: 'test-request',
      functionName: 'alerts-list',
      getRemainingTimeInMillis: () => 1_500,
    } as unknown as Context;
    const started = performance.now();
    const result = await listHandler(listEvent as never, context);
    const ms = performance.now() - started;
    await proxy.set('pass');
    expectUnavailable({
      route: 'GET /alerts',
      status: result.statusCode ?? 0,
      text: result.body ?? '',
      ms,
      body: JSON.parse(result.body ?? '{}'),
    });
    // The wrapper answers a second before the function's timeout, leaving the platform time to send the answer.
    expect(ms).toBeLessThan(1_500);
    expect((await recover('faults: after the early answer')).ms).toBeLessThan(RECOVERY_BOUND_MS);
  });
});
