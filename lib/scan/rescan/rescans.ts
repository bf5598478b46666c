/**
 * A rescan's rows (table scan_rescans, migration 0080) and its lease: the owner that drives it and until when it
 * holds the scan — renewed by every step, so it spans the state machine's invocations (a named lock belongs to one
 * connection and cannot). While a lease is live, incremental and single-process scans step aside; one that ran out
 * means its rescan died, and the next prepare closes it.
 */
import type { PoolConnection } from 'mysql2/promise';
import { execute, query } from '../../db/pool.js';
import { ConflictError } from '../../errors.js';
import type { RulesConfig } from '../../rules/config.js';

/** Who drives a rescan: every step names it, and only its owner may move it on. */
export interface RescanLease {
  rescanId: number;
  owner: string;
}

/** How long a lease holds unless renewed (a step renews it as it starts and every third of this while it runs). */
export const DEFAULT_LEASE_SECONDS = 1_200;

export type RescanStatus = 'running' | 'finalizing' | 'succeeded' | 'failed';

/** A rescan as its steps need it. */
export interface Rescan {
  id: number;
  status: RescanStatus;
  owner: string;
  leaseSeconds: number;
  runId: number;
  maxId: number;
  historySince: number;
  rules: RulesConfig;
  startedAt: string;
}

type RescanRow = {
  id: number;
  status: RescanStatus;
  owner: string;
  lease_seconds: number;
  scan_run_id: number;
  max_transaction_id: number;
  history_since: number;
  rules: string | RulesConfig;
  started_at: string;
};

/** Rescan `id` (throws when there is none). */
export async function loadRescan(id: number, conn?: PoolConnection): Promise<Rescan> {
  const [row] = await query<RescanRow>(
    `SELECT id, status, owner, lease_seconds, scan_run_id, max_transaction_id, history_since, rules,
            DATE_FORMAT(started_at, '%Y-%m-%d %H:%i:%s.%f') AS started_at
       FROM scan_rescans WHERE id = ?`,
    [id],
    conn,
  );
  if (!row) throw new ConflictError(`rescan #${id} does not exist`);
  return {
    id: Number(row.id),
    status: row.status,
    owner: row.owner,
    leaseSeconds: Number(row.lease_seconds),
    runId: Number(row.scan_run_id),
    maxId: Number(row.max_transaction_id),
    historySince: Number(row.history_since),
    rules: typeof row.rules === 'string' ? (JSON.parse(row.rules) as RulesConfig) : row.rules,
    startedAt: row.started_at,
  };
}

/**
 * Renews the lease for its rescan's lease time from now, on `conn` when given (inside a step's last transaction:
 * what it commits is then still the owner's). Throws a ConflictError when the lease is no longer `lease.owner`'s —
 * the rescan failed or finished, or the lease ran out (the rescan is then dead, whoever drives it).
 */
export async function renewLease(lease: RescanLease, conn?: PoolConnection): Promise<void> {
  const result = await execute(
    `UPDATE scan_rescans SET lease_expires_at = NOW(3) + INTERVAL lease_seconds SECOND
      WHERE id = ? AND owner = ? AND status IN ('running', 'finalizing') AND lease_expires_at > NOW(3)`,
    [lease.rescanId, lease.owner],
    conn,
  );
  if (result.affectedRows === 0)
    throw new ConflictError(
      `rescan #${lease.rescanId} is no longer held by ${lease.owner}: it failed, finished, or its lease ran out`,
    );
}

/**
 * Runs `work` holding the lease: renewed first, then every third of its time while `work` runs (a failed renewal
 * is left to the step's last transaction, which renews it again and fails).
 */
export async function withLease<T>(
  lease: RescanLease,
  leaseSeconds: number,
  work: () => Promise<T>,
): Promise<T> {
  await renewLease(lease);
  const timer = setInterval(
    () => void renewLease(lease).catch(() => undefined),
    Math.max(1_000, (leaseSeconds * 1000) / 3),
  );
  try {
    return await work();
  } finally {
    clearInterval(timer);
  }
}

/** The rescan whose lease is live now, if any: scans step aside while it holds it. */
export async function liveRescan(
  conn?: PoolConnection,
): Promise<{ id: number; owner: string; until: string } | undefined> {
  const [row] = await query<{ id: number; owner: string; until: string }>(
    `SELECT id, owner, DATE_FORMAT(lease_expires_at, '%Y-%m-%d %H:%i:%s') AS until FROM scan_rescans
      WHERE status IN ('running', 'finalizing') AND lease_expires_at > NOW(3) ORDER BY id LIMIT 1`,
    [],
    conn,
  );
  return row ? { id: Number(row.id), owner: row.owner, until: row.until } : undefined;
}

/** A live rescan, in words: why a scan stepped aside. */
export function rescanHeldWords(rescan: { id: number; owner: string; until: string }): string {
  return `a full rescan (#${rescan.id}, driven by ${rescan.owner}) holds the scan lease until ${rescan.until} UTC`;
}

/** Rescans still marked running or finalizing whose lease ran out: they died. */
export async function deadRescans(conn?: PoolConnection): Promise<Rescan[]> {
  const rows = await query<{ id: number }>(
    `SELECT id FROM scan_rescans WHERE status IN ('running', 'finalizing') AND lease_expires_at <= NOW(3)`,
    [],
    conn,
  );
  return Promise.all(rows.map((r) => loadRescan(Number(r.id), conn)));
}

/** Marks a rescan finished (`succeeded` inside finalize's last transaction, `failed` when abandoned). */
export async function finishRescan(
  id: number,
  status: 'succeeded' | 'failed',
  error?: string,
  conn?: PoolConnection,
): Promise<void> {
  await execute(
    `UPDATE scan_rescans SET status = ?, finished_at = NOW(3), error = ? WHERE id = ?`,
    [status, error?.slice(0, 2000) ?? null, id],
    conn,
  );
}
