/**
 * The one place the environment is read: `getConfig()` parses it on first use and keeps the result, so no module
 * has to be imported before another (a test or a CLI may set process.env first, then import anything). A wrong or
 * missing value fails with a message naming the variable and what it expects — the HTTP and job wrappers ask for
 * the config when a function's module loads, so a bad environment fails the cold start, never half-way through a job.
 *
 * Values are never echoed back in errors: MYSQL_URL may carry a password.
 */
import { z } from 'zod';

export const DEFAULT_MYSQL_URL = 'mysql://root@127.0.0.1:3306/financial_monitor';

const emptyToUndefined = (value: unknown) => (value === '' ? undefined : value);

const mysqlUrl = z.string().refine(
  (value) => {
    try {
      const url = new URL(value);
      return (
        (url.protocol === 'mysql:' || url.protocol === 'mariadb:') &&
        url.hostname !== '' &&
        /^\/[A-Za-z0-9_]{1,64}$/.test(url.pathname)
      );
    } catch {
      return false;
    }
  },
  {
    message:
      'expects a URL like mysql://user:password@host:3306/database (database name: letters, digits, _)',
  },
);

/** A whole number within bounds; empty or unset gives the default. */
export const boundedInt = (min: number, max: number, fallback: number) => {
  const message = `expects a whole number from ${min} to ${max}`;
  return z.preprocess(
    emptyToUndefined,
    z.coerce
      .number({ message })
      .int({ message })
      .min(min, { message })
      .max(max, { message })
      .default(fallback),
  );
};

/** S3 bucket naming rules (lowercase, 3–63 chars, no leading/trailing dot or dash). */
const bucketName = z.string().regex(/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/, {
  message: 'expects an S3 bucket name (3-63 lowercase letters, digits, dots, dashes)',
});

/**
 * One API key as configured: the name of the person it is issued to (the assignee of cases, the actor in every
 * history row), a role, and the key's SHA-256 — never the key itself.
 */
export const apiKeyEntrySchema = z.strictObject({
  name: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._@-]{0,99}$/, {
    message: 'expects a name of 1-100 letters, digits, . _ @ -',
  }),
  role: z.enum(['viewer', 'analyst', 'lead'], { message: 'expects viewer, analyst or lead' }),
  sha256: z
    .string()
    .regex(/^[0-9a-f]{64}$/, { message: "expects the key's SHA-256 as 64 lowercase hex digits" }),
});
export type ApiKeyEntry = z.infer<typeof apiKeyEntrySchema>;

/** A JSON array of API key entries: `[{"name":"ops","role":"viewer","sha256":"<hex>"}]`. */
export const apiKeyListSchema = z
  .string()
  .transform((value, ctx) => {
    try {
      return JSON.parse(value) as unknown;
    } catch {
      ctx.addIssue({ code: 'custom', message: 'expects a JSON array of {name, role, sha256}' });
      return z.NEVER;
    }
  })
  .pipe(
    z.array(apiKeyEntrySchema, { message: 'expects a JSON array of {name, role, sha256}' }).min(1, {
      message: 'expects at least one key',
    }),
  );

/** One webhook: a name (in the API and logs, never the URL), an https URL (http for localhost), its secret's id. */
const webhookSchema = z.strictObject({
  name: z
    .string()
    .regex(/^[a-z0-9][a-z0-9-]{0,39}$/, { message: 'expects a name of 1-40 lowercase letters, digits, -' }),
  url: z
    .url({ message: 'expects a URL' })
    .refine((u) => u.startsWith('https://') || /^http:\/\/(localhost|127\.0\.0\.1)(:\d+)?\//.test(u), {
      message: 'expects an https URL (http only for localhost)',
    }),
  secret_id: z.string().min(1).optional(),
});

/** A JSON array of webhooks; see NOTIFY_WEBHOOKS. */
export const webhookListSchema = z
  .string()
  .transform((value, ctx) => {
    try {
      return JSON.parse(value) as unknown;
    } catch {
      ctx.addIssue({ code: 'custom', message: 'expects a JSON array of {name, url, secret_id?}' });
      return z.NEVER;
    }
  })
  .pipe(z.array(webhookSchema, { message: 'expects a JSON array of {name, url, secret_id?}' }));
export type Webhook = z.infer<typeof webhookSchema>;

const envSchema = z.object({
  STAGE: z.preprocess(
    emptyToUndefined,
    z
      .string()
      .regex(/^[a-z][a-z0-9-]{0,15}$/, {
        message: 'expects a short lowercase stage name such as local, dev or prod',
      })
      .default('local'),
  ),
  MYSQL_URL: z.preprocess(emptyToUndefined, mysqlUrl.default(DEFAULT_MYSQL_URL)),
  /** In AWS: Secrets Manager secret (ARN or name) holding {host, port, username, password, dbname}. Wins over MYSQL_URL. */
  MYSQL_SECRET_ID: z.preprocess(emptyToUndefined, z.string().min(1).optional()),
  /**
   * Connections per container, opened only when needed. An incremental scan holds one for its named lock and one
   * for its chunk's transaction while its states are written on others, so a job wants four or more (the default);
   * an HTTP function as many as one request uses at once (serverless.yml sets each; README "Connections").
   */
  MYSQL_POOL_SIZE: boundedInt(1, 64, 8),
  /**
   * In AWS with an RDS Proxy: the proxy's endpoint, which replaces the host of MYSQL_SECRET_ID's (or MYSQL_URL's)
   * settings; the port, user, password and database stay theirs. Empty: connect where the settings say.
   */
  MYSQL_HOST: z.preprocess(
    emptyToUndefined,
    z
      .string()
      .regex(/^[A-Za-z0-9]([A-Za-z0-9.-]{0,251}[A-Za-z0-9])?$/, { message: 'expects a host name' })
      .optional(),
  ),
  /** Connect with TLS, the server's certificate checked against the system's CAs (an RDS Proxy's is public). */
  MYSQL_TLS: z.preprocess(
    (value) => (value === '' || value === undefined ? undefined : String(value).toLowerCase()),
    z
      .enum(['true', 'false'], { message: 'expects true or false' })
      .default('false')
      .transform((v) => v === 'true'),
  ),
  /**
   * Opening one connection (TCP connect and handshake); in the HTTP functions also the whole wait for a connection
   * of the pool. Past it the caller gets a DependencyError (a route answers 503). With MYSQL_QUERY_TIMEOUT_MS it
   * bounds how long a route waits for a database that does not answer.
   */
  MYSQL_CONNECT_TIMEOUT_MS: boundedInt(100, 60_000, 1_000),
  /**
   * In the HTTP functions (and the health probe), one statement's wait for its answer; a statement not answered in
   * time is abandoned, its connection closed (never handed out again), and the route answers 503. Jobs and CLIs are
   * not limited: their statements may run for minutes by design.
   */
  MYSQL_QUERY_TIMEOUT_MS: boundedInt(100, 60_000, 2_000),
  BACKUP_BUCKET: z.preprocess(emptyToUndefined, bucketName.default('financial-monitor-local-backups')),
  BACKUP_PREFIX: z.preprocess(
    emptyToUndefined,
    z
      .string()
      .regex(/^[A-Za-z0-9_-]+(\/[A-Za-z0-9_-]+)*\/$/, {
        message: 'expects a key prefix of path segments ending in a slash, such as backups/',
      })
      .default('backups/'),
  ),
  /** Empty means AWS; set to e.g. http://127.0.0.1:4569 for a local S3-compatible server. */
  S3_ENDPOINT: z.preprocess(
    emptyToUndefined,
    z
      .url({
        protocol: /^https?$/,
        message: 'expects an http(s) URL such as http://127.0.0.1:4569, or empty for AWS',
      })
      .optional(),
  ),
  /** An S3 connection not made within this time is abandoned (and retried, see S3_MAX_ATTEMPTS). */
  S3_CONNECT_TIMEOUT_MS: boundedInt(100, 60_000, 5_000),
  /**
   * An S3 request during which no byte moves, either way, for this long is abandoned (and retried): what ends a
   * call to a server that accepts connections and never answers, or stops mid-transfer. Per request and idle time,
   * not the whole upload; one upload part (8 MB) is written at once, so keep it above the time the link needs for
   * one part (the default covers links faster than about 2.2 Mbit/s).
   */
  S3_REQUEST_TIMEOUT_MS: boundedInt(100, 600_000, 30_000),
  /** Tries per S3 request, the first included; the standard retry mode waits a short random backoff between them. */
  S3_MAX_ATTEMPTS: boundedInt(1, 10, 3),
  /** The mysqldump binary (a path, or a name looked up on PATH); MySQL's or MariaDB's, detected at run time. */
  MYSQLDUMP_PATH: z.preprocess(emptyToUndefined, z.string().min(1).default('mysqldump')),
  /** The mysql client binary used by restore and verify. */
  MYSQL_CLIENT_PATH: z.preprocess(emptyToUndefined, z.string().min(1).default('mysql')),
  /** Days a backup is kept: the app-level prune's retention (the bucket's lifecycle rule uses the same number). */
  BACKUP_RETENTION_DAYS: boundedInt(1, 3650, 7),
  /** gzip level of the dump (1 fastest … 9 smallest); 6 is gzip's own default. */
  BACKUP_GZIP_LEVEL: boundedInt(1, 9, 6),
  /** A backup (bucket check, dump, upload, manifest) that runs longer is stopped and its upload aborted. */
  BACKUP_TIMEOUT_SECONDS: boundedInt(10, 86_400, 840),
  /** Record CHECKSUM TABLE of every table with each backup (what `--verify` compares); `false` records counts only. */
  BACKUP_TABLE_CHECKSUMS: z.preprocess(
    (value) => (value === '' || value === undefined ? undefined : String(value).toLowerCase()),
    z
      .enum(['true', 'false'], { message: 'expects true or false' })
      .default('true')
      .transform((v) => v === 'true'),
  ),
  /**
   * Seconds a secret read from Secrets Manager (MYSQL_SECRET_ID, API_KEYS_SECRET_ID) is kept before it is read
   * again: a rotated secret reaches warm containers within this time.
   */
  SECRETS_MAX_AGE_SECONDS: boundedInt(1, 86_400, 300),
  /** HTTP API keys (hashed), as JSON; see apiKeyListSchema. Wins over API_KEYS_SECRET_ID. */
  API_KEYS: z.preprocess(emptyToUndefined, apiKeyListSchema.optional()),
  /** In AWS: Secrets Manager secret (ARN or name) holding the same JSON array as API_KEYS. */
  API_KEYS_SECRET_ID: z.preprocess(emptyToUndefined, z.string().min(1).optional()),
  /**
   * The CloudWatch namespace of the ops check's metrics (lib/ops/check.ts); the staleness alarms in serverless.yml
   * read the same param. CloudWatch's rules: up to 255 of letters, digits, . - _ / # : and space, not `AWS/…`.
   */
  OPS_METRICS_NAMESPACE: z.preprocess(
    emptyToUndefined,
    z
      .string()
      .regex(/^(?!AWS\/)[A-Za-z0-9._/#:-][A-Za-z0-9._/#: -]{0,254}$/, {
        message:
          'expects a CloudWatch namespace (letters, digits, . - _ / # : space; not AWS/…) such as FinancialMonitor',
      })
      .default('FinancialMonitor'),
  ),
  /**
   * Seconds a scan or a summaries refresh keeps free before its deadline (the Lambda's timeout, or the CLI's
   * --deadline-seconds): it starts no chunk it could not finish in the time left less this margin, and records the
   * run as partial (lib/jobs/deadline.ts). Covers the last commit, the run's bookkeeping and the reply.
   */
  JOB_DEADLINE_MARGIN_SECONDS: boundedInt(1, 600, 20),
  // Notifications (lib/notify/, docs/notifications.md) ------------------------------------------------------------
  /** A case whose transactions were all booked more than this many hours before it opened never pages anyone. */
  NOTIFY_OLD_TRANSACTION_HOURS: boundedInt(1, 8_760, 48),
  /** Delivery rounds a notification gets before it is marked failed (a lead may retry it through the API). */
  NOTIFY_MAX_ATTEMPTS: boundedInt(1, 50, 10),
  /** The wait after the first failed round; it doubles with each further one, up to NOTIFY_RETRY_MAX_MS. */
  NOTIFY_RETRY_BASE_MS: boundedInt(10, 3_600_000, 30_000),
  NOTIFY_RETRY_MAX_MS: boundedInt(10, 86_400_000, 3_600_000),
  /** Deliveries the publisher has under way at once. */
  NOTIFY_CONCURRENCY: boundedInt(1, 64, 8),
  /** A webhook or SNS call not answered within this time counts as failed (and is retried). */
  NOTIFY_TIMEOUT_MS: boundedInt(100, 60_000, 5_000),
  /** The SNS topic notifications are published to; empty: none. */
  NOTIFY_TOPIC_ARN: z.preprocess(
    emptyToUndefined,
    z
      .string()
      .regex(/^arn:aws[a-z-]*:sns:[a-z0-9-]+:\d{12}:[A-Za-z0-9_-]{1,256}$/, {
        message: 'expects an SNS topic ARN such as arn:aws:sns:eu-central-1:123456789012:topic',
      })
      .optional(),
  ),
  /** Empty means AWS; set to e.g. http://127.0.0.1:4002 for a local SNS. */
  SNS_ENDPOINT: z.preprocess(
    emptyToUndefined,
    z.url({ protocol: /^https?$/, message: 'expects an http(s) URL' }).optional(),
  ),
  /** Webhooks, as JSON: `[{"name":"siem","url":"https://…","secret_id":"<Secrets Manager id>"}]`. */
  NOTIFY_WEBHOOKS: z.preprocess(emptyToUndefined, webhookListSchema.default([])),
  /** The signing secret of webhooks without a secret_id (locally; in AWS prefer secret_id). Never logged. */
  NOTIFY_WEBHOOK_SECRET: z.preprocess(
    emptyToUndefined,
    z.string().min(16, { message: 'expects at least 16 characters' }).optional(),
  ),
  /** The daily digest's sender (an SES verified identity, or an address of a verified domain) and recipients. */
  NOTIFY_MAIL_FROM: z.preprocess(
    emptyToUndefined,
    z.email({ message: 'expects an e-mail address' }).optional(),
  ),
  NOTIFY_DIGEST_TO: z.preprocess(
    emptyToUndefined,
    z
      .string()
      .transform((v) =>
        v
          .split(',')
          .map((a) => a.trim())
          .filter(Boolean),
      )
      .pipe(z.array(z.email({ message: 'expects comma-separated e-mail addresses' })))
      .default([]),
  ),
  /** Empty means AWS; set to e.g. http://127.0.0.1:8005 for a local SES. */
  SES_ENDPOINT: z.preprocess(
    emptyToUndefined,
    z.url({ protocol: /^https?$/, message: 'expects an http(s) URL' }).optional(),
  ),
  AWS_REGION: z.preprocess(
    emptyToUndefined,
    z
      .string()
      .regex(/^[a-z]{2}(-[a-z]+)+-\d$/, { message: 'expects an AWS region such as eu-central-1' })
      .default('eu-central-1'),
  ),
});

export type Config = z.infer<typeof envSchema>;

/** Thrown when the environment does not describe a runnable configuration. */
export class ConfigError extends Error {
  override name = 'ConfigError';
  constructor(readonly problems: string[]) {
    super(`Invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
  }
}

/**
 * Parses an environment into a typed config. Pure: pass any record (tests do), `process.env` in production.
 *
 * @example parseConfig({ MYSQL_URL: 'mysql://root@127.0.0.1:3306/fm_test' }).MYSQL_URL
 */
export function parseConfig(env: Record<string, string | undefined>): Config {
  const result = envSchema.safeParse(env);
  if (!result.success) {
    const problems = result.error.issues.map((issue) => {
      const variable = issue.path.join('.') || '(environment)';
      // zod leaves the input out of its issues, so "missing" is read from the environment itself.
      const missing = issue.code === 'invalid_type' && [undefined, ''].includes(env[String(issue.path[0])]);
      return `${variable} ${missing ? 'is required' : issue.message}`;
    });
    throw new ConfigError(problems);
  }
  return result.data;
}

let cached: Config | undefined;

/**
 * The process's configuration: `process.env` parsed on the first call, the same object afterwards. Throws a
 * ConfigError naming every bad variable (a CLI prints it and exits 78; a Lambda's cold start fails with it).
 *
 * @example const { BACKUP_BUCKET } = getConfig();
 */
export function getConfig(): Config {
  cached ??= parseConfig(process.env);
  return cached;
}

/** Forgets the parsed configuration, so the next getConfig() reads process.env again (tests that change it). */
export function resetConfig(): void {
  cached = undefined;
}
