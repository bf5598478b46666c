/**
 * Bounded waits on the database for work a client is waiting for: `withBoundedWaits` marks the work (through
 * AsyncLocalStorage, so the limits follow it into every query it makes without being passed along), and lib/db/pool.ts
 * reads `waitLimits()` wherever it waits for a connection or a statement's answer. Outside it, in jobs and CLIs,
 * nothing is limited: their statements may take minutes by design.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import { getConfig } from '../config.js';
import { DependencyError } from '../errors.js';

export interface WaitLimits {
  /** The longest wait for a connection (a free one of the pool, or a new one). */
  connectMs: number;
  /** The longest wait for one statement's answer. */
  statementMs: number;
}

const current = new AsyncLocalStorage<WaitLimits>();

/**
 * Runs `work` with every database wait bounded: a connection within MYSQL_CONNECT_TIMEOUT_MS (waiting for a free
 * one included), each statement's answer within MYSQL_QUERY_TIMEOUT_MS. Past either the call fails with a
 * DependencyError. The HTTP wrapper runs every request in it, so a database that stops answering is a 503 within
 * about the sum of the two, never a request that hangs until the function's timeout.
 *
 * @example const rows = await withBoundedWaits(() => query('SELECT 1'));
 */
export function withBoundedWaits<T>(work: () => Promise<T>): Promise<T> {
  const { MYSQL_CONNECT_TIMEOUT_MS, MYSQL_QUERY_TIMEOUT_MS } = getConfig();
  return current.run({ connectMs: MYSQL_CONNECT_TIMEOUT_MS, statementMs: MYSQL_QUERY_TIMEOUT_MS }, work);
}

/** The limits of the work being run, or undefined outside withBoundedWaits. */
export function waitLimits(): WaitLimits | undefined {
  return current.getStore();
}

/**
 * `pending`, or after `ms` a DependencyError saying `what` (once `onExpire` has run). Its cause carries the code
 * mysql2 gives the same situation (`ETIMEDOUT` for a connection, `PROTOCOL_SEQUENCE_TIMEOUT` for a statement).
 */
export async function within<T>(
  pending: Promise<T>,
  ms: number,
  { what, code }: { what: string; code: string },
  onExpire: () => void,
): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const expired = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      onExpire();
      reject(new DependencyError(what, { cause: Object.assign(new Error(what), { code }) }));
    }, ms);
  });
  try {
    return await Promise.race([pending, expired]);
  } finally {
    clearTimeout(timer);
  }
}
