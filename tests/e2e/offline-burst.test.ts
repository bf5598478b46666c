/**
 * A burst of concurrent requests through serverless offline behind `npm start`'s gate: every answer is a 2xx, or a
 * 503 with Retry-After and a JSON error when the gate is full — never a 200 carrying a Lambda error, never a stack
 * trace, and all well within the functions' 10 s timeout.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type HttpGate, startHttpGate } from '../../scripts/local/http-gate.js';
import { type Offline, startOfflineBehindGate } from '../helpers/offline.js';
import { seedBank } from '../integration/alerts-fixture.js';

const BURST = 60;
const FUNCTION_TIMEOUT_MS = 10_000;
let stack: Offline & { offlineUrl: string };
let tightGate: HttpGate;

beforeAll(async () => {
  await seedBank();
  stack = await startOfflineBehindGate();
  // The same serverless offline behind a gate that takes 2 requests at a time and lets 8 wait.
  tightGate = await startHttpGate({ port: 0, target: stack.offlineUrl, maxInFlight: 2, maxQueue: 8 });
});

afterAll(async () => {
  await tightGate?.stop();
  await stack?.stop();
});

interface Answer {
  status: number;
  body: string;
  retryAfter: string | null;
  contentType: string | null;
  ms: number;
}

async function burst(url: string): Promise<Answer[]> {
  return Promise.all(
    Array.from({ length: BURST }, async () => {
      const started = performance.now();
      const response = await fetch(url, { headers: { 'x-api-key': 'fm-local-viewer-key' } });
      return {
        status: response.status,
        body: await response.text(),
        retryAfter: response.headers.get('retry-after'),
        contentType: response.headers.get('content-type'),
        ms: performance.now() - started,
      };
    }),
  );
}

function expectNoDisguisedErrors(answers: Answer[]): void {
  for (const a of answers) {
    expect(a.body, `a ${a.status} answer`).not.toMatch(/stackTrace|errorMessage|\n\s+at\s/);
    expect(a.ms, 'answered before a function could time out').toBeLessThan(FUNCTION_TIMEOUT_MS);
  }
  for (const a of answers.filter((x) => x.status === 200)) {
    expect(JSON.parse(a.body)).toHaveProperty('data');
  }
}

describe('a burst through serverless offline behind the gate', () => {
  it(`answers ${BURST} concurrent GET /alerts with 200 and their pages, within the functions' timeout`, async () => {
    const answers = await burst(`${stack.url}/alerts?limit=20`);
    expect(answers.map((a) => a.status)).toEqual(Array(BURST).fill(200));
    expectNoDisguisedErrors(answers);
  });

  it('answers what a full gate cannot take with 503, Retry-After and a JSON error, the rest with 200', async () => {
    const answers = await burst(`${tightGate.url}/alerts?limit=20`);
    const shed = answers.filter((a) => a.status === 503);
    expect(answers.every((a) => a.status === 200 || a.status === 503)).toBe(true);
    expect(answers.filter((a) => a.status === 200).length).toBeGreaterThanOrEqual(10);
    expect(shed.length).toBeGreaterThan(0);
    for (const a of shed) {
      expect(a.retryAfter).toBe('1');
      expect(a.contentType).toMatch(/^application\/json/);
      expect(JSON.parse(a.body)).toEqual({ error: { code: 'overloaded', message: expect.any(String) } });
    }
    expectNoDisguisedErrors(answers);
  });
});
