/**
 * Which backups the app-level prune deletes. Pure: objects and a clock in, one decision per object out.
 *
 * Rules (the same retention as the bucket's lifecycle rule, for stores that have none):
 *   - only keys under the backup prefix that parse as ours are considered; anything else is kept untouched;
 *   - a backup's age comes from the timestamp in its key;
 *   - a dump and its manifest go together;
 *   - the newest *good* backup of each database (dump + manifest) is always kept, whatever its age — so a job that
 *     has been failing for weeks never leaves the bank with nothing; when a database has no good backup at all,
 *     its newest dump is kept instead.
 */
import { parseBackupKey } from './keys.js';

export interface StoredObject {
  key: string;
  lastModified?: Date;
  size?: number;
}

export interface PruneDecision {
  key: string;
  action: 'delete' | 'keep';
  reason: string;
  /** Age in days (from the key), when the key is ours. */
  ageDays?: number;
}

export interface PrunePlanOptions {
  prefix: string;
  retentionDays: number;
  now: Date;
}

const DAY_MS = 86_400_000;

interface Group {
  dumpKey: string;
  database: string;
  takenAt: Date;
  dump?: string;
  manifest?: string;
}

export function planPrune(
  objects: StoredObject[],
  { prefix, retentionDays, now }: PrunePlanOptions,
): PruneDecision[] {
  const decisions: PruneDecision[] = [];
  const groups = new Map<string, Group>();
  for (const object of objects) {
    const parsed = parseBackupKey(prefix, object.key);
    if (!parsed) {
      decisions.push({
        key: object.key,
        action: 'keep',
        reason: object.key.startsWith(prefix) ? 'not a backup key; left alone' : 'outside the backup prefix',
      });
      continue;
    }
    const group = groups.get(parsed.dumpKey) ?? {
      dumpKey: parsed.dumpKey,
      database: parsed.database,
      takenAt: parsed.takenAt,
    };
    group[parsed.kind] = object.key;
    groups.set(parsed.dumpKey, group);
  }

  // The backup each database must keep: its newest good one, else its newest dump.
  const protectedKeys = new Set<string>();
  const byDatabase = new Map<string, Group[]>();
  for (const group of groups.values()) {
    byDatabase.set(group.database, [...(byDatabase.get(group.database) ?? []), group]);
  }
  for (const list of byDatabase.values()) {
    const newestFirst = [...list].sort((a, b) => b.takenAt.getTime() - a.takenAt.getTime());
    const keep = newestFirst.find((g) => g.dump && g.manifest) ?? newestFirst.find((g) => g.dump);
    if (keep) protectedKeys.add(keep.dumpKey);
  }

  for (const group of groups.values()) {
    const ageMs = now.getTime() - group.takenAt.getTime();
    const ageDays = Math.round((ageMs / DAY_MS) * 100) / 100;
    const expired = ageMs >= retentionDays * DAY_MS;
    let action: PruneDecision['action'];
    let reason: string;
    if (protectedKeys.has(group.dumpKey)) {
      action = 'keep';
      reason = expired
        ? `newest ${group.manifest ? 'good ' : ''}backup of ${group.database}; kept although older than ${retentionDays} days`
        : `newest ${group.manifest ? 'good ' : ''}backup of ${group.database}`;
    } else if (expired) {
      action = 'delete';
      reason = group.dump
        ? `older than ${retentionDays} days`
        : `manifest without its dump, older than ${retentionDays} days`;
    } else {
      action = 'keep';
      reason = `within ${retentionDays} days`;
    }
    for (const key of [group.dump, group.manifest]) {
      if (key) decisions.push({ key, action, reason, ageDays });
    }
  }
  return decisions;
}
