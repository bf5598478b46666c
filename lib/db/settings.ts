/**
 * Where the database is. Locally: MYSQL_URL. In AWS: a Secrets Manager secret (MYSQL_SECRET_ID) in the shape
 * RDS writes — {host, port, username, password, dbname} — read through lib/secrets.ts, so a rotated password is
 * picked up within SECRETS_MAX_AGE_SECONDS.
 */
import { z } from 'zod';
import { type Config, getConfig } from '../config.js';
import { DependencyError } from '../errors.js';
import { readSecretString } from '../secrets.js';

export interface DbSettings {
  host: string;
  port: number;
  user: string;
  password: string;
  database: string;
}

/** Parses a mysql:// URL (already validated by the config schema) into connection settings. */
export function settingsFromUrl(url: string): DbSettings {
  const parsed = new URL(url);
  return {
    host: parsed.hostname,
    port: parsed.port ? Number(parsed.port) : 3306,
    user: decodeURIComponent(parsed.username || 'root'),
    password: decodeURIComponent(parsed.password),
    database: parsed.pathname.slice(1),
  };
}

/** The server's ways of refusing a user (MariaDB answers an unknown user with the NO_PASSWORD one). */
export const ACCESS_DENIED: ReadonlySet<string> = new Set([
  'ER_ACCESS_DENIED_ERROR',
  'ER_ACCESS_DENIED_NO_PASSWORD_ERROR',
  'ER_DBACCESS_DENIED_ERROR',
]);

/**
 * The error a CLI reports when it cannot open a connection to `settings`: what the server said, in words that say
 * what to do (the password never appears).
 */
export function connectionFailure(settings: DbSettings, error: unknown): DependencyError {
  const code = (error as { code?: string }).code ?? 'error';
  const where = `${settings.host}:${settings.port}`;
  const message =
    code === 'ER_BAD_DB_ERROR'
      ? `database ${settings.database} does not exist on ${where} yet; npm run migrate creates it and its tables (npm start does it too)`
      : ACCESS_DENIED.has(code)
        ? `MySQL at ${where} refused user ${settings.user} (${code}); check the user and password of MYSQL_URL`
        : `cannot reach MySQL at ${where} as ${settings.user} (${code}); start the server or set MYSQL_URL`;
  return new DependencyError(message, { cause: error });
}

const secretSchema = z.object({
  host: z.string().min(1),
  port: z.coerce.number().int().min(1).max(65535).default(3306),
  username: z.string().min(1),
  password: z.string(),
  dbname: z.string().regex(/^[A-Za-z0-9_]{1,64}$/),
});

/** The last secret text parsed, with its settings: the secret is re-read every few minutes, rarely changed. */
let parsed: { secretId: string; raw: string; settings: DbSettings } | undefined;

async function settingsFromSecret(secretId: string): Promise<DbSettings> {
  const raw = await readSecretString(secretId, 'the database secret');
  if (parsed?.secretId === secretId && parsed.raw === raw) return parsed.settings;
  let json: unknown;
  try {
    json = JSON.parse(raw);
  } catch {
    throw new DependencyError('the database secret is not JSON');
  }
  const result = secretSchema.safeParse(json);
  if (!result.success) {
    const fields = result.error.issues.map((i) => i.path.join('.')).join(', ');
    throw new DependencyError(`the database secret lacks valid fields: ${fields}`);
  }
  const { host, port, username, password, dbname } = result.data;
  parsed = { secretId, raw, settings: { host, port, user: username, password, database: dbname } };
  return parsed.settings;
}

/**
 * Connection settings for this process: MYSQL_URL's, or MYSQL_SECRET_ID's as the secret currently reads (cached
 * for SECRETS_MAX_AGE_SECONDS; a failed read is tried again by the next call).
 */
export async function resolveDbSettings(cfg: Config = getConfig()): Promise<DbSettings> {
  return cfg.MYSQL_SECRET_ID ? settingsFromSecret(cfg.MYSQL_SECRET_ID) : settingsFromUrl(cfg.MYSQL_URL);
}

/** True when two settings open the same session: same server, user, password and database. */
export function sameSettings(a: DbSettings, b: DbSettings): boolean {
  return (
    a.host === b.host &&
    a.port === b.port &&
    a.user === b.user &&
    a.password === b.password &&
    a.database === b.database
  );
}
