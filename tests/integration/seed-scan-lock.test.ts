import { describe, expect, it } from 'vitest';
import { SCAN_LOCK } from '../../lib/db/locks.js';
import { query, withNamedLock } from '../../lib/db/pool.js';
import { parseSeedOptions } from '../../lib/seed/options.js';
import { runSeed } from '../../lib/seed/run.js';

const small = () => parseSeedOptions({ clients: 20, transactions: 500, to: '2026-01-01', reset: true });

describe('seed and scan exclusion', () => {
  it('refuses to seed while an anomaly scan holds its lock, writing nothing', async () => {
    let release!: () => void;
    const held = new Promise<void>((resolve) => {
      release = resolve;
    });
    const scan = withNamedLock(SCAN_LOCK, () => held);
    await new Promise((r) => setTimeout(r, 200));
    await expect(runSeed(small(), { scanLockWaitSeconds: 0 })).rejects.toThrow(
      /anomaly scan is still running/,
    );
    expect(await query('SELECT id FROM clients LIMIT 1')).toEqual([]);
    release();
    await scan;
  });

  it('seeds once the scan has finished', async () => {
    const summary = await runSeed(small(), { scanLockWaitSeconds: 0 });
    expect(summary.status).toBe('seeded');
    // The seed let go of the scan lock: a scan can take it again.
    expect(await withNamedLock(SCAN_LOCK, async () => 'scanned')).toEqual({
      acquired: true,
      result: 'scanned',
    });
  });
});
