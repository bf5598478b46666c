/**
 * `serverless invoke local` (osls) runs one invocation inside the CLI's own Node process, prints the result and
 * then leaves: not by process.exit, but when the event loop has nothing left to wait for. It has no
 * callbackWaitsForEmptyEventLoop to turn that off, and it enforces no timeout. The module-scope mysql2 pool keeps
 * its connections' sockets open between invocations (that is its job in Lambda), so the CLI would wait forever.
 * osls marks that process with IS_LOCAL=true before it loads the handler; serverless offline sets IS_OFFLINE
 * instead and keeps its handlers warm for the next request.
 *
 * So after a local invocation — and only then — the wrappers close the pool through its public `end()`: the
 * connections say goodbye to the server and nothing is left holding the process, whatever the pool had open.
 * Letting idle connections time out would not do: mysql2 sweeps them with a one-second timer that itself keeps
 * the process alive (and runs only when maxIdle < connectionLimit); unref'ing their sockets reaches into the
 * driver's internals and leaves the server to log aborted connections.
 */
import type { MiddlewareObj } from '@middy/core';
import { closePool } from './db/pool.js';
import { logger } from './log.js';

/** True in the process of a `serverless invoke local`, which runs exactly one invocation. */
export function isLocalInvoke(env: NodeJS.ProcessEnv = process.env): boolean {
  return env.IS_LOCAL === 'true' && env.IS_OFFLINE !== 'true';
}

/**
 * A middy middleware that closes the database pool once the invocation has its result or its error, when the
 * process is a `serverless invoke local`; elsewhere it does nothing. Use it first, so it runs after the others.
 *
 * @example middy().use(closePoolAfterLocalInvoke()).use(injectLambdaContext(logger)).handler(…)
 */
export function closePoolAfterLocalInvoke(): MiddlewareObj {
  const close = async () => {
    if (!isLocalInvoke()) return;
    try {
      await closePool();
    } catch (error) {
      logger.warn('could not close the database pool after a local invoke', { error: error as Error });
    }
  };
  return { after: close, onError: close };
}
