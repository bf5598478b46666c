import { execFile } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

/** Runs a CLI with MYSQL_URL replaced; resolves with its exit code and standard error. */
async function cli(script: string, mysqlUrl: string): Promise<{ code: number; stderr: string }> {
  try {
    await promisify(execFile)(path.join(root, 'node_modules/.bin/tsx'), [script], {
      cwd: root,
      env: { ...process.env, MYSQL_URL: mysqlUrl },
    });
    return { code: 0, stderr: '' };
  } catch (error) {
    const e = error as { code: number; stderr: string };
    return { code: e.code, stderr: e.stderr };
  }
}

describe('CLIs on a database they cannot open', () => {
  const server = new URL(process.env.MYSQL_URL || 'mysql://root@127.0.0.1:3306/financial_monitor');

  it('name a missing database and how to create it', async () => {
    const url = new URL(server);
    url.pathname = '/fm_cli_missing_db';
    const { code, stderr } = await cli('scripts/scan.ts', url.toString());
    expect(code).toBe(1);
    expect(stderr).toMatch(
      /^error: database fm_cli_missing_db does not exist on [\w.]+:\d+ yet; npm run migrate creates it/,
    );
  });

  it('say the credentials were refused, without the password', async () => {
    const url = new URL(server);
    url.username = 'fm_cli_nobody';
    url.password = 'cli-secret-pw';
    const { code, stderr } = await cli('scripts/scan.ts', url.toString());
    expect(code).toBe(1);
    expect(stderr).toMatch(/^error: MySQL at [\w.]+:\d+ refused user fm_cli_nobody \(ER_ACCESS_DENIED/);
    expect(stderr).not.toContain('cli-secret-pw');
  });
});
