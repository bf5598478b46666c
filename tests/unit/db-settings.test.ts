import { afterEach, describe, expect, it, vi } from 'vitest';
import { parseConfig, resetConfig } from '../../lib/config.js';
import { isConnectionError, withNamedLock } from '../../lib/db/pool.js';
import { resolveDbSettings, settingsFromUrl } from '../../lib/db/settings.js';

describe('lib/db/settings', () => {
  it('decodes credentials and defaults the port', () => {
    expect(settingsFromUrl('mysql://fm:s%40cret@db.internal/fm_prod')).toEqual({
      host: 'db.internal',
      port: 3306,
      user: 'fm',
      password: 's@cret',
      database: 'fm_prod',
    });
  });

  it('uses root with no password when the URL names no user', () => {
    expect(settingsFromUrl('mysql://127.0.0.1:3307/x')).toMatchObject({
      user: 'root',
      password: '',
      port: 3307,
    });
  });

  it('connects to MYSQL_HOST (an RDS Proxy) with the credentials and database of the settings', async () => {
    const config = parseConfig({
      MYSQL_URL: 'mysql://fm:s%40cret@db.internal:3306/fm_prod',
      MYSQL_HOST: 'fm-prod.proxy-abc.eu-central-1.rds.amazonaws.com',
    });
    expect(await resolveDbSettings(config)).toEqual({
      host: 'fm-prod.proxy-abc.eu-central-1.rds.amazonaws.com',
      port: 3306,
      user: 'fm',
      password: 's@cret',
      database: 'fm_prod',
    });
  });
});

describe('isConnectionError', () => {
  it('tells a lost connection from a failed statement', () => {
    expect(isConnectionError({ code: 'PROTOCOL_CONNECTION_LOST' })).toBe(true);
    expect(isConnectionError({ code: 'ECONNREFUSED' })).toBe(true);
    expect(isConnectionError({ code: 'ER_DUP_ENTRY' })).toBe(false);
    expect(isConnectionError(new Error('x'))).toBe(false);
    expect(isConnectionError(null)).toBe(false);
  });
});

describe('withNamedLock', () => {
  afterEach(() => {
    vi.unstubAllEnvs();
    resetConfig();
  });

  it('refuses a pool of one, where the work could never get a second connection', async () => {
    vi.stubEnv('MYSQL_POOL_SIZE', '1');
    resetConfig();
    let ran = false;
    await expect(
      withNamedLock('analytics-refresh', async () => {
        ran = true;
      }),
    ).rejects.toThrow('a named lock needs MYSQL_POOL_SIZE of 2 or more (analytics-refresh)');
    expect(ran).toBe(false);
  });
});
