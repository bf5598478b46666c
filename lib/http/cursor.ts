/**
 * Opaque keyset cursors for the list routes (GET /alerts, GET /cases). A page is ordered by a few stable keys ending
 * in the id; the cursor carries the last row's keys and a fingerprint of the filters it was issued for, so the next
 * page starts strictly after that row whatever was inserted meanwhile, and a cursor replayed with other filters is
 * rejected instead of silently returning a wrong page. Pure: no I/O.
 *
 * Wire format: base64url of `[1, ...keys, fingerprint]`; each key is checked against the layout the route expects,
 * so a forged cursor can never reach SQL as anything but a bound time or whole number.
 */
import { createHash } from 'node:crypto';
import { ValidationError } from '../errors.js';

/** What each key of a position is: a DB time `YYYY-MM-DD HH:MM:SS`, a whole number ≥ 0, or an id ≥ 1. */
export type KeyKind = 'time' | 'count' | 'id';
export type CursorKey = string | number;

const VERSION = 1;
const DATE = /^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}$/;

/** A short, stable fingerprint of a filter set (key order does not matter; undefined values are ignored). */
export function filterFingerprint(filters: Record<string, unknown>): string {
  const canonical = Object.keys(filters)
    .filter((k) => filters[k] !== undefined)
    .sort()
    .map((k) => [k, filters[k]]);
  return createHash('sha256').update(JSON.stringify(canonical)).digest('base64url').slice(0, 10);
}

/** @example encodeCursor(['2026-03-01 12:00:00', 42], 'abc') // 'WzEsIjIwMjYtMDMt…' */
export function encodeCursor(position: readonly CursorKey[], fingerprint: string): string {
  return Buffer.from(JSON.stringify([VERSION, ...position, fingerprint])).toString('base64url');
}

/** Why a cursor was refused; the caller turns it into a 400. */
export class CursorError extends Error {
  override name = 'CursorError';
}

function fits(value: unknown, kind: KeyKind): boolean {
  if (kind === 'time') return typeof value === 'string' && DATE.test(value);
  return Number.isSafeInteger(value) && (value as number) >= (kind === 'id' ? 1 : 0);
}

/**
 * Decodes a cursor issued for `fingerprint` whose keys have the kinds of `layout`; throws CursorError otherwise.
 *
 * @example decodeCursor(cursor, fp, ['time', 'id']) // ['2026-03-01 12:00:00', 42]
 */
export function decodeCursor(cursor: string, fingerprint: string, layout: readonly KeyKind[]): CursorKey[] {
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    throw new CursorError('is not a cursor this API issued');
  }
  if (
    !Array.isArray(parsed) ||
    parsed.length !== layout.length + 2 ||
    parsed[0] !== VERSION ||
    !layout.every((kind, i) => fits(parsed[i + 1], kind)) ||
    typeof parsed.at(-1) !== 'string'
  ) {
    throw new CursorError('is not a cursor this API issued');
  }
  if (parsed.at(-1) !== fingerprint) {
    throw new CursorError('belongs to a query with other filters; start again without a cursor');
  }
  return parsed.slice(1, -1) as CursorKey[];
}

/** decodeCursor for a request's `cursor` parameter: a refused cursor is a 400 naming `query.cursor`. */
export function cursorPosition(cursor: string, fingerprint: string, layout: readonly KeyKind[]): CursorKey[] {
  try {
    return decodeCursor(cursor, fingerprint, layout);
  } catch (error) {
    if (!(error instanceof CursorError)) throw error;
    throw new ValidationError(`Invalid query: query.cursor ${error.message}`, [
      { field: 'query.cursor', message: error.message },
    ]);
  }
}
