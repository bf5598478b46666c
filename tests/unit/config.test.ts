import { afterEach, describe, expect, it, vi } from 'vitest';
import { ConfigError, DEFAULT_MYSQL_URL, getConfig, parseConfig, resetConfig } from '../../lib/config.js';

function problemsOf(env: Record<string, string>): string[] {
  try {
    parseConfig(env);
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return (error as ConfigError).problems;
  }
  throw new Error('expected a ConfigError');
}

describe('lib/config', () => {
  it('defaults to the local database, the local bucket and AWS S3', () => {
    const config = parseConfig({});
    expect(config.MYSQL_URL).toBe(DEFAULT_MYSQL_URL);
    expect(config.STAGE).toBe('local');
    expect(config.BACKUP_BUCKET).toBe('financial-monitor-local-backups');
    expect(config.BACKUP_PREFIX).toBe('backups/');
    expect(config.S3_ENDPOINT).toBeUndefined();
    expect(config.MYSQL_POOL_SIZE).toBe(8);
  });

  it('treats empty values as unset, as serverless does for blank parameters', () => {
    const config = parseConfig({ S3_ENDPOINT: '', MYSQL_URL: '', MYSQL_SECRET_ID: '', MYSQL_POOL_SIZE: '' });
    expect(config.S3_ENDPOINT).toBeUndefined();
    expect(config.MYSQL_URL).toBe(DEFAULT_MYSQL_URL);
    expect(config.MYSQL_SECRET_ID).toBeUndefined();
  });

  it('names the variable and what it expects, without echoing the value', () => {
    const problems = problemsOf({ MYSQL_URL: 'postgres://admin:hunter2@db/x' });
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatch(/^MYSQL_URL expects a URL like mysql:\/\//);
    expect(problems.join()).not.toContain('hunter2');
  });

  it('reports every bad variable at once', () => {
    const problems = problemsOf({
      MYSQL_POOL_SIZE: '0',
      S3_ENDPOINT: 'ftp://x',
      BACKUP_BUCKET: 'Bad_Bucket',
      AWS_REGION: 'mars',
      BACKUP_PREFIX: '/abs',
      STAGE: 'Prod!',
    });
    expect(problems.map((p) => p.split(' ')[0]).sort()).toEqual(
      ['AWS_REGION', 'BACKUP_BUCKET', 'BACKUP_PREFIX', 'MYSQL_POOL_SIZE', 'S3_ENDPOINT', 'STAGE'].sort(),
    );
    expect(problems.find((p) => p.startsWith('MYSQL_POOL_SIZE'))).toMatch(/whole number from 1 to 64/);
  });

  it('takes an RDS Proxy endpoint as MYSQL_HOST and TLS as MYSQL_TLS; neither by default', () => {
    expect(parseConfig({}).MYSQL_HOST).toBeUndefined();
    expect(parseConfig({})).toMatchObject({ MYSQL_TLS: false, MYSQL_POOL_SIZE: 8 });
    const proxied = parseConfig({
      MYSQL_HOST: 'fm-prod.proxy-abc123.eu-central-1.rds.amazonaws.com',
      MYSQL_TLS: 'TRUE',
      MYSQL_POOL_SIZE: '1',
    });
    expect(proxied).toMatchObject({
      MYSQL_HOST: 'fm-prod.proxy-abc123.eu-central-1.rds.amazonaws.com',
      MYSQL_TLS: true,
      MYSQL_POOL_SIZE: 1,
    });
    expect(problemsOf({ MYSQL_HOST: 'host:3306', MYSQL_TLS: 'yes' })).toEqual([
      'MYSQL_HOST expects a host name',
      'MYSQL_TLS expects true or false',
    ]);
  });

  it('rejects a database name that is not a plain identifier', () => {
    expect(problemsOf({ MYSQL_URL: 'mysql://root@localhost:3306/fm;drop' })[0]).toMatch(/^MYSQL_URL/);
    expect(problemsOf({ MYSQL_URL: 'mysql://root@localhost:3306/' })[0]).toMatch(/^MYSQL_URL/);
  });

  it('takes a CloudWatch namespace for the ops metrics, never one of AWS/', () => {
    expect(parseConfig({}).OPS_METRICS_NAMESPACE).toBe('FinancialMonitor');
    expect(parseConfig({ OPS_METRICS_NAMESPACE: 'Bank/Monitor:prod' }).OPS_METRICS_NAMESPACE).toBe(
      'Bank/Monitor:prod',
    );
    expect(problemsOf({ OPS_METRICS_NAMESPACE: 'AWS/Lambda' })[0]).toMatch(
      /^OPS_METRICS_NAMESPACE expects a CloudWatch namespace/,
    );
    expect(problemsOf({ OPS_METRICS_NAMESPACE: 'bad;name' })[0]).toMatch(/^OPS_METRICS_NAMESPACE/);
  });

  it('accepts a full URL with credentials, port and a mariadb: scheme', () => {
    expect(parseConfig({ MYSQL_URL: 'mariadb://fm:s%40cret@db.internal:3307/fm_prod' }).MYSQL_URL).toBe(
      'mariadb://fm:s%40cret@db.internal:3307/fm_prod',
    );
  });
});

describe('getConfig', () => {
  afterEach(() => {
    vi.unstubAllEnvs();
    resetConfig();
  });

  it('reads the environment when first asked, not when imported, and keeps what it read', () => {
    resetConfig();
    vi.stubEnv('BACKUP_PREFIX', 'first/');
    expect(getConfig().BACKUP_PREFIX).toBe('first/');
    vi.stubEnv('BACKUP_PREFIX', 'second/');
    expect(getConfig().BACKUP_PREFIX).toBe('first/');
    resetConfig();
    expect(getConfig().BACKUP_PREFIX).toBe('second/');
  });

  it('throws a ConfigError naming the variable, until the environment is fixed', () => {
    resetConfig();
    vi.stubEnv('MYSQL_POOL_SIZE', 'lots');
    expect(() => getConfig()).toThrow(/MYSQL_POOL_SIZE expects a whole number from 1 to 64/);
    expect(() => getConfig()).toThrow(ConfigError);
    vi.stubEnv('MYSQL_POOL_SIZE', '16');
    expect(getConfig().MYSQL_POOL_SIZE).toBe(16);
  });
});
