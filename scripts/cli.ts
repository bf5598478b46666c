/**
 * Shared CLI plumbing: runs a command, prints a one-line reason on failure (never a stack for expected errors),
 * sets the exit code and closes the DB pool so the process can exit.
 */
import './cli-env.js';
import { closePool } from '../lib/db/pool.js';
import { AppError } from '../lib/errors.js';

export async function runCli(main: () => Promise<void>): Promise<void> {
  try {
    await main();
  } catch (error) {
    process.exitCode = 1;
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
