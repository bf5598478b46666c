import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { execute, query } from '../../lib/db/pool.js';
import { abandonRescan, finalizeRescan } from '../../lib/scan/rescan/finalize.js';
import { runLocalRescan } from '../../lib/scan/rescan/local.js';
import { runRescanPart } from '../../lib/scan/rescan/part.js';
import { prepareRescan } from '../../lib/scan/rescan/prepare.js';
import { liveRescan } from '../../lib/scan/rescan/rescans.js';
import { runScan, type ScanSummary } from '../../lib/scan/scan.js';
import { parseSeedOptions } from '../../lib/seed/options.js';
import { runSeed } from '../../lib/seed/run.js';
import { caseKeys, resetScanState } from './scan-helpers.js';

/** What a scan leaves in the live tables: every system alert, client state, histogram row and watermark. */
async function liveTables() {
  return {
    alerts: await query(
      `SELECT transaction_id, rule_id, risk_level, score, evidence, status, suppression_id FROM alerts
        WHERE flagged_by = 'system' ORDER BY transaction_id, rule_id`,
    ),
    states: await query(
      'SELECT client_id, MD5(state) AS state, as_of_transaction_id FROM scan_client_state ORDER BY client_id',
    ),
    histogram: await query(
      'SELECT currency, direction, month, bucket, n FROM scan_amount_histogram ORDER BY currency, direction, month, bucket',
    ),
    watermarks: await query('SELECT name, last_transaction_id FROM scan_watermarks ORDER BY name'),
  };
}

/** The live tables with the cases and the notification outbox: what a failed rescan must leave as it was. */
async function everything() {
  return {
    ...(await liveTables()),
    cases: await caseKeys(),
    outbox: await query(
      'SELECT case_id, kind, occurrence FROM notifications ORDER BY case_id, kind, occurrence',
    ),
  };
}

async function resetAll(): Promise<void> {
  await execute('DELETE FROM notifications');
  await resetScanState();
}

/** Makes every staged alert of client partition `part` fail to load, as a broken partition would. */
async function breakPartition(part: number): Promise<void> {
  await execute(
    `CREATE TRIGGER break_rescan_part BEFORE INSERT ON scan_rescan_alerts FOR EACH ROW
     BEGIN IF NEW.part = ${part} THEN SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = 'partition broken by the test'; END IF; END`,
  );
}

const countsOf = (s: Pick<ScanSummary, 'alerts'>) => s.alerts;

describe('partitioned full rescan', () => {
  let full: Awaited<ReturnType<typeof liveTables>>;
  let fullSummary: ScanSummary;

  beforeAll(async () => {
    await runSeed(
      parseSeedOptions({ clients: 600, transactions: 30_000, from: '2025-01-01', to: '2026-01-01', seed: 7 }),
    );
    fullSummary = await runScan({ mode: 'full' });
    full = await liveTables();
  });

  afterEach(async () => {
    await execute('DROP TRIGGER IF EXISTS break_rescan_part');
  });

  it('judges every rule the single-process full scan judges, cross-client ones included', () => {
    const rules = new Set(full.alerts.map((a) => a.rule_id));
    for (const rule of ['high-amount', 'unusual-location', 'fan-in', 'cycle', 'scatter-gather'])
      expect(rules).toContain(rule);
  });

  it('in 2 workers writes the alerts, states, histogram and watermarks of the single-process full scan, row for row', async () => {
    await resetAll();
    const rescan = await runLocalRescan({ workers: 2 });
    expect(await liveTables()).toEqual(full);
    expect(countsOf(rescan)).toEqual(countsOf(fullSummary));
    expect(rescan.transactionsScanned).toBe(fullSummary.transactionsScanned);
    const [run] = await query<{ mode: string; status: string }>(
      'SELECT mode, status FROM scan_runs WHERE id = ?',
      [rescan.runId],
    );
    expect(run).toEqual({ mode: 'full', status: 'succeeded' });
  });

  it('in 3 workers and 7 partitions writes the same, each partition reading about its own share of the rows', async () => {
    await resetAll();
    const rescan = await runLocalRescan({ workers: 3, partitions: 7 });
    expect(await liveTables()).toEqual(full);
    const clients = rescan.parts.filter((p) => p.kind === 'clients');
    expect(clients).toHaveLength(7);
    const read = clients.reduce((sum, p) => sum + (p.rowsRead ?? 0), 0);
    expect(read).toBeLessThanOrEqual(fullSummary.transactionsScanned * 1.1);
    expect(Math.max(...clients.map((p) => p.rowsRead ?? 0))).toBeLessThan(
      fullSummary.transactionsScanned / 3,
    );
    expect(await query('SELECT * FROM scan_rescan_alerts')).toEqual([]);
  });

  it('with a partition that fails changes nothing — alerts, states, watermarks, cases, outbox — and lets go of its lease', async () => {
    await resetAll();
    await runScan({ mode: 'full', toId: 15_000 });
    const before = await everything();
    expect(before.alerts.length).toBeGreaterThan(0);
    await breakPartition(1);

    await expect(runLocalRescan({ workers: 2 })).rejects.toThrow(/clients part 1 failed: .*partition broken/);

    expect(await everything()).toEqual(before);
    expect(await liveRescan()).toBeUndefined();
    const [rescan] = await query<{ status: string; error: string }>(
      'SELECT status, error FROM scan_rescans ORDER BY id DESC LIMIT 1',
    );
    expect(rescan?.status).toBe('failed');
    for (const table of [
      'scan_rescan_alerts',
      'scan_rescan_states',
      'scan_rescan_histogram',
      'scan_rescan_network',
    ])
      expect(await query(`SELECT 1 FROM ${table}`)).toEqual([]);
    expect((await runScan()).status).toBe('succeeded');
  });

  it('gives the full scan’s result when a failed partition is run again', async () => {
    await resetAll();
    const plan = await prepareRescan({ partitions: 3, owner: 'test-rerun' });
    for (const part of [...plan.histogram, plan.network]) await runRescanPart(part);
    await breakPartition(0);
    await expect(runRescanPart(plan.clients[0] as never)).rejects.toThrow(/partition broken/);
    for (const part of plan.clients.slice(1)) await runRescanPart(part);
    await expect(finalizeRescan(plan)).rejects.toThrow(/clients 0: failed/);
    await execute('DROP TRIGGER break_rescan_part');

    await runRescanPart(plan.clients[0] as never);
    await runRescanPart(plan.clients[1] as never); // a re-run of one that had succeeded replaces its own rows
    await finalizeRescan(plan);

    expect(await liveTables()).toEqual(full);
  });

  it('makes incremental scans step aside while its lease is live, and dies when the lease runs out', async () => {
    const plan = await prepareRescan({ partitions: 2, owner: 'test-lease', leaseSeconds: 2 });
    const skipped = await runScan();
    expect(skipped.status).toBe('skipped');
    expect(skipped.heldBy).toMatch(new RegExp(`full rescan \\(#${plan.rescanId}, driven by test-lease\\)`));
    await expect(prepareRescan({ partitions: 2, owner: 'another' })).rejects.toThrow(/holds the scan lease/);

    await new Promise((resolve) => setTimeout(resolve, 2_500));

    await expect(runRescanPart(plan.histogram[0] as never)).rejects.toThrow(/no longer held by test-lease/);
    expect((await runScan()).status).toBe('succeeded');
    const next = await prepareRescan({ partitions: 1, owner: 'after' });
    const [dead] = await query<{ status: string; error: string }>(
      'SELECT status, error FROM scan_rescans WHERE id = ?',
      [plan.rescanId],
    );
    expect(dead).toEqual({ status: 'failed', error: 'its lease ran out' });
    await abandonRescan(next, 'test over');
    expect(await liveRescan()).toBeUndefined();
  });
});
