import { execFile } from 'node:child_process';
import net from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import type { Context } from 'aws-lambda';
import { afterAll, beforeAll, describe, expect, inject, it, vi } from 'vitest';
import { resetConfig } from '../../lib/config.js';
import { closePool } from '../../lib/db/pool.js';
import { logger } from '../../lib/log.js';
import { createTestDatabase, type TestDatabase } from '../helpers/database.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

interface Outcome {
  code: number;
  stdout: string;
  stderr: string;
}

/**
 * Runs a CLI with MYSQL_URL replaced (and `env` added) at the CLIs' default log level; resolves with its exit code
 * and output.
 */
async function cli(script: string, mysqlUrl: string, env: NodeJS.ProcessEnv = {}): Promise<Outcome> {
  const { POWERTOOLS_LOG_LEVEL: _, DEBUG: __, ...inherited } = process.env;
  try {
    const { stdout, stderr } = await promisify(execFile)(path.join(root, 'node_modules/.bin/tsx'), [script], {
      cwd: root,
      env: { ...inherited, MYSQL_URL: mysqlUrl, ...env },
      timeout: 60_000,
    });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const e = error as Outcome;
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

/** A failed CLI: exit 1, nothing on stdout, one line on stderr — the words, no stack, no raw driver message. */
function expectWords(outcome: Outcome, words: RegExp): void {
  expect(outcome.code).toBe(1);
  expect(outcome.stdout).toBe('');
  expect(outcome.stderr).toMatch(words);
  expect(outcome.stderr.trimEnd().split('\n')).toHaveLength(1);
  expect(outcome.stderr).not.toMatch(
    /^\s+at |connect ECONNREFUSED|connect ETIMEDOUT|getaddrinfo|doesn't exist/m,
  );
}

/** A port on this machine nothing listens on. */
async function closedPort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

describe('CLIs on a database they cannot open', () => {
  const server = new URL(process.env.MYSQL_URL || 'mysql://root@127.0.0.1:3306/financial_monitor');
  let unmigrated: TestDatabase;
  let blackHole: net.Server;

  beforeAll(async () => {
    unmigrated = await createTestDatabase(inject('mysqlUrl'), { label: 'unmigrated', migrated: false });
    // Accepts connections and never says a word, as a host behind a firewall that drops packets seems to.
    blackHole = net.createServer((socket) => socket.resume());
    await new Promise<void>((resolve) => blackHole.listen(0, '127.0.0.1', resolve));
  });

  afterAll(async () => {
    await unmigrated.drop();
    blackHole.close();
  });

  it('name a missing database and how to create it', async () => {
    const url = new URL(server);
    url.pathname = '/fm_cli_missing_db';
    expectWords(
      await cli('scripts/scan.ts', url.toString()),
      /^error: database fm_cli_missing_db does not exist on [\w.]+:\d+ yet; npm run migrate creates it/,
    );
  });

  it('say the credentials were refused, without the password', async () => {
    const url = new URL(server);
    url.username = 'fm_cli_nobody';
    url.password = 'cli-secret-pw';
    const outcome = await cli('scripts/scan.ts', url.toString());
    expectWords(outcome, /^error: MySQL at [\w.]+:\d+ refused user fm_cli_nobody \(ER_ACCESS_DENIED/);
    expect(outcome.stderr).not.toContain('cli-secret-pw');
  });

  it('scan: a closed port is a server that refuses connections', async () => {
    const port = await closedPort();
    expectWords(
      await cli('scripts/scan.ts', `mysql://root@127.0.0.1:${port}/financial_monitor`),
      new RegExp(
        `^error: MySQL at 127\\.0\\.0\\.1:${port} refused the connection: nothing listens there \\(ECONNREFUSED\\); start the server or set MYSQL_URL\\n$`,
      ),
    );
  });

  it('scan: an unknown host is named as such', async () => {
    expectWords(
      await cli('scripts/scan.ts', 'mysql://root@fm-no-such-host.invalid:3306/financial_monitor'),
      /^error: host fm-no-such-host\.invalid (is unknown: DNS has no address for it \(ENOTFOUND\)|could not be looked up: DNS did not answer \(EAI_AGAIN\)); check the host of MYSQL_URL\n$/,
    );
  });

  it('scan: a server that never answers is given up on after the connect timeout', async () => {
    const { port } = blackHole.address() as net.AddressInfo;
    const started = Date.now();
    const outcome = await cli('scripts/scan.ts', `mysql://root@127.0.0.1:${port}/financial_monitor`, {
      MYSQL_CONNECT_TIMEOUT_MS: '1000',
    });
    expectWords(
      outcome,
      new RegExp(
        `^error: MySQL at 127\\.0\\.0\\.1:${port} does not answer: the connection timed out \\(ETIMEDOUT\\); check the host, the port and any firewall between, or set MYSQL_URL\\n$`,
      ),
    );
    expect(Date.now() - started).toBeLessThan(30_000);
  });

  it('scan: an unmigrated database is named, with the command that migrates it', async () => {
    expectWords(
      await cli('scripts/scan.ts', unmigrated.url),
      new RegExp(
        `^error: database ${unmigrated.name} on [\\w.]+:\\d+ is not migrated: table scan_\\w+ is missing; run npm run migrate\\n$`,
      ),
    );
  });

  it('every database CLI says the same words for the same failure', async () => {
    const port = await closedPort();
    const url = `mysql://root@127.0.0.1:${port}/financial_monitor`;
    const words = `error: MySQL at 127.0.0.1:${port} refused the connection: nothing listens there (ECONNREFUSED); start the server or set MYSQL_URL\n`;
    const scripts = ['seed', 'migrate', 'analytics-refresh', 'report', 'erd'];
    const outcomes = await Promise.all(scripts.map((s) => cli(`scripts/${s}.ts`, url)));
    for (const [i, outcome] of outcomes.entries())
      expect({ script: scripts[i], ...outcome }).toEqual({
        script: scripts[i],
        code: 1,
        stdout: '',
        stderr: words,
      });
    const unmigratedOutcomes = await Promise.all(
      ['seed', 'analytics-refresh', 'report'].map((s) => cli(`scripts/${s}.ts`, unmigrated.url)),
    );
    for (const outcome of unmigratedOutcomes)
      expectWords(
        outcome,
        new RegExp(`^error: database ${unmigrated.name} on .* is not migrated: .*; run npm run migrate\\n$`),
      );
  });
});

describe('the scheduled scan on a database it cannot open', () => {
  const saved = process.env.MYSQL_URL;

  afterAll(async () => {
    process.env.MYSQL_URL = saved;
    resetConfig();
    await closePool();
  });

  it('logs the same words as the CLI, and fails the invocation', async () => {
    const port = await closedPort();
    process.env.MYSQL_URL = `mysql://root@127.0.0.1:${port}/financial_monitor`;
    resetConfig();
    await closePool();
    const logged = vi.spyOn(logger, 'error');
    const { handler } = await import('../../functions/scan-anomalies.js');
    const words = `MySQL at 127.0.0.1:${port} refused the connection: nothing listens there (ECONNREFUSED); start the server or set MYSQL_URL`;
    await expect(
      handler({}, { awsRequestId: 'test', functionName: 'scan-anomalies' } as Context),
    ).rejects.toThrow(words);
    expect(logged).toHaveBeenCalledWith(
      'job failed',
      expect.objectContaining({ error: expect.objectContaining({ message: words }) }),
    );
    logged.mockRestore();
  });
});
