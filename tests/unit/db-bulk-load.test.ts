import { describe, expect, it } from 'vitest';
import {
  fromTsvText,
  isLocalInfileRefused,
  loadDataStatement,
  TsvBatch,
  tsvLine,
  tsvText,
} from '../../lib/db/bulk-load.js';

describe('lib/db/bulk-load', () => {
  it('escapes what LOAD DATA would read as a separator or an escape, and reads it back', () => {
    const text = 'rent\tfor\nMay \\ "flat"\r\0 — żółć';
    expect(tsvText(text)).toBe('rent\\tfor\\nMay \\\\ "flat"\\r\\0 — żółć');
    expect(fromTsvText(tsvText(text))).toBe(text);
    expect(tsvText('plain')).toBe('plain');
  });

  it('writes a line with NULL as \\N and numbers as they are', () => {
    expect(tsvLine([1, 'a\tb', null, -12.5])).toBe('1\ta\\tb\t\\N\t-12.5\n');
  });

  it('reads a batch back by the kinds of its cells, after a reset as well', () => {
    class Pairs extends TsvBatch {
      add(id: number, note: string, bytes: Buffer): void {
        this.lines.append(`${id}\t${tsvText(note)}\t${bytes.toString('base64')}\n`);
      }
    }
    const batch = new Pairs({ id: 'number', note: 'text', bytes: 'base64' }, 8);
    batch.add(1, 'a\\b\tc', Buffer.from([0, 9, 10, 255]));
    batch.add(2, '', Buffer.alloc(0));
    expect(batch.size).toBe(2);
    expect(batch.rows()).toEqual([
      [1, 'a\\b\tc', Buffer.from([0, 9, 10, 255])],
      [2, '', Buffer.alloc(0)],
    ]);
    batch.reset().add(3, 'x', Buffer.from('y'));
    expect(batch.rows()).toEqual([[3, 'x', Buffer.from('y')]]);
  });

  it('names the file, the columns and what a duplicate does in its LOAD DATA statement', () => {
    const sql = loadDataStatement({
      table: 'scan_client_state',
      columns: ['client_id', 'state'],
      file: 'states.tsv',
      load: { columns: ['client_id', '@state'], set: 'state = FROM_BASE64(@state)' },
      onDuplicate: 'REPLACE',
    });
    expect(sql).toMatch(/^LOAD DATA LOCAL INFILE 'states\.tsv' REPLACE INTO TABLE `scan_client_state`/);
    expect(sql).toMatch(/\(`client_id`, @state\) SET state = FROM_BASE64\(@state\)$/);
  });

  it('tells a refused LOAD DATA LOCAL from other errors', () => {
    expect(isLocalInfileRefused({ code: 'ER_LOAD_INFILE_CAPABILITY_DISABLED' })).toBe(true);
    expect(isLocalInfileRefused({ errno: 3948 })).toBe(true);
    expect(isLocalInfileRefused({ code: 'ER_DUP_ENTRY', errno: 1062 })).toBe(false);
    expect(isLocalInfileRefused(null)).toBe(false);
  });
});
