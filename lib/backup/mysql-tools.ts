/**
 * The MySQL/MariaDB command-line tools the backup drives: finding out which flavour a binary is, the flags each
 * flavour needs, and handing them the password without putting it on a command line (visible in `ps`) or in an
 * environment variable (MYSQL_PWD, deprecated by MySQL): a `--defaults-extra-file` readable only by this user,
 * removed as soon as the tool has exited.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import type { DbSettings } from '../db/settings.js';
import { DependencyError } from '../errors.js';

const run = promisify(execFile);

export type Flavour = 'mysql' | 'mariadb';

export interface ToolInfo {
  binary: string;
  flavour: Flavour;
  /** e.g. `10.11.19` (MariaDB) or `8.0.40` (MySQL). */
  version: string;
}

/**
 * Reads a `--version` line. MariaDB: `mysqldump  Ver 10.19 Distrib 10.11.19-MariaDB, for debian-linux-gnu`;
 * MySQL: `mysqldump  Ver 8.0.40 for Linux on x86_64 (MySQL Community Server - GPL)`; MariaDB 11+: `mariadb-dump
 * from 11.4.2-MariaDB, client 10.19`.
 */
export function parseToolVersion(output: string): { flavour: Flavour; version: string } {
  const flavour: Flavour = /mariadb/i.test(output) ? 'mariadb' : 'mysql';
  const version =
    /Distrib (\d+\.\d+\.\d+)/.exec(output)?.[1] ??
    /from (\d+\.\d+\.\d+)/.exec(output)?.[1] ??
    /Ver (\d+\.\d+\.\d+)/.exec(output)?.[1] ??
    'unknown';
  return { flavour, version };
}

const toolInfoCache = new Map<string, Promise<ToolInfo>>();

/** Runs `<binary> --version` once per binary. A missing binary is a DependencyError naming the env var to set. */
export function detectTool(binary: string, envVar: string): Promise<ToolInfo> {
  let info = toolInfoCache.get(binary);
  if (!info) {
    info = run(binary, ['--version'], { timeout: 10_000 })
      .then(({ stdout }) => ({ binary, ...parseToolVersion(stdout) }))
      .catch((error: NodeJS.ErrnoException) => {
        toolInfoCache.delete(binary);
        throw new DependencyError(
          error.code === 'ENOENT'
            ? `${binary} not found; install the MySQL or MariaDB client or set ${envVar} to its path`
            : `${binary} --version failed: ${error.message}`,
          { cause: error },
        );
      });
    toolInfoCache.set(binary, info);
  }
  return info;
}

export interface DumpArgsOptions {
  client: Pick<ToolInfo, 'flavour' | 'version'>;
  serverFlavour: Flavour;
  database: string;
  defaultsFile: string;
}

/**
 * mysqldump's arguments: a consistent snapshot of every object, and nothing that needs more than SELECT, SHOW VIEW,
 * TRIGGER, EVENT and LOCK TABLES privileges (no FLUSH, no tablespaces), so it also runs against RDS.
 */
export function dumpArgs({ client, serverFlavour, database, defaultsFile }: DumpArgsOptions): string[] {
  const args = [
    `--defaults-extra-file=${defaultsFile}`, // must come first
    '--single-transaction', // InnoDB consistent snapshot, no global lock
    '--quick', // row by row, never a whole table in the client's memory
    '--routines',
    '--triggers',
    '--events',
    '--hex-blob', // binary columns survive any client character set
    '--no-tablespaces',
    '--default-character-set=utf8mb4',
    '--add-drop-table',
    '--comments', // keeps the closing "-- Dump completed" line the backup checks for
  ];
  if (client.flavour === 'mysql') {
    // GTID_PURGED in a dump breaks a restore into any server with its own GTID history.
    args.push('--set-gtid-purged=OFF');
    // MySQL 8's mysqldump reads information_schema.COLUMN_STATISTICS, which MariaDB and MySQL 5.7 lack.
    if (serverFlavour === 'mariadb' && Number(client.version.split('.')[0]) >= 8)
      args.push('--column-statistics=0');
  }
  args.push(database);
  return args;
}

/** mysql client arguments for a restore into `database`. */
export function restoreArgs({
  database,
  defaultsFile,
}: {
  database: string;
  defaultsFile: string;
}): string[] {
  return [
    `--defaults-extra-file=${defaultsFile}`,
    '--default-character-set=utf8mb4',
    '--binary-mode', // a dump is not interactive input: no command interpretation inside data
    '--batch',
    database,
  ];
}

/** Quotes a value for a MySQL option file (`"..."` with backslash escapes). */
export function optionFileValue(value: string): string {
  return `"${value.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n')}"`;
}

/**
 * Writes a `[client]` option file (mode 0600, in a private temporary folder) with the connection settings, runs
 * `work` with its path, and removes it afterwards whatever happens.
 */
export async function withDefaultsFile<T>(
  settings: DbSettings,
  work: (file: string) => Promise<T>,
): Promise<T> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'fm-mysql-'));
  const file = path.join(dir, 'client.cnf');
  try {
    await writeFile(
      file,
      [
        '[client]',
        `host=${optionFileValue(settings.host)}`,
        `port=${settings.port}`,
        `user=${optionFileValue(settings.user)}`,
        ...(settings.password ? [`password=${optionFileValue(settings.password)}`] : []),
        '',
      ].join('\n'),
      { mode: 0o600 },
    );
    return await work(file);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** Keeps the last `limit` bytes of a child's stderr (the useful end of an error), never unbounded. */
export class TailBuffer {
  private chunks: Buffer[] = [];
  private size = 0;
  constructor(private readonly limit = 16_384) {}
  push(chunk: Buffer): void {
    this.chunks.push(chunk);
    this.size += chunk.length;
    while (this.size > this.limit && this.chunks.length > 1) {
      this.size -= (this.chunks.shift() as Buffer).length;
    }
  }
  toString(): string {
    const all = Buffer.concat(this.chunks);
    return all
      .subarray(Math.max(0, all.length - this.limit))
      .toString('utf8')
      .trim();
  }
}
