/**
 * Where the database is. Locally: MYSQL_URL. In AWS: a Secrets Manager secret (MYSQL_SECRET_ID) in the shape
 * RDS writes — {host, port, username, password, dbname} — read through lib/secrets.ts, so a rotated password is
 * picked up within SECRETS_MAX_AGE_SECONDS.
 */
import { z } from 'zod';
import { type Config, getConfig } from '../config.js';
import { DependencyError } from '../errors.js';
import { readSecretString } from '../secrets.js';
import { DbFailure, describeDbFailure } from './failures.js';

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

/** Where this process's database settings come from, for advice in messages ("set MYSQL_URL"). */
function configuredBy(): string {
  try {
    return getConfig().MYSQL_SECRET_ID ? 'the database secret (MYSQL_SECRET_ID)' : 'MYSQL_URL';
  } catch {
    return 'MYSQL_URL';
  }
}

/**
 * The error a job reports when it cannot open a connection to `settings`: what the server said, in the words of
 * lib/db/failures.ts (the password never appears).
 */
export function connectionFailure(settings: DbSettings, error: unknown): DependencyError {
  return (
    describeDbFailure(error, settings, configuredBy()) ??
    new DependencyError(
      `cannot open a connection to MySQL at ${settings.host}:${settings.port} as ${settings.user}: ${(error as Error).message ?? error}`,
      { cause: error },
    )
  );
}

/**
 * `error` in words (lib/db/failures.ts) when it is a database failure of a known kind, with this process's
 * settings; otherwise `error` itself. What CLIs print and jobs log.
 */
export async function explainDbError(error: unknown): Promise<unknown> {
  if (error instanceof DbFailure) return error;
  const settings = await resolveDbSettings().catch(() => undefined);
  return (settings && describeDbFailure(error, settings, configuredBy())) ?? error;
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
 * for SECRETS_MAX_AGE_SECONDS; a failed read is tried again by the next call), on MYSQL_HOST when that is set.
 */
export async function resolveDbSettings(cfg: Config = getConfig()): Promise<DbSettings> {
  const settings = cfg.MYSQL_SECRET_ID
    ? await settingsFromSecret(cfg.MYSQL_SECRET_ID)
    : settingsFromUrl(cfg.MYSQL_URL);
  // Through an RDS Proxy (MYSQL_HOST): its endpoint, the secret's credentials and database.
  return cfg.MYSQL_HOST ? { ...settings, host: cfg.MYSQL_HOST } : settings;
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
