/**
 * What the backup-database Lambda (and the Fargate task, scripts/backup-task.ts) does with its event: one entry point
 * per action, with the invocation's time budget turned into the backup's deadline (minus a margin to abort the
 * upload cleanly and log why). The task has no such budget: BACKUP_TIMEOUT_SECONDS and its `signal` (SIGTERM) end it.
 */

import { runBackup } from './backup.js';
import { type BackupContext, defaultBackupContext } from './context.js';
import { runPrune } from './prune.js';
import type { BackupTrigger } from './runs.js';
import { verifyBackup } from './verify.js';

export interface BackupJobEvent {
  action: 'backup' | 'verify' | 'prune';
  prune: boolean;
}

const ABORT_MARGIN_MS = 20_000;

export async function runBackupJob(
  event: BackupJobEvent,
  {
    remainingMs,
    context,
    trigger,
    signal,
  }: {
    remainingMs?: number;
    context?: Partial<BackupContext>;
    /** What started the run, as backup_runs records it; by default `schedule` when a time budget is given. */
    trigger?: Exclude<BackupTrigger, 'verify'>;
    signal?: AbortSignal;
  } = {},
) {
  const ctx = await defaultBackupContext(context);
  if (remainingMs !== undefined && remainingMs > 0)
    ctx.timeoutMs = Math.max(1_000, Math.min(ctx.timeoutMs, remainingMs - ABORT_MARGIN_MS));
  switch (event.action) {
    case 'verify': {
      const result = await verifyBackup(ctx, { signal });
      return { action: 'verify', key: result.key, status: result.status, durationMs: result.durationMs };
    }
    case 'prune': {
      const result = await runPrune(ctx);
      return { action: 'prune', deleted: result.deleted, kept: result.kept };
    }
    default: {
      const { key, manifest } = await runBackup(ctx, {
        trigger: trigger ?? (remainingMs === undefined ? 'manual' : 'schedule'),
        signal,
      });
      // Only after a good backup exists: the prune never runs on the heels of a failure.
      const pruned = event.prune ? await runPrune(ctx) : undefined;
      return {
        action: 'backup',
        key,
        bytes: manifest.bytes,
        sha256: manifest.sha256,
        durationMs: manifest.durationMs,
        ...(pruned ? { pruned: pruned.deleted } : {}),
      };
    }
  }
}
