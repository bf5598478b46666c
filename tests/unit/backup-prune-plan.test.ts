import { describe, expect, it } from 'vitest';
import { backupKey, manifestKeyOf } from '../../lib/backup/keys.js';
import { planPrune, type StoredObject } from '../../lib/backup/prune-plan.js';

const now = new Date('2026-11-24T03:00:00Z');
const daysAgo = (days: number) => new Date(now.getTime() - days * 86_400_000);
const good = (db: string, days: number): StoredObject[] => {
  const key = backupKey('backups/', db, daysAgo(days));
  return [{ key }, { key: manifestKeyOf(key) }];
};
const decisionsFor = (objects: StoredObject[], retentionDays = 7) => {
  const plan = planPrune(objects, { prefix: 'backups/', retentionDays, now });
  return {
    deleted: plan.filter((d) => d.action === 'delete').map((d) => d.key),
    kept: plan.filter((d) => d.action === 'keep').map((d) => d.key),
    plan,
  };
};

describe('prune plan', () => {
  it('deletes backups older than the retention, dump and manifest together, and keeps younger ones', () => {
    const old = good('fm', 8);
    const young = good('fm', 6.9);
    const newest = good('fm', 0.5);
    const { deleted, kept } = decisionsFor([...old, ...young, ...newest]);
    expect(deleted.sort()).toEqual(old.map((o) => o.key).sort());
    expect(kept.sort()).toEqual([...young, ...newest].map((o) => o.key).sort());
  });

  it('expires a backup exactly at the retention, like the lifecycle rule', () => {
    expect(decisionsFor([...good('fm', 7), ...good('fm', 1)]).deleted).toHaveLength(2);
  });

  it('never deletes the newest good backup of a database, however old', () => {
    const ancient = good('fm', 40);
    const older = good('fm', 50);
    const { deleted, kept, plan } = decisionsFor([...ancient, ...older]);
    expect(kept.sort()).toEqual(ancient.map((o) => o.key).sort());
    expect(deleted.sort()).toEqual(older.map((o) => o.key).sort());
    expect(plan.find((d) => d.key === ancient[0]?.key)?.reason).toMatch(/newest good backup of fm; kept/);
  });

  it('protects the newest good backup rather than a newer dump without a manifest', () => {
    const goodOld = good('fm', 20);
    const incomplete = { key: backupKey('backups/', 'fm', daysAgo(10)) };
    const { deleted, kept } = decisionsFor([...goodOld, incomplete]);
    expect(kept.sort()).toEqual(goodOld.map((o) => o.key).sort());
    expect(deleted).toEqual([incomplete.key]);
  });

  it('keeps the newest backup of each database separately', () => {
    const a = good('alpha', 30);
    const b = good('beta', 30);
    expect(decisionsFor([...a, ...b]).deleted).toEqual([]);
  });

  it('leaves objects outside the prefix, or not named like a backup, alone whatever their age', () => {
    const foreign: StoredObject[] = [
      { key: 'reports/2020/summary.csv', lastModified: daysAgo(900) },
      { key: 'backups/README.txt', lastModified: daysAgo(900) },
      { key: 'backups/fm/2020/01/01/manual-dump.sql.gz', lastModified: daysAgo(900) },
    ];
    const { deleted, plan } = decisionsFor([...foreign, ...good('fm', 1)]);
    expect(deleted).toEqual([]);
    expect(plan.find((d) => d.key === 'reports/2020/summary.csv')?.reason).toBe('outside the backup prefix');
    expect(plan.find((d) => d.key === 'backups/README.txt')?.reason).toBe('not a backup key; left alone');
  });

  it('deletes an expired manifest whose dump is gone', () => {
    const key = backupKey('backups/', 'fm', daysAgo(9));
    const { deleted } = decisionsFor([{ key: manifestKeyOf(key) }, ...good('fm', 1)]);
    expect(deleted).toEqual([manifestKeyOf(key)]);
  });

  it('honours another retention', () => {
    const { deleted } = decisionsFor([...good('fm', 2.5), ...good('fm', 1)], 2);
    expect(deleted).toHaveLength(2);
  });
});
