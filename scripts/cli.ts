/**
 * Shared CLI plumbing: runs a command with the CLI defaults, prints a one-line reason on failure (never a stack for
 * expected errors), sets the exit code and closes the DB pool so the process can exit. Arguments: lib/cli/args.ts.
 */

import { DbFailure } from '../lib/db/failures.js';
import { closePool } from '../lib/db/pool.js';
import { explainDbError } from '../lib/db/settings.js';
import { AppError } from '../lib/errors.js';

/** sysexits' EX_CONFIG: the environment does not describe a runnable configuration. */
const EXIT_CONFIG = 78;

/**
 * What a CLI process runs with besides lib/log.ts's level (WARN unless LOG_LEVEL says otherwise): no AWS SDK notice
 * about the Node.js version. Set in the environment, so the processes a command starts inherit it too.
 */
export function applyCliDefaults(): void {
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
}

export async function runCli(main: () => Promise<void>): Promise<void> {
  applyCliDefaults();
  try {
    await main();
  } catch (caught) {
    // A database failure (refused, no answer, unknown host, no database, not migrated …) in lib/db/failures.ts's words.
    const error = await explainDbError(caught);
    const e = error as Error & { code?: string };
    const badConfig = e.name === 'ConfigError';
    process.exitCode = badConfig ? EXIT_CONFIG : 1;
    const expected = error instanceof AppError || badConfig || e.code?.startsWith('ERR_PARSE_ARGS');
    // The words of a database failure already name the driver's code; its raw message would only repeat it.
    const cause = error instanceof DbFailure ? undefined : (e.cause as Error | undefined)?.message;
    console.error(`error: ${e.message}${cause && !e.message.includes(cause) ? `\n  cause: ${cause}` : ''}`);
    if (!expected && process.env.DEBUG) console.error(e.stack);
  } finally {
    await closePool().catch(() => undefined);
  }
}
