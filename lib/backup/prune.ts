/**
 * The app-level rotation for stores without lifecycle rules (the local S3-compatible server, some providers): lists
 * the backup prefix, decides with {@link planPrune}, logs every decision and deletes only what it decided to.
 */
import { logger } from '../log.js';
import type { BackupContext } from './context.js';
import { type PruneDecision, planPrune } from './prune-plan.js';
import { deleteObject, listObjects } from './store.js';

export interface PruneResult {
  deleted: string[];
  kept: number;
  decisions: PruneDecision[];
}

export async function runPrune(
  ctx: Pick<BackupContext, 's3' | 'bucket' | 'prefix' | 'retentionDays' | 'now'>,
  { dryRun = false }: { dryRun?: boolean } = {},
): Promise<PruneResult> {
  const now = ctx.now();
  const objects = await listObjects(ctx);
  const decisions = planPrune(objects, { prefix: ctx.prefix, retentionDays: ctx.retentionDays, now });
  const deleted: string[] = [];
  for (const decision of decisions) {
    logger.info(`prune: ${dryRun && decision.action === 'delete' ? 'would delete' : decision.action}`, {
      key: decision.key,
      reason: decision.reason,
      ageDays: decision.ageDays,
      retentionDays: ctx.retentionDays,
      bucket: ctx.bucket,
    });
    if (decision.action !== 'delete' || dryRun) continue;
    await deleteObject(ctx, decision.key);
    deleted.push(decision.key);
  }
  const kept = decisions.filter((d) => d.action === 'keep').length;
  logger.info('prune finished', { deleted: deleted.length, kept, dryRun, prefix: ctx.prefix });
  return { deleted, kept, decisions };
}
