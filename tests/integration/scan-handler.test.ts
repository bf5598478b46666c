import { readFile } from 'node:fs/promises';
import type { Context } from 'aws-lambda';
import { describe, expect, it } from 'vitest';
import { handler } from '../../functions/scan-anomalies.js';
import { query } from '../../lib/db/pool.js';
import type { ScanSummary } from '../../lib/scan/scan.js';

const context = { awsRequestId: 'test-request', functionName: 'scan-anomalies' } as Context;
const scheduled = JSON.parse(
  await readFile(new URL('../events/eventbridge-scheduled-scan.json', import.meta.url), 'utf8'),
) as unknown;

describe('scan-anomalies handler', () => {
  it('runs an incremental scan on the EventBridge schedule and records the run', async () => {
    const summary = (await handler(scheduled, context)) as ScanSummary;
    expect(summary).toMatchObject({ status: 'succeeded', mode: 'incremental' });
    const runs = await query<{ mode: string; status: string }>('SELECT mode, status FROM scan_runs');
    expect(runs).toEqual([{ mode: 'incremental', status: 'succeeded' }]);
  });

  it('runs a full scan when invoked by hand with {"mode":"full"}', async () => {
    const summary = (await handler({ mode: 'full' }, context)) as ScanSummary;
    expect(summary.mode).toBe('full');
  });

  it('rejects a malformed manual event, and fails visibly', async () => {
    await expect(handler({ mode: 'everything' }, context)).rejects.toThrow(
      /invalid scan-anomalies event: mode/,
    );
  });
});
