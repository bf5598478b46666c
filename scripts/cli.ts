/**
 * Shared CLI plumbing: runs a command, prints a one-line reason on failure (never a stack for expected errors),
 * sets the exit code and closes the DB pool so the process can exit.
 */
import './cli-env.js';
import { closePool } from '../lib/db/pool.js';
import { ACCESS_DENIED, connectionFailure, resolveDbSettings } from '../lib/db/settings.js';
import { AppError } from '../lib/errors.js';

/** The server's answers that mean the database named in MYSQL_URL cannot be opened as configured. */
const OPEN_REFUSED = new Set(['ER_BAD_DB_ERROR', ...ACCESS_DENIED]);

/** A missing database or refused credentials, as the pool reports them, in words that say what to do. */
async function explained(error: unknown): Promise<unknown> {
  const e = error as { code?: string; cause?: { code?: string } };
  const refused = [e, e.cause].find((x) => x?.code && OPEN_REFUSED.has(x.code));
  if (!refused) return error;
  const settings = await resolveDbSettings().catch(() => undefined);
  return settings ? connectionFailure(settings, refused) : error;
}

export async function runCli(main: () => Promise<void>): Promise<void> {
  try {
    await main();
  } catch (caught) {
    process.exitCode = 1;
    const error = await explained(caught);
    const e = error as Error & { code?: string };
    const expected =
      error instanceof AppError ||
      e.code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION' ||
      e.name === 'ConfigError' ||
      e.code?.startsWith('ERR_PARSE_ARGS');
    const cause = (e.cause as Error | undefined)?.message;
    console.error(`error: ${e.message}${cause && !e.message.includes(cause) ? `\n  cause: ${cause}` : ''}`);
    if (!expected && process.env.DEBUG) console.error(e.stack);
  } finally {
    await closePool().catch(() => undefined);
  }
}
