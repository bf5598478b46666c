import { describe, expect, it } from 'vitest';
import { CursorError, decodeCursor, encodeCursor, filterFingerprint } from '../../lib/http/cursor.js';

const position = ['2026-03-01 12:00:00', 42];
const LAYOUT = ['time', 'id'] as const;

describe('keyset cursors', () => {
  it('round-trip a position for the same filters', () => {
    const fp = filterFingerprint({ risk_level: 'High' });
    const cursor = encodeCursor(position, fp);
    expect(cursor).toMatch(/^[A-Za-z0-9_-]+$/);
    expect(decodeCursor(cursor, fp, LAYOUT)).toEqual(position);
  });

  it('fingerprint filters regardless of key order and ignore undefined ones', () => {
    expect(filterFingerprint({ a: 1, b: 'x', c: undefined })).toBe(filterFingerprint({ b: 'x', a: 1 }));
    expect(filterFingerprint({ a: 1 })).not.toBe(filterFingerprint({ a: 2 }));
    expect(filterFingerprint({})).toBe(filterFingerprint({ z: undefined }));
  });

  it('refuse a cursor issued for other filters', () => {
    const cursor = encodeCursor(position, filterFingerprint({ status: 'open' }));
    expect(() => decodeCursor(cursor, filterFingerprint({ status: 'closed' }), LAYOUT)).toThrow(
      /other filters/,
    );
  });

  it.each([
    ['not base64 JSON', 'abc'],
    ['an object', Buffer.from('{"d":"x"}').toString('base64url')],
    ['another version', Buffer.from(JSON.stringify([2, position[0], 42, 'f'])).toString('base64url')],
    ['a bad date', Buffer.from(JSON.stringify([1, "2026-03-01' OR 1=1", 42, 'f'])).toString('base64url')],
    ['a negative id', Buffer.from(JSON.stringify([1, position[0], -1, 'f'])).toString('base64url')],
    ['a huge id', Buffer.from(JSON.stringify([1, position[0], 2 ** 60, 'f'])).toString('base64url')],
    ['a string id', Buffer.from(JSON.stringify([1, position[0], '42', 'f'])).toString('base64url')],
    ['extra items', Buffer.from(JSON.stringify([1, position[0], 42, 'f', 1])).toString('base64url')],
  ])('refuse %s', (_what, cursor) => {
    expect(() => decodeCursor(cursor, 'f', LAYOUT)).toThrow(CursorError);
  });

  it('check every key against its layout (time, count, id)', () => {
    const cursor = encodeCursor(['2026-03-01 12:00:00', 0, 7], 'f');
    expect(decodeCursor(cursor, 'f', ['time', 'count', 'id'])).toEqual(['2026-03-01 12:00:00', 0, 7]);
    expect(() => decodeCursor(cursor, 'f', ['time', 'id', 'id'])).toThrow(CursorError);
  });
});
