/**
 * The outbox's publisher: claims pending notifications, delivers each to every destination that has not taken it
 * yet, and records the outcome — sent; or retried after a backoff that doubles each round (NOTIFY_RETRY_BASE_MS up
 * to NOTIFY_RETRY_MAX_MS, with jitter); or, after NOTIFY_MAX_ATTEMPTS rounds, failed (a lead may retry it: POST
 * /notifications/{id}/retry).
 *
 * Safe with publishers running at once: a claim is `SELECT … FOR UPDATE SKIP LOCKED` (MySQL 8, MariaDB 10.6+) that
 * stamps the rows with the claimer and a lease, committed before anything is sent, so a row is delivered by one
 * publisher at a time; a publisher that dies leaves rows another one takes when the lease ends, and only the lease's
 * holder records the outcome. Delivery is at least once (a receiver may see an id twice after such a crash, or when
 * its answer was lost), so every message carries its id and receivers keep the ids.
 */
import { randomBytes } from 'node:crypto';
import os from 'node:os';
import { type Config, getConfig } from '../config.js';
import { execute, query, withTransaction } from '../db/pool.js';
import { logger } from '../log.js';
import {
  configuredDestinations,
  DeliveryError,
  type Destination,
  type OutgoingNotification,
} from './destinations.js';
import type { NotificationKind } from './outbox.js';

/** How long a claim holds a row: far beyond one batch's deliveries (each bounded by NOTIFY_TIMEOUT_MS). */
const LEASE_SECONDS = 120;

interface Claimed {
  id: number;
  kind: NotificationKind;
  payload: Record<string, unknown>;
  attempts: number;
  createdAt: string;
  /** Destinations that already took it (an earlier round). */
  delivered: Set<string>;
}

export interface PublishOptions {
  /** Stop claiming after this long (ms); waits for retries that come due within it. */
  budgetMs: number;
  /** Default: the configured ones. */
  destinations?: Destination[];
  /** Who claims (default: host, pid and a random tag). */
  owner?: string;
  config?: Config;
}

export interface PublishResult {
  sent: number;
  retried: number;
  failed: number;
}

const iso = (dbTime: string) => `${dbTime.replace(' ', 'T')}Z`;

/** Claims up to `limit` due notifications for `owner`, with what each destination already took. */
async function claim(owner: string, limit: number): Promise<Claimed[]> {
  return withTransaction(async (conn) => {
    const due = await query<{ id: number }>(
      `SELECT id FROM notifications
       WHERE status = 'pending' AND next_attempt_at <= NOW(3) AND (claimed_until IS NULL OR claimed_until < NOW(3))
       ORDER BY next_attempt_at, id LIMIT ? FOR UPDATE SKIP LOCKED`,
      [limit],
      conn,
    );
    if (due.length === 0) return [];
    const ids = due.map((r) => Number(r.id));
    await execute(
      'UPDATE notifications SET claimed_by = ?, claimed_until = NOW(3) + INTERVAL ? SECOND WHERE id IN (?)',
      [owner, LEASE_SECONDS, ids],
      conn,
    );
    const rows = await query<{
      id: number;
      kind: NotificationKind;
      payload: unknown;
      attempts: number;
      created_at: string;
    }>(
      'SELECT id, kind, payload, attempts, created_at FROM notifications WHERE id IN (?) ORDER BY id',
      [ids],
      conn,
    );
    const sent = await query<{ notification_id: number; destination: string }>(
      `SELECT notification_id, destination FROM notification_deliveries WHERE notification_id IN (?) AND status = 'sent'`,
      [ids],
      conn,
    );
    return rows.map((r) => ({
      id: Number(r.id),
      kind: r.kind,
      payload: (typeof r.payload === 'string' ? JSON.parse(r.payload) : r.payload) as Record<string, unknown>,
      attempts: Number(r.attempts),
      createdAt: r.created_at,
      delivered: new Set(
        sent.filter((s) => Number(s.notification_id) === Number(r.id)).map((s) => s.destination),
      ),
    }));
  });
}

const KIND_WORDS: Record<NotificationKind, string> = {
  case_high: 'High-risk case',
  case_escalated: 'Escalated case',
  case_overdue: 'Overdue case',
};

/** The notification as sent: its id, kind, a one-line summary and the case as it was. */
export function outgoing(n: Pick<Claimed, 'id' | 'kind' | 'payload' | 'createdAt'>): OutgoingNotification {
  const c = n.payload;
  const summary = `${KIND_WORDS[n.kind]} ${c.case_id}: ${c.risk_level}, priority ${c.priority}, amount ${c.amount}, due ${c.due_at}`;
  return { id: n.id, kind: n.kind, created_at: iso(n.createdAt), summary, case: c };
}

/** The wait before round `attempts + 1`: base × 2^(attempts − 1), capped, between half and all of it (jitter). */
export function backoffMs(
  attempts: number,
  cfg: Pick<Config, 'NOTIFY_RETRY_BASE_MS' | 'NOTIFY_RETRY_MAX_MS'>,
  random = Math.random(),
): number {
  const full = Math.min(cfg.NOTIFY_RETRY_MAX_MS, cfg.NOTIFY_RETRY_BASE_MS * 2 ** Math.min(30, attempts - 1));
  return Math.round(full / 2 + (full / 2) * random);
}

type Outcome = { destination: string; error?: string };

/** Records a round's outcomes and the notification's new state — only while `owner` still holds its lease. */
async function settle(
  owner: string,
  n: Claimed,
  outcomes: Outcome[],
  cfg: Config,
): Promise<keyof PublishResult | undefined> {
  const attempts = n.attempts + 1;
  const errors = outcomes.filter((o) => o.error).map((o) => `${o.destination}: ${o.error}`);
  const state = errors.length === 0 ? 'sent' : attempts >= cfg.NOTIFY_MAX_ATTEMPTS ? 'failed' : 'retried';
  return withTransaction(async (conn) => {
    const [held] = await query(
      'SELECT id FROM notifications WHERE id = ? AND claimed_by = ? FOR UPDATE',
      [n.id, owner],
      conn,
    );
    if (!held) return undefined; // the lease ended and another publisher took it over: its outcome counts
    if (outcomes.length > 0) {
      await execute(
        `INSERT INTO notification_deliveries (notification_id, destination, status, attempts, last_error, updated_at)
         VALUES ${outcomes.map(() => '(?, ?, ?, 1, ?, NOW(3))').join(', ')}
         ON DUPLICATE KEY UPDATE status = VALUES(status), attempts = attempts + 1, last_error = VALUES(last_error),
           updated_at = VALUES(updated_at)`,
        outcomes.flatMap((o) => [
          n.id,
          o.destination,
          o.error ? 'failed' : 'sent',
          o.error?.slice(0, 255) ?? null,
        ]),
        conn,
      );
    }
    await execute(
      `UPDATE notifications SET status = ?, attempts = ?, last_error = ?, claimed_by = NULL, claimed_until = NULL,
         sent_at = IF(? = 'sent', NOW(3), NULL), next_attempt_at = NOW(3) + INTERVAL ? MICROSECOND WHERE id = ?`,
      [
        state === 'retried' ? 'pending' : state,
        attempts,
        errors.length > 0 ? errors.join('; ').slice(0, 255) : null,
        state,
        state === 'retried' ? backoffMs(attempts, cfg) * 1000 : 0,
        n.id,
      ],
      conn,
    );
    return state;
  });
}

/** One round for one notification: every destination that has not taken it, at once. */
async function deliverOne(n: Claimed, destinations: Destination[]): Promise<Outcome[]> {
  const message = outgoing(n);
  return Promise.all(
    destinations
      .filter((d) => !n.delivered.has(d.name))
      .map(async (d): Promise<Outcome> => {
        try {
          await d.deliver(message);
          return { destination: d.name };
        } catch (error) {
          if (!(error instanceof DeliveryError))
            logger.warn('delivery failed unexpectedly', {
              destination: d.name,
              error: (error as Error).name,
            });
          return { destination: d.name, error: error instanceof DeliveryError ? error.message : 'failed' };
        }
      }),
  );
}

/** Milliseconds until the next pending notification may be claimed (undefined: none is pending). */
async function msUntilNextDue(): Promise<number | undefined> {
  const [row] = await query<{ ms: number | null }>(
    `SELECT TIMESTAMPDIFF(MICROSECOND, NOW(3), MIN(GREATEST(next_attempt_at, COALESCE(claimed_until, next_attempt_at))))
       / 1000 AS ms FROM notifications WHERE status = 'pending'`,
  );
  return row?.ms === null || row?.ms === undefined ? undefined : Math.max(0, Number(row.ms));
}

/**
 * Delivers what is pending, and what comes due within `budgetMs`, to the destinations; returns the rounds' outcomes.
 * With no destination configured it delivers nothing (the rows wait) and says so in the log.
 *
 * @example await publishPending({ budgetMs: 50_000 })
 */
export async function publishPending(options: PublishOptions): Promise<PublishResult> {
  const cfg = options.config ?? getConfig();
  const destinations = options.destinations ?? (await configuredDestinations(cfg));
  const result: PublishResult = { sent: 0, retried: 0, failed: 0 };
  if (destinations.length === 0) {
    logger.warn(
      'no notification destination is configured (NOTIFY_TOPIC_ARN, NOTIFY_WEBHOOKS); nothing sent',
    );
    return result;
  }
  const owner = options.owner ?? `${os.hostname()}-${process.pid}-${randomBytes(3).toString('hex')}`;
  const deadline = Date.now() + options.budgetMs;
  const width = cfg.NOTIFY_CONCURRENCY;
  while (Date.now() < deadline) {
    const batch = await claim(owner, width * 4);
    if (batch.length === 0) {
      const wait = await msUntilNextDue();
      if (wait === undefined || Date.now() + wait >= deadline) break;
      await new Promise((r) => setTimeout(r, Math.max(wait, 50)));
      continue;
    }
    let next = 0;
    const worker = async () => {
      for (let n = batch[next++]; n; n = batch[next++]) {
        const state = await settle(owner, n, await deliverOne(n, destinations), cfg);
        if (state) result[state]++;
      }
    };
    await Promise.all(Array.from({ length: Math.min(width, batch.length) }, worker));
  }
  return result;
}
