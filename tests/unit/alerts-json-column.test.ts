import { describe, expect, it } from 'vitest';
import { parseJsonColumn } from '../../lib/alerts/json-column.js';

describe('parseJsonColumn', () => {
  it('parses the text MariaDB returns for a JSON column', () => {
    expect(parseJsonColumn('{"High":2,"Low":0}')).toEqual({ High: 2, Low: 0 });
    expect(parseJsonColumn('[1,2]')).toEqual([1, 2]);
  });

  it('passes through what MySQL returns already parsed', () => {
    const evidence = { thresholds: { p95: 1200 } };
    expect(parseJsonColumn(evidence)).toBe(evidence);
    expect(parseJsonColumn(42)).toBe(42);
  });

  it('returns text that is not JSON as it is stored, never null', () => {
    expect(parseJsonColumn('not json {')).toBe('not json {');
    expect(parseJsonColumn('')).toBe('');
  });

  it('reads SQL NULL and a missing column as null', () => {
    expect(parseJsonColumn(null)).toBeNull();
    expect(parseJsonColumn(undefined)).toBeNull();
  });
});
