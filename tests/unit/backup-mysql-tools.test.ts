import { describe, expect, it } from 'vitest';
import { dumpArgs, optionFileValue, parseToolVersion, restoreArgs } from '../../lib/backup/mysql-tools.js';

describe('mysqldump flavours', () => {
  it('recognises MariaDB and MySQL clients from --version', () => {
    expect(
      parseToolVersion('mysqldump  Ver 10.19 Distrib 10.11.19-MariaDB, for debian-linux-gnu (x86_64)'),
    ).toEqual({
      flavour: 'mariadb',
      version: '10.11.19',
    });
    expect(parseToolVersion('mariadb-dump from 11.4.2-MariaDB, client 10.19 for Linux (x86_64)')).toEqual({
      flavour: 'mariadb',
      version: '11.4.2',
    });
    expect(
      parseToolVersion('mysqldump  Ver 8.0.40 for Linux on x86_64 (MySQL Community Server - GPL)'),
    ).toEqual({
      flavour: 'mysql',
      version: '8.0.40',
    });
  });

  it('dumps every object in one consistent snapshot, with the options file first and the database last', () => {
    const args = dumpArgs({
      client: { flavour: 'mariadb', version: '10.11.19' },
      serverFlavour: 'mariadb',
      database: 'fm',
      defaultsFile: '/tmp/x/client.cnf',
    });
    expect(args[0]).toBe('--defaults-extra-file=/tmp/x/client.cnf');
    expect(args.at(-1)).toBe('fm');
    for (const flag of [
      '--single-transaction',
      '--routines',
      '--triggers',
      '--events',
      '--hex-blob',
      '--quick',
    ]) {
      expect(args).toContain(flag);
    }
    expect(args.some((a) => a.startsWith('--set-gtid-purged'))).toBe(false);
    expect(args.join(' ')).not.toMatch(/password/i);
  });

  it('adds the MySQL-only flags for a MySQL client, and skips column statistics against MariaDB', () => {
    const mysqlToMysql = dumpArgs({
      client: { flavour: 'mysql', version: '8.0.40' },
      serverFlavour: 'mysql',
      database: 'fm',
      defaultsFile: 'f',
    });
    expect(mysqlToMysql).toContain('--set-gtid-purged=OFF');
    expect(mysqlToMysql).not.toContain('--column-statistics=0');
    const mysqlToMaria = dumpArgs({
      client: { flavour: 'mysql', version: '8.0.40' },
      serverFlavour: 'mariadb',
      database: 'fm',
      defaultsFile: 'f',
    });
    expect(mysqlToMaria).toContain('--column-statistics=0');
  });

  it('restores in binary mode into the named database', () => {
    expect(restoreArgs({ database: 'fm_copy', defaultsFile: 'f' })).toEqual([
      '--defaults-extra-file=f',
      '--default-character-set=utf8mb4',
      '--binary-mode',
      '--batch',
      'fm_copy',
    ]);
  });

  it('quotes option-file values so any password survives', () => {
    expect(optionFileValue('p"a\\ss')).toBe('"p\\"a\\\\ss"');
  });
});
