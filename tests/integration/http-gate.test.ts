/**
 * The gate `npm start` puts in front of serverless offline (scripts/local/http-gate.ts), against a stand-in for
 * serverless offline: a local HTTP server whose answers and delays each test chooses.
 */
import http from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import { type HttpGate, offlineRoutes, startHttpGate } from '../../scripts/local/http-gate.js';

type Answer = (req: http.IncomingMessage, res: http.ServerResponse) => void;
const cleanups: Array<() => Promise<void>> = [];

afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

/** A stand-in for serverless offline, and the gate in front of it. */
async function gateInFrontOf(
  answer: Answer,
  limits: { maxInFlight?: number; maxQueue?: number; maxWaitMs?: number } = {},
) {
  const offline = http.createServer(answer);
  await new Promise<void>((resolve) => offline.listen(0, 'localhost', resolve));
  cleanups.push(
    () =>
      new Promise((resolve) => {
        offline.close(() => resolve());
        offline.closeAllConnections();
      }),
  );
  const { port } = offline.address() as { port: number };
  const gate: HttpGate = await startHttpGate({ port: 0, target: `http://localhost:${port}`, ...limits });
  cleanups.push(gate.stop);
  return gate;
}

/** serverless offline's answer to a failed invocation on an HTTP API route: a 200 carrying the error. */
function lambdaError(errorType: string, errorMessage: string): Answer {
  return (_req, res) => {
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(
      JSON.stringify({
        errorMessage,
        errorType,
        stackTrace: [`Error: ${errorMessage}`, 'at runHandler (x.js:1:1)'],
      }),
    );
  };
}

const later =
  (ms: number, answer: Answer): Answer =>
  (req, res) =>
    setTimeout(() => answer(req, res), ms);
const ok: Answer = (_req, res) => {
  res.writeHead(200, { 'content-type': 'application/json; charset=utf-8', 'x-request': 'kept' });
  res.end('{"data":[]}');
};

describe('the local HTTP gate', () => {
  it('passes answers through with their status, headers and body, request bodies too, uncompressed', async () => {
    const gate = await gateInFrontOf((req, res) => {
      let body = '';
      req.on('data', (c) => {
        body += c;
      });
      req.on('end', () => {
        res.writeHead(201, { 'content-type': 'application/json', location: '/alerts/7' });
        res.end(
          JSON.stringify({
            method: req.method,
            url: req.url,
            body,
            key: req.headers['x-api-key'],
            compression: req.headers['accept-encoding'] ?? 'none',
          }),
        );
      });
    });
    const response = await fetch(`${gate.url}/alerts?limit=5`, {
      method: 'POST',
      headers: { 'x-api-key': 'k', 'content-type': 'application/json', 'accept-encoding': 'gzip' },
      body: '{"a":1}',
    });
    expect(response.status).toBe(201);
    expect(response.headers.get('location')).toBe('/alerts/7');
    expect(await response.json()).toEqual({
      method: 'POST',
      url: '/alerts?limit=5',
      body: '{"a":1}',
      key: 'k',
      compression: 'none',
    });
  });

  it('answers a function timeout that serverless offline dressed as a 200 with 504 and no stack trace', async () => {
    const gate = await gateInFrontOf(lambdaError('LambdaTimeoutError', '[504] - Lambda timeout.'));
    const response = await fetch(`${gate.url}/alerts`);
    expect(response.status).toBe(504);
    const body = await response.text();
    expect(JSON.parse(body)).toEqual({ error: { code: 'function_timeout', message: expect.any(String) } });
    expect(body).not.toMatch(/stackTrace|runHandler/);
  });

  it('answers any other failed invocation with 502 and no stack trace', async () => {
    const gate = await gateInFrontOf(lambdaError('Error', 'Cannot find module mysql2'));
    const response = await fetch(`${gate.url}/health`);
    expect(response.status).toBe(502);
    expect(await response.json()).toEqual({ error: { code: 'function_error', message: expect.any(String) } });
  });

  it('hands over at most maxInFlight requests at once and sheds what overflows the queue with 503 and Retry-After', async () => {
    // The stand-in holds every request until the gate has shed the overflow, so timing decides nothing.
    const held: Array<() => void> = [];
    let inFlight = 0;
    let most = 0;
    const gate = await gateInFrontOf(
      (req, res) => {
        most = Math.max(most, ++inFlight);
        held.push(() => {
          inFlight--;
          ok(req, res);
        });
      },
      { maxInFlight: 2, maxQueue: 3 },
    );
    const sent = Promise.all(Array.from({ length: 10 }, () => fetch(`${gate.url}/alerts`)));
    while (gate.shed() < 5) await new Promise((r) => setTimeout(r, 10));
    const release = setInterval(() => held.shift()?.(), 5);
    const answers = await sent;
    clearInterval(release);
    expect(most).toBe(2);
    expect(answers.filter((a) => a.status === 200)).toHaveLength(5);
    const shed = answers.filter((a) => a.status === 503);
    expect(shed).toHaveLength(5);
    expect(shed[0]?.headers.get('retry-after')).toBe('1');
    expect(await shed[0]?.json()).toEqual({ error: { code: 'overloaded', message: expect.any(String) } });
  });

  it('sheds a request that waited maxWaitMs for its turn', async () => {
    const gate = await gateInFrontOf(later(600, ok), { maxInFlight: 1, maxWaitMs: 100 });
    const answers = await Promise.all([fetch(`${gate.url}/a`), fetch(`${gate.url}/b`)]);
    expect(answers.map((a) => a.status).sort()).toEqual([200, 503]);
    expect(answers.find((a) => a.status === 200)?.headers.get('x-request')).toBe('kept');
  });

  it('answers 502 with a JSON error while serverless offline does not answer', async () => {
    const gate = await startHttpGate({ port: 0, target: 'http://localhost:1' });
    cleanups.push(gate.stop);
    const response = await fetch(`${gate.url}/health`);
    expect(response.status).toBe(502);
    expect(await response.json()).toEqual({
      error: { code: 'offline_unreachable', message: expect.any(String) },
    });
  });
});

describe('offlineRoutes', () => {
  it('reads the HTTP routes serverless offline printed, not its Lambda invoke URLs', () => {
    const printed = [
      '│   GET   | http://localhost:41234/alerts/{id}                                 │',
      '│   POST  | http://localhost:41234/2015-03-31/functions/alerts-get/invocations │',
      '│   PATCH | http://localhost:41234/alerts/{id}                                 │',
      '│   GET   | http://localhost:41234/health                                      │',
    ].join('\n');
    expect(offlineRoutes(printed)).toEqual([
      { method: 'GET', path: '/alerts/0' },
      { method: 'PATCH', path: '/alerts/0' },
      { method: 'GET', path: '/health' },
    ]);
  });
});
