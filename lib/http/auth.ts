/**
 * API-key authentication and role checks for the HTTP API.
 *
 * Keys are configured hashed (SHA-256), never in clear: API_KEYS (a JSON array of {name, role, sha256}) wins;
 * in AWS, API_KEYS_SECRET_ID names a Secrets Manager secret holding the same array, read through lib/secrets.ts
 * (kept SECRETS_MAX_AGE_SECONDS, so added and removed keys apply within that time, without a cold start); on
 * stage `local` with neither set, the development keys below apply (`npm start` prints them). Any other stage
 * without keys refuses every request (fail closed).
 *
 * A presented key (`x-api-key: <key>` or `authorization: Bearer <key>`) is hashed and compared with every
 * configured hash by `crypto.timingSafeEqual`, so neither the match nor its position leaks through timing.
 * Keys are never logged; only a key's name is (as the actor of a change).
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import { type ApiKeyEntry, apiKeyListSchema, type Config, getConfig } from '../config.js';
import { AuthError, DependencyError, ForbiddenError } from '../errors.js';
import { logger } from '../log.js';
import { readSecretString } from '../secrets.js';

export type Role = ApiKeyEntry['role'];
/** read: the data (PII masked for viewers); write: flag, work cases; lead: assign, reassign, reopen. */
export type Permission = 'read' | 'write' | 'lead';

/**
 * Who is calling: the key's configured name and role. Keys are issued per person, so `name` is the person recorded
 * as a case's assignee and in every history row (in production an OIDC/JWT authorizer would supply it: README).
 */
export interface Principal {
  name: string;
  role: Role;
}

const ROLE_PERMISSIONS: Readonly<Record<Role, readonly Permission[]>> = {
  viewer: ['read'],
  analyst: ['read', 'write'],
  lead: ['read', 'write', 'lead'],
};

/** Who may, for the 403 message. */
const NEEDED: Readonly<Record<Permission, string>> = {
  read: 'an API key',
  write: 'an analyst or lead key',
  lead: 'a lead key',
};

/** True when `role` may do `permission` (viewer: read; analyst: read and write; lead: also assign and reopen). */
export function can(role: Role, permission: Permission): boolean {
  return ROLE_PERMISSIONS[role].includes(permission);
}

/**
 * Development keys for stage `local` only (used when API_KEYS and API_KEYS_SECRET_ID are both unset). They are
 * public by design — printed by `npm start` and in the README — and never apply on any other stage.
 */
export const LOCAL_DEV_KEYS: ReadonlyArray<{ name: string; role: Role; key: string }> = [
  { name: 'local-viewer', role: 'viewer', key: 'fm-local-viewer-key' },
  { name: 'local-analyst', role: 'analyst', key: 'fm-local-analyst-key' },
  { name: 'local-lead', role: 'lead', key: 'fm-local-lead-key' },
];

/** Longest key accepted; anything longer is rejected before hashing. */
const MAX_KEY_LENGTH = 512;

/** Lowercase hex SHA-256 of a key, as stored in API_KEYS. @example sha256Hex('my-key') */
export function sha256Hex(key: string): string {
  return createHash('sha256').update(key, 'utf8').digest('hex');
}

/** The key a request presents (`x-api-key`, else `authorization: Bearer …`); headers already lower-cased. */
export function presentedKey(headers: Record<string, string | undefined> | undefined): string | undefined {
  const direct = headers?.['x-api-key']?.trim();
  if (direct) return direct;
  const bearer = /^Bearer\s+(\S+)\s*$/i.exec(headers?.authorization ?? '');
  return bearer?.[1];
}

/**
 * The entry whose hash matches `key`, comparing against every entry in constant time per entry (no early exit).
 *
 * @example matchKey('fm-local-viewer-key', entries)?.role // 'viewer'
 */
export function matchKey(key: string, entries: readonly ApiKeyEntry[]): Principal | undefined {
  const presented = createHash('sha256').update(key, 'utf8').digest();
  let found: ApiKeyEntry | undefined;
  for (const entry of entries) {
    const stored = Buffer.from(entry.sha256, 'hex');
    if (stored.length === presented.length && timingSafeEqual(stored, presented) && !found) found = entry;
  }
  return found ? { name: found.name, role: found.role } : undefined;
}

/** The last secret text parsed, with its entries: the secret is re-read every few minutes, rarely changed. */
let parsed: { secretId: string; raw: string; keys: readonly ApiKeyEntry[] } | undefined;

async function keysFromSecret(secretId: string): Promise<readonly ApiKeyEntry[]> {
  const raw = await readSecretString(secretId, 'the API keys secret');
  if (parsed?.secretId === secretId && parsed.raw === raw) return parsed.keys;
  const result = apiKeyListSchema.safeParse(raw);
  if (!result.success) {
    throw new DependencyError(
      `the API keys secret is invalid: ${result.error.issues.map((i) => `${i.path.join('.')} ${i.message}`.trim()).join('; ')}`,
    );
  }
  parsed = { secretId, raw, keys: result.data };
  return result.data;
}

let localKeys: readonly ApiKeyEntry[] | undefined;
let reportedNoKeys = false;

/**
 * The configured key entries (hashes): API_KEYS, else the secret as it currently reads (a failed read is tried
 * again by the next request), else on stage `local` the development keys, else none.
 */
export async function loadApiKeys(cfg: Config = getConfig()): Promise<readonly ApiKeyEntry[]> {
  if (cfg.API_KEYS) return cfg.API_KEYS;
  if (cfg.API_KEYS_SECRET_ID) return keysFromSecret(cfg.API_KEYS_SECRET_ID);
  if (cfg.STAGE === 'local') {
    localKeys ??= LOCAL_DEV_KEYS.map(({ name, role, key }) => ({ name, role, sha256: sha256Hex(key) }));
    return localKeys;
  }
  if (!reportedNoKeys) {
    reportedNoKeys = true;
    logger.error('no API keys configured (set API_KEYS or API_KEYS_SECRET_ID); refusing every request', {
      stage: cfg.STAGE,
    });
  }
  return [];
}

/**
 * Authenticates a request's headers and checks the role may do `permission`.
 * Throws AuthError (401) for a missing or unknown key, ForbiddenError (403) for a role without the permission.
 */
export async function authenticate(
  headers: Record<string, string | undefined> | undefined,
  permission: Permission,
): Promise<Principal> {
  const key = presentedKey(headers);
  if (!key) throw new AuthError('An API key is required: send it in the x-api-key header');
  const principal = key.length <= MAX_KEY_LENGTH ? matchKey(key, await loadApiKeys()) : undefined;
  if (!principal) throw new AuthError('The API key is not valid');
  if (!can(principal.role, permission)) {
    throw new ForbiddenError(
      `The ${principal.role} role may not ${permission}; ${NEEDED[permission]} is required`,
    );
  }
  return principal;
}

/** The caller a route with `auth` set was authenticated as; throws AuthError if the route has no auth. */
export function requirePrincipal(context: { principal?: Principal }): Principal {
  if (!context.principal) throw new AuthError('An API key is required');
  return context.principal;
}

/** The people who may be assigned a case: the names of the configured keys that may work them (analyst, lead). */
export async function casePeople(): Promise<ReadonlySet<string>> {
  return new Set((await loadApiKeys()).filter((k) => can(k.role, 'write')).map((k) => k.name));
}
