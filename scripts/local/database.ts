/**
 * Finds or starts a database for `npm start`, in this order:
 *   1. MYSQL_URL (default mysql://root@127.0.0.1:3306/financial_monitor) if it answers;
 *   2. `docker compose up -d --wait` when a Docker engine answers (MySQL 8.4 + MinIO from docker-compose.yml);
 *   3. a private, throwaway MariaDB/MySQL instance in the git-ignored `.local/mysql` folder on a free port, when a
 *      `mariadbd` or `mysqld` binary is installed;
 *   4. otherwise a message saying what to provide.
 */
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import net from 'node:net';
import path from 'node:path';
import { promisify } from 'node:util';
import mysql from 'mysql2/promise';
import { settingsFromUrl } from '../../lib/db/settings.js';

const run = promisify(execFile);

export interface LocalDatabase {
  url: string;
  /** How it was found: 'url' (already running), 'compose', 'private'. */
  source: 'url' | 'compose' | 'private';
  /** Stops what this process started (nothing for 'url'). */
  stop(): Promise<void>;
}

export async function answers(url: string, timeoutMs = 3_000): Promise<boolean> {
  const settings = settingsFromUrl(url);
  try {
    const conn = await mysql.createConnection({
      ...settings,
      database: undefined,
      connectTimeout: timeoutMs,
    });
    await conn.query('SELECT 1');
    await conn.end();
    return true;
  } catch {
    return false;
  }
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

async function dockerAnswers(): Promise<boolean> {
  try {
    await run('docker', ['info', '--format', '{{.ServerVersion}}'], { timeout: 5_000 });
    return true;
  } catch {
    return false;
  }
}

function findBinary(candidates: string[]): string | undefined {
  const dirs = [
    ...(process.env.PATH ?? '').split(':'),
    '/usr/sbin',
    '/usr/local/sbin',
    '/usr/local/mysql/bin',
  ];
  for (const name of candidates) {
    for (const dir of dirs) {
      const full = path.join(dir, name);
      if (dir && existsSync(full)) return full;
    }
  }
  return undefined;
}

async function waitFor(check: () => Promise<boolean>, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await check()) return;
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`${what} did not come up within ${Math.round(timeoutMs / 1000)} s`);
}

async function startPrivateInstance(root: string, database: string): Promise<LocalDatabase> {
  const server = findBinary(['mariadbd', 'mysqld']);
  if (!server) throw new Error('no mariadbd or mysqld binary');
  const isMariaDb =
    path.basename(server).startsWith('mariadb') || /MariaDB/i.test((await run(server, ['--version'])).stdout);
  const dataDir = path.join(root, '.local', 'mysql', 'data');
  const socket = path.join(root, '.local', 'mysql', 'mysqld.sock');
  await mkdir(path.dirname(dataDir), { recursive: true });
  const asRoot = process.getuid?.() === 0 ? ['--user=root'] : [];
  if (!existsSync(path.join(dataDir, 'mysql'))) {
    if (isMariaDb) {
      const installer = findBinary(['mariadb-install-db', 'mysql_install_db']);
      if (!installer) throw new Error('mariadbd found but not mariadb-install-db');
      await run(installer, [
        '--no-defaults',
        `--datadir=${dataDir}`,
        '--auth-root-authentication-method=normal',
        '--skip-test-db',
        ...asRoot,
      ]);
    } else {
      await run(server, ['--no-defaults', '--initialize-insecure', `--datadir=${dataDir}`, ...asRoot]);
    }
  }
  const port = await freePort();
  const child: ChildProcess = spawn(
    server,
    [
      '--no-defaults',
      `--datadir=${dataDir}`,
      `--socket=${socket}`,
      `--port=${port}`,
      '--bind-address=127.0.0.1',
      '--local-infile=1',
      ...(isMariaDb ? [] : ['--mysqlx=OFF']),
      ...asRoot,
    ],
    // Its own process group: the terminal's Ctrl-C reaches `npm start`, which then stops it in order.
    { stdio: ['ignore', 'ignore', 'pipe'], detached: true },
  );
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => {
    stderr = (stderr + chunk.toString()).slice(-4_000);
  });
  const url = `mysql://root@127.0.0.1:${port}/${database}`;
  try {
    await waitFor(
      async () => {
        if (child.exitCode !== null)
          throw new Error(`${path.basename(server)} exited: ${stderr.trim().split('\n').at(-1)}`);
        return answers(url, 1_000);
      },
      60_000,
      'the private database',
    );
  } catch (error) {
    child.kill('SIGTERM');
    throw error;
  }
  return {
    url,
    source: 'private',
    stop: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
        setTimeout(() => child.kill('SIGKILL'), 15_000).unref();
      }),
  };
}

export async function findOrStartDatabase(
  root: string,
  url: string,
  log: (m: string) => void,
): Promise<LocalDatabase> {
  if (await answers(url)) return { url, source: 'url', stop: async () => undefined };
  const { host, port, database } = settingsFromUrl(url);
  log(`no database answers at ${host}:${port}`);

  if (await dockerAnswers()) {
    log('starting MySQL and MinIO with docker compose (docker-compose.yml)…');
    await run('docker', ['compose', 'up', '-d', '--wait'], { cwd: root, timeout: 300_000 });
    const composeUrl = `mysql://root:financial-monitor@127.0.0.1:3306/${database}`;
    await waitFor(() => answers(composeUrl, 1_000), 60_000, 'the compose database');
    return {
      url: composeUrl,
      source: 'compose',
      stop: async () => {
        await run('docker', ['compose', 'stop'], { cwd: root }).catch(() => undefined);
      },
    };
  }

  if (findBinary(['mariadbd', 'mysqld'])) {
    log('starting a private MariaDB/MySQL instance in .local/mysql …');
    return startPrivateInstance(root, database);
  }

  throw new Error(
    `No database: nothing answers at ${host}:${port}, no Docker engine answers, and no mariadbd/mysqld is installed.\n` +
      '  Provide one of: MYSQL_URL=mysql://user:pass@host:3306/financial_monitor (MySQL 8.0+ or MariaDB 10.6+),\n' +
      '  a running Docker engine (docker compose up -d), or a local MariaDB (apt-get install mariadb-server).',
  );
}
