import { describe, expect, it } from 'vitest';
import { backupKey, compactTimestamp, manifestKeyOf, parseBackupKey } from '../../lib/backup/keys.js';

const at = new Date('2026-11-24T01:15:00.123Z');

describe('backup keys', () => {
  it('names a dump backups/<db>/<yyyy>/<mm>/<dd>/<db>-<timestamp>.sql.gz, in UTC', () => {
    expect(backupKey('backups/', 'financial_monitor', at)).toBe(
      'backups/financial_monitor/2026/11/24/financial_monitor-20261124T011500123Z.sql.gz',
    );
    expect(backupKey('prod/backups/', 'fm', new Date('2027-01-02T23:59:59.999Z'))).toBe(
      'prod/backups/fm/2027/01/02/fm-20270102T235959999Z.sql.gz',
    );
  });

  it('sorts keys of one database by time', () => {
    const keys = ['2026-11-24T10:00:00Z', '2026-11-23T23:00:00Z', '2026-12-01T00:00:00Z'].map((d) =>
      backupKey('backups/', 'fm', new Date(d)),
    );
    expect([...keys].sort()).toEqual([keys[1], keys[0], keys[2]]);
  });

  it('reads the database and the time back from a dump key and from its manifest key', () => {
    const key = backupKey('backups/', 'fm', at);
    expect(parseBackupKey('backups/', key)).toEqual({
      kind: 'dump',
      dumpKey: key,
      database: 'fm',
      takenAt: at,
    });
    expect(parseBackupKey('backups/', manifestKeyOf(key))).toEqual({
      kind: 'manifest',
      dumpKey: key,
      database: 'fm',
      takenAt: at,
    });
  });

  it('does not recognise keys it did not write', () => {
    for (const key of [
      'other/fm/2026/11/24/fm-20261124T011500123Z.sql.gz', // another prefix
      'backups/fm/2026/11/24/notes.txt',
      'backups/fm/2026/11/24/other-20261124T011500123Z.sql.gz', // file of another database
      'backups/fm/2026/11/25/fm-20261124T011500123Z.sql.gz', // folder date disagrees
      'backups/fm/2026/02/30/fm-20260230T011500123Z.sql.gz', // no such day
      'backups/fm/2026/11/24/fm-20261124T011500123Z.sql',
    ]) {
      expect(parseBackupKey('backups/', key), key).toBeUndefined();
    }
  });

  it('writes a compact, sortable UTC timestamp', () => {
    expect(compactTimestamp(new Date('2026-01-05T04:03:02.001Z'))).toBe('20260105T040302001Z');
  });
});
