import { writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  csvRows,
  mapLine,
  mappingSchema,
  parseTimestamp,
  readMapping,
  splitCsv,
} from '../../lib/import/csv.js';

const mapping = mappingSchema.parse({
  account: 'acc',
  amount: 'amt',
  timestamp: 'ts',
  direction: { column: 'dc', debit: 'D', credit: 'C' },
});

describe('import-csv', () => {
  it('splits quoted fields', () => {
    expect(splitCsv('a;"b;c";"say ""hi"""', ';')).toEqual(['a', 'b;c', 'say "hi"']);
  });

  it('reads dates, date-times and epoch seconds as UTC', () => {
    expect(parseTimestamp('2025-03-01', 'iso')).toBe('2025-03-01 00:00:00');
    expect(parseTimestamp('2025-03-01T08:00:00Z', 'iso')).toBe('2025-03-01 08:00:00');
    expect(parseTimestamp('2025-03-01 08:30', 'iso')).toBe('2025-03-01 08:30:00');
    expect(parseTimestamp('86400', 'epoch-seconds')).toBe('1970-01-02 00:00:00');
    expect(parseTimestamp('01/03/2025', 'iso')).toBeUndefined();
  });

  it('signs the amount by the direction column and names what is wrong with a line', () => {
    const line = { acc: 'A', amt: '12.50', ts: '2025-03-01', dc: 'D' };
    expect(mapLine(line, mapping, 2)).toMatchObject({
      cents: -1250,
      type: 'outgoing transfer',
      currency: 'EUR',
    });
    expect(mapLine({ ...line, dc: 'X' }, mapping, 2)).toBe('direction "X" is neither "D" nor "C"');
    expect(mapLine({ ...line, amt: '1,5' }, mapping, 2)).toBe('amount "1,5" is not an amount');
  });

  it('refuses a mapping with an unknown field, naming it', () => {
    const path = join(tmpdir(), `mapping-${process.pid}.json`);
    writeFileSync(path, JSON.stringify({ account: 'a', amount: 'b', timestamp: 'c', amount_column: 'x' }));
    expect(() => readMapping(path)).toThrow(/Unrecognized key/);
    writeFileSync(path, JSON.stringify({ account: 'a', amount: 'b' }));
    expect(() => readMapping(path)).toThrow(/timestamp/);
  });

  it('sorts by time and opens one account per account and currency', () => {
    const at = (ts: string, dc: string, acc = 'A') => mapLine({ acc, amt: '1', ts, dc }, mapping, 0);
    const usd = {
      ...(mapLine({ acc: 'A', amt: '1', ts: '2025-01-03', dc: 'C' }, mapping, 0) as object),
      currency: 'USD',
    };
    const bookings = [at('2025-01-02', 'D'), at('2025-01-01', 'C', 'B'), usd].filter(
      (b) => typeof b !== 'string',
    );
    const { clients, rows } = csvRows(bookings as never, { outgoing: 3, incoming: 4 }, 'csv-label');
    expect([...rows.transactions].map((t) => [t[1], t[3]])).toEqual([
      [1, '2025-01-01 00:00:00'],
      [2, '2025-01-02 00:00:00'],
      [3, '2025-01-03 00:00:00'],
    ]);
    expect(clients).toHaveLength(2);
    expect(rows.accounts.map((a) => [a[1], a[6]])).toEqual([
      [1, 'EUR'],
      [2, 'EUR'],
      [2, 'USD'],
    ]);
  });
});
