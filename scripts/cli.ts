/**
 * Shared CLI plumbing: runs a command with the CLI defaults, prints a one-line reason on failure (never a stack for
 * expected errors), sets the exit code and closes the DB pool so the process can exit. Arguments: lib/cli/args.ts.
 */
import { closePool } from '../lib/db/pool.js';
import { ACCESS_DENIED, connectionFailure, resolveDbSettings } from '../lib/db/settings.js';
import { AppError } from '../lib/errors.js';

/** The server's answers that mean the database named in MYSQL_URL cannot be opened as configured. */
const OPEN_REFUSED = new Set(['ER_BAD_DB_ERROR', ...ACCESS_DENIED]);

/** sysexits' EX_CONFIG: the environment does not describe a runnable configuration. */
const EXIT_CONFIG = 78;

/**
 * What a CLI process runs with besides lib/log.ts's level (WARN unless LOG_LEVEL says otherwise): no AWS SDK notice
 * about the Node.js version. Set in the environment, so the processes a command starts inherit it too.
 */
export function applyCliDefaults(): void {
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
}

/** A missing database or refused credentials, as the pool reports them, in words that say what to do. */
async function explained(error: unknown): Promise<unknown> {
  const e = error as { code?: string; cause?: { code?: string } };
  const refused = [e, e.cause].find((x) => x?.code && OPEN_REFUSED.has(x.code));
  if (!refused) return error;
  const settings = await resolveDbSettings().catch(() => undefined);
  return settings ? connectionFailure(settings, refused) : error;
}

export async function runCli(main: () => Promise<void>): Promise<void> {
  applyCliDefaults();
  try {
    await main();
  } catch (caught) {
    const error = await explained(caught);
    const e = error as Error & { code?: string };
    const badConfig = e.name === 'ConfigError';
    process.exitCode = badConfig ? EXIT_CONFIG : 1;
    const expected = error instanceof AppError || badConfig || e.code?.startsWith('ERR_PARSE_ARGS');
    const cause = (e.cause as Error | undefined)?.message;
    console.error(`error: ${e.message}${cause && !e.message.includes(cause) ? `\n  cause: ${cause}` : ''}`);
    if (!expected && process.env.DEBUG) console.error(e.stack);
  } finally {
    await closePool().catch(() => undefined);
  }
}
