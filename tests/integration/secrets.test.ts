/**
 * Secrets Manager through Powertools Parameters, against a stand-in that speaks Secrets Manager's wire protocol
 * (JSON over HTTP, `X-Amz-Target: secretsmanager.GetSecretValue`) so the real SDK client and the real cache are
 * exercised: the database settings and the API keys come from their secrets, are kept for SECRETS_MAX_AGE_SECONDS,
 * and a rotated secret is picked up after that — by the pool too — without a restart.
 */
import { randomBytes } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { clearCaches } from '@aws-lambda-powertools/parameters';
import mysql from 'mysql2/promise';
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { resetConfig } from '../../lib/config.js';
import { closePool, getPool, query } from '../../lib/db/pool.js';
import { resolveDbSettings, settingsFromUrl } from '../../lib/db/settings.js';
import { DependencyError } from '../../lib/errors.js';
import { authenticate, sha256Hex } from '../../lib/http/auth.js';

/** Secret id → SecretString; `reads` counts GetSecretValue calls per id. */
const secrets = new Map<string, string>();
const reads = new Map<string, number>();
let server: Server;

function startSecretsManager(): Promise<string> {
  server = createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => {
      body += c.toString();
    });
    req.on('end', () => {
      const id = String((JSON.parse(body || '{}') as { SecretId?: string }).SecretId);
      res.setHeader('content-type', 'application/x-amz-json-1.1');
      if (req.headers['x-amz-target'] !== 'secretsmanager.GetSecretValue' || !secrets.has(id)) {
        res.statusCode = 400;
        res.end(JSON.stringify({ __type: 'ResourceNotFoundException', message: 'no such secret' }));
        return;
      }
      reads.set(id, (reads.get(id) ?? 0) + 1);
      res.end(
        JSON.stringify({
          ARN: `arn:aws:secretsmanager:us-east-1:1:secret:${id}`,
          Name: id,
          SecretString: secrets.get(id),
        }),
      );
    });
  });
  return new Promise((resolve) =>
    server.listen(0, '127.0.0.1', () =>
      resolve(`http://127.0.0.1:${(server.address() as AddressInfo).port}`),
    ),
  );
}

const file = settingsFromUrl(process.env.MYSQL_URL as string);
const user = `fm_rot_${randomBytes(3).toString('hex')}`;
const hosts = ['%', 'localhost'];

async function asRoot(sql: string): Promise<void> {
  const conn = await mysql.createConnection({ ...file, database: undefined });
  try {
    await conn.query(sql);
  } finally {
    await conn.end();
  }
}

const dbSecret = (password: string) =>
  JSON.stringify({ host: file.host, port: file.port, username: user, password, dbname: file.database });
const waitPastMaxAge = () => new Promise((resolve) => setTimeout(resolve, 1_100));

beforeAll(async () => {
  vi.stubEnv('AWS_ENDPOINT_URL_SECRETS_MANAGER', await startSecretsManager());
  vi.stubEnv('SECRETS_MAX_AGE_SECONDS', '1');
  for (const host of hosts) {
    await asRoot(`CREATE USER '${user}'@'${host}' IDENTIFIED BY 'first-pw'`);
    await asRoot(`GRANT ALL ON \`${file.database}\`.* TO '${user}'@'${host}'`);
  }
});

afterAll(async () => {
  await closePool();
  for (const host of hosts) await asRoot(`DROP USER IF EXISTS '${user}'@'${host}'`);
  vi.unstubAllEnvs();
  resetConfig();
  await new Promise((resolve) => server.close(resolve));
});

beforeEach(async () => {
  await closePool();
  clearCaches();
  reads.clear();
  resetConfig();
});

describe('the database secret (MYSQL_SECRET_ID)', () => {
  beforeEach(() => {
    vi.stubEnv('MYSQL_SECRET_ID', 'fm-test/db');
    resetConfig();
  });

  it('gives the settings, read once per max age', async () => {
    secrets.set('fm-test/db', dbSecret('first-pw'));
    const [row] = await query<{ who: string }>('SELECT CURRENT_USER() AS who');
    expect(row?.who).toMatch(new RegExp(`^${user}@`));
    await query('SELECT 1');
    expect(await resolveDbSettings()).toMatchObject({ user, password: 'first-pw', database: file.database });
    expect(reads.get('fm-test/db')).toBe(1);
  });

  it('moves the pool to a rotated password, closing the old pool once its connections are back', async () => {
    for (const host of hosts) await asRoot(`ALTER USER '${user}'@'${host}' IDENTIFIED BY 'first-pw'`);
    secrets.set('fm-test/db', dbSecret('first-pw'));
    const before = await getPool();
    const held = await before.getConnection();

    for (const host of hosts) await asRoot(`ALTER USER '${user}'@'${host}' IDENTIFIED BY 'second-pw'`);
    secrets.set('fm-test/db', dbSecret('second-pw'));
    expect(await getPool()).toBe(before); // within the max age: the secret is not read again
    await waitPastMaxAge();

    const after = await getPool();
    expect(after).not.toBe(before);
    const fresh = await after.getConnection(); // a new session: logs in with the new password
    fresh.release();
    expect(reads.get('fm-test/db')).toBe(2);

    // The old pool's session outlives the password change and is not cut off while in use…
    await expect(held.query('SELECT 1')).resolves.toBeDefined();
    held.release();
    // …and once it is back, the old pool closes.
    await vi.waitFor(() => expect(before.query('SELECT 1')).rejects.toThrow(/Pool is closed/));
  });

  it('keeps the working pool when the secret cannot be read, and tries again a max age later', async () => {
    for (const host of hosts) await asRoot(`ALTER USER '${user}'@'${host}' IDENTIFIED BY 'first-pw'`);
    secrets.set('fm-test/db', dbSecret('first-pw'));
    const pool = await getPool();
    secrets.delete('fm-test/db');
    await waitPastMaxAge();
    expect(await getPool()).toBe(pool);
    await expect(query('SELECT 1')).resolves.toBeDefined();
    await expect(resolveDbSettings()).rejects.toThrow(
      'could not read the database secret from Secrets Manager',
    );
  });

  it('names what is wrong with a bad secret, without its contents', async () => {
    secrets.set('fm-test/db', 'password=hunter2');
    const notJson = await resolveDbSettings().catch((error: unknown) => error);
    expect(notJson).toBeInstanceOf(DependencyError);
    expect((notJson as Error).message).toBe('the database secret is not JSON');
    secrets.set('fm-test/db', JSON.stringify({ host: 'db', username: 'fm', password: 'hunter2' }));
    await waitPastMaxAge();
    await expect(resolveDbSettings()).rejects.toThrow(/^the database secret lacks valid fields: dbname$/);
  });
});

describe('the API keys secret (API_KEYS_SECRET_ID)', () => {
  const entry = (name: string, key: string) => ({ name, role: 'viewer', sha256: sha256Hex(key) });

  beforeEach(() => {
    vi.stubEnv('MYSQL_SECRET_ID', '');
    vi.stubEnv('API_KEYS_SECRET_ID', 'fm-test/api-keys');
    vi.stubEnv('STAGE', 'prod');
    resetConfig();
  });

  it('authenticates the keys it holds, and a key added by a rotation after the max age', async () => {
    secrets.set('fm-test/api-keys', JSON.stringify([entry('ops', 'old-key')]));
    await expect(authenticate({ 'x-api-key': 'old-key' }, 'read')).resolves.toEqual({
      name: 'ops',
      role: 'viewer',
    });

    secrets.set('fm-test/api-keys', JSON.stringify([entry('ops-2', 'new-key')]));
    await expect(authenticate({ 'x-api-key': 'new-key' }, 'read')).rejects.toThrow(
      'The API key is not valid',
    );
    await waitPastMaxAge();
    await expect(authenticate({ 'x-api-key': 'new-key' }, 'read')).resolves.toEqual({
      name: 'ops-2',
      role: 'viewer',
    });
    await expect(authenticate({ 'x-api-key': 'old-key' }, 'read')).rejects.toThrow(
      'The API key is not valid',
    );
    expect(reads.get('fm-test/api-keys')).toBe(2);
  });

  it('fails as a dependency (503) when the secret cannot be read or is invalid', async () => {
    secrets.delete('fm-test/api-keys');
    await expect(authenticate({ 'x-api-key': 'old-key' }, 'read')).rejects.toThrow(
      'could not read the API keys secret from Secrets Manager',
    );
    secrets.set('fm-test/api-keys', '[]');
    await expect(authenticate({ 'x-api-key': 'old-key' }, 'read')).rejects.toThrow(
      'the API keys secret is invalid: expects at least one key',
    );
  });
});
