/**
 * Where the database is. Locally: MYSQL_URL. In AWS: a Secrets Manager secret (MYSQL_SECRET_ID) in the shape
 * RDS writes — {host, port, username, password, dbname} — fetched once per container.
 */
import { z } from 'zod';
import { type Config, config } from '../config.js';
import { DependencyError } from '../errors.js';

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

let cached: Promise<DbSettings> | undefined;

async function settingsFromSecret(secretId: string): Promise<DbSettings> {
  const { SecretsManagerClient, GetSecretValueCommand } = await import('@aws-sdk/client-secrets-manager');
  const client = new SecretsManagerClient({});
  let raw: string | undefined;
  try {
    raw = (await client.send(new GetSecretValueCommand({ SecretId: secretId }))).SecretString;
  } catch (error) {
    throw new DependencyError('could not read the database secret from Secrets Manager', { cause: error });
  }
  let json: unknown;
  try {
    json = JSON.parse(raw ?? '');
  } catch {
    throw new DependencyError('the database secret is not JSON');
  }
  const parsed = secretSchema.safeParse(json);
  if (!parsed.success) {
    const fields = parsed.error.issues.map((i) => i.path.join('.')).join(', ');
    throw new DependencyError(`the database secret lacks valid fields: ${fields}`);
  }
  const { host, port, username, password, dbname } = parsed.data;
  return { host, port, user: username, password, database: dbname };
}

/** Connection settings for this process, resolved once. */
export function resolveDbSettings(cfg: Config = config): Promise<DbSettings> {
  cached ??= cfg.MYSQL_SECRET_ID
    ? settingsFromSecret(cfg.MYSQL_SECRET_ID).catch((error) => {
        cached = undefined; // let the next invocation try again
        throw error;
      })
    : Promise.resolve(settingsFromUrl(cfg.MYSQL_URL));
  return cached;
}
