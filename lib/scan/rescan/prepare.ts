/**
 * A rescan's first step: under the scan lock (no scan, seed or migration is running), it closes dead rescans (and
 * drops what finished ones left in staging), fixes
 * the last transaction id, plans the histogram slices and client partitions (plan.ts), records the scan run it
 * reports as and takes the lease. What it returns is the state machine's input for the other steps.
 */

import { SCAN_LOCK } from '../../db/locks.js';
import { query, withNamedLock, withTransaction } from '../../db/pool.js';
import { ConflictError, ValidationError } from '../../errors.js';
import { logger } from '../../log.js';
import { DEFAULT_RULES_CONFIG, type RulesConfig } from '../../rules/config.js';
import { closeInterruptedRuns, finishRun, startRun } from '../runs.js';
import { whoHoldsTheScanLock } from '../scan.js';
import { loadHistorySince, loadLastTransactionId } from '../source.js';
import { type IdRange, MAX_PARTITIONS, partitionEnds, rangesFromEnds, splitIdRange } from './plan.js';
import {
  DEFAULT_LEASE_SECONDS,
  deadRescans,
  finishRescan,
  liveRescan,
  type RescanLease,
  rescanHeldWords,
} from './rescans.js';
import { dropStaging, dropStaleStaging } from './staging.js';

export type PartKind = 'histogram' | 'clients' | 'network';

/** One step of a rescan after prepare: a part of its plan (the network stage is part 0 of kind `network`). */
export interface PartRef extends RescanLease {
  kind: PartKind;
  part: number;
}

/** A prepared rescan: its lease and its parts, histogram slices first (the client partitions need the histogram). */
export interface RescanPlan extends RescanLease {
  runId: number;
  maxId: number;
  histogram: PartRef[];
  clients: PartRef[];
  network: PartRef;
}

export interface PrepareOptions {
  /** Client partitions (and histogram slices): 1 to MAX_PARTITIONS; fewer when there are fewer clients. */
  partitions: number;
  /** Who drives the rescan: a state machine execution's name, or host:pid. */
  owner: string;
  rules?: RulesConfig;
  /** Stop at this transaction id instead of the last one (tests and benches rebuild a past state). */
  toId?: number;
  leaseSeconds?: number;
}

/**
 * Prepares a rescan. Throws a ConflictError when a scan holds the scan lock or another rescan its lease.
 *
 * @example const plan = await prepareRescan({ partitions: 16, owner: 'local:host:123' });
 */
export async function prepareRescan(options: PrepareOptions): Promise<RescanPlan> {
  const { partitions, owner } = options;
  if (!Number.isInteger(partitions) || partitions < 1 || partitions > MAX_PARTITIONS)
    throw new ValidationError(
      `partitions must be an integer from 1 to ${MAX_PARTITIONS} (got ${partitions})`,
    );
  if (!owner || owner.length > 200) throw new ValidationError('owner must be 1 to 200 characters');
  const locked = await withNamedLock(SCAN_LOCK, () => prepareLocked(options));
  if (!locked.acquired || !locked.result)
    throw new ConflictError(`${await whoHoldsTheScanLock()}; the rescan was not started`);
  return locked.result;
}

async function prepareLocked(options: PrepareOptions): Promise<RescanPlan> {
  const live = await liveRescan();
  if (live) throw new ConflictError(`${rescanHeldWords(live)}; the rescan was not started`);
  for (const dead of await deadRescans()) await closeRescan(dead.id, dead.runId);
  await dropStaleStaging();
  await closeInterruptedRuns();
  const rules = options.rules ?? DEFAULT_RULES_CONFIG;
  const [lastId, historySince, clientRanges] = await Promise.all([
    loadLastTransactionId(),
    loadHistorySince(),
    planClientRanges(options.partitions),
  ]);
  const maxId = Math.min(lastId, options.toId ?? lastId);
  const slices = splitIdRange(maxId, options.partitions);
  const runId = await startRun('full', rules, 1);
  const leaseSeconds = options.leaseSeconds ?? DEFAULT_LEASE_SECONDS;
  const rescanId = await withTransaction(async (tx) => {
    const [result] = await tx.query<import('mysql2').ResultSetHeader>(
      `INSERT INTO scan_rescans (status, owner, lease_expires_at, lease_seconds, scan_run_id, max_transaction_id,
         history_since, rules, started_at)
       VALUES ('running', ?, NOW(3) + INTERVAL ? SECOND, ?, ?, ?, ?, ?, NOW(3))`,
      [options.owner, leaseSeconds, leaseSeconds, runId, maxId, historySince, JSON.stringify(rules)],
    );
    const id = result.insertId;
    const row = (kind: PartKind) => (r: IdRange, part: number) => [id, kind, part, r.after, r.upTo];
    await tx.query('INSERT INTO scan_rescan_parts (rescan_id, kind, part, after_id, up_to_id) VALUES ?', [
      [...slices.map(row('histogram')), ...clientRanges.map(row('clients')), [id, 'network', 0, 0, maxId]],
    ]);
    return id;
  });
  const ref = (kind: PartKind) => (_: IdRange, part: number) => ({
    rescanId,
    owner: options.owner,
    kind,
    part,
  });
  logger.info('rescan prepared', { rescanId, runId, maxId, partitions: clientRanges.length });
  return {
    rescanId,
    owner: options.owner,
    runId,
    maxId,
    histogram: slices.map(ref('histogram')),
    clients: clientRanges.map(ref('clients')),
    network: { rescanId, owner: options.owner, kind: 'network', part: 0 },
  };
}

/** Client id ranges of about equal numbers of clients (the ids at each partition's end, one key lookup each). */
async function planClientRanges(partitions: number): Promise<IdRange[]> {
  const [count] = await query<{ n: number }>('SELECT COUNT(*) AS n FROM clients');
  const ends = await Promise.all(
    partitionEnds(Number(count?.n ?? 0), partitions).map(async (rank) => {
      const [row] = await query<{ id: number }>('SELECT id FROM clients ORDER BY id LIMIT 1 OFFSET ?', [
        rank,
      ]);
      return Number(row?.id);
    }),
  );
  return rangesFromEnds(ends);
}

/** Closes a rescan that will not finish (its lease ran out, or it was abandoned): it and its run failed, its staging dropped. */
export async function closeRescan(
  rescanId: number,
  runId: number,
  reason = 'its lease ran out',
): Promise<void> {
  logger.warn('closing a rescan', { rescanId, reason });
  await finishRescan(rescanId, 'failed', reason);
  await finishRun(runId, 'failed', `rescan #${rescanId}: ${reason}`);
  await dropStaging(rescanId);
}
