/**
 * The refresh-summaries Lambda: invoked by a scan's on-success destination or its schedule, it refreshes the dashboard's
 * summaries within its own deadline; one stopped there is finished by the next invocation.
 */
import { readFile } from 'node:fs/promises';
import type { Context } from 'aws-lambda';
import { beforeAll, describe, expect, it } from 'vitest';
import { handler } from '../../functions/refresh-summaries.js';
import { analyticsStaleness, type RefreshSummary } from '../../lib/analytics/refresh.js';
import { ValidationError } from '../../lib/errors.js';
import { runScan } from '../../lib/scan/scan.js';
import { parseSeedOptions } from '../../lib/seed/options.js';
import { runSeed } from '../../lib/seed/run.js';

const context = {
  awsRequestId: 'test-refresh',
  functionName: 'refresh-summaries',
  getRemainingTimeInMillis: () => 300_000,
} as unknown as Context;
const afterScan = JSON.parse(
  await readFile(new URL('../events/destination-scan-succeeded.json', import.meta.url), 'utf8'),
) as unknown;

/** An invocation whose time runs out after its first chunk: the margin (20 s by default) is all that is left. */
function contextEndingAfterOneChunk(): Context {
  let asked = 0;
  // Asked by middy (its early-timeout timer) and when the deadline is made, then before each chunk.
  return { ...context, getRemainingTimeInMillis: () => (asked++ < 3 ? 300_000 : 20_000) } as Context;
}

beforeAll(async () => {
  await runSeed(
    parseSeedOptions({ clients: 40, transactions: 2_000, from: '2025-01-01', to: '2025-04-01', seed: 8 }),
  );
  await runScan();
});

describe('refresh-summaries handler', () => {
  it('stops at the invocation’s deadline with the rebuild under way, and the next invocation (a scan’s destination) finishes it', async () => {
    const partial = (await handler({}, contextEndingAfterOneChunk())) as RefreshSummary;
    expect(partial).toMatchObject({ status: 'partial', building: true, chunks: 1 });
    expect((await analyticsStaleness()).stale).toBe(true);

    const done = (await handler(afterScan, context)) as RefreshSummary;
    expect(done).toMatchObject({ status: 'rebuilt', building: false });
    expect(await analyticsStaleness()).toMatchObject({ stale: false, summarised: 2_000, latest: 2_000 });
    expect(((await handler(afterScan, context)) as RefreshSummary).status).toBe('current');
  });

  it('rebuilds on request with {"full": true}', async () => {
    expect(((await handler({ full: true }, context)) as RefreshSummary).status).toBe('rebuilt');
  });

  it('rejects an unknown payload, naming the field', async () => {
    await expect(handler({ full: 'yes' }, context)).rejects.toThrow(ValidationError);
    await expect(handler({ chunks: 3 }, context)).rejects.toThrow(/invalid refresh-summaries event/);
  });
});
