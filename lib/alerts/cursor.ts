/**
 * Opaque keyset cursors for GET /alerts. A page is ordered newest first by (alert_date DESC, id DESC); the cursor
 * carries the last row's (alert_date, id) and a fingerprint of the filters it was issued for, so the next page
 * starts strictly after that row whatever was inserted meanwhile, and a cursor replayed with other filters is
 * rejected instead of silently returning a wrong page. Pure: no I/O.
 */
import { createHash } from 'node:crypto';

export interface CursorPosition {
  /** alert_date as the DB compares it: `YYYY-MM-DD HH:MM:SS`. */
  alertDate: string;
  id: number;
}

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

/** @example encodeCursor({ alertDate: '2026-03-01 12:00:00', id: 42 }, 'abc') // 'WzEsIjIwMjYtMDMt…' */
export function encodeCursor(position: CursorPosition, fingerprint: string): string {
  return Buffer.from(JSON.stringify([VERSION, position.alertDate, position.id, fingerprint])).toString(
    'base64url',
  );
}

/** Why a cursor was refused; the caller turns it into a 400. */
export class CursorError extends Error {
  override name = 'CursorError';
}

/** Decodes a cursor issued for `fingerprint`; throws CursorError for anything else. */
export function decodeCursor(cursor: string, fingerprint: string): CursorPosition {
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    throw new CursorError('is not a cursor this API issued');
  }
  if (
    !Array.isArray(parsed) ||
    parsed.length !== 4 ||
    parsed[0] !== VERSION ||
    typeof parsed[1] !== 'string' ||
    !DATE.test(parsed[1]) ||
    !Number.isSafeInteger(parsed[2]) ||
    (parsed[2] as number) < 1 ||
    typeof parsed[3] !== 'string'
  ) {
    throw new CursorError('is not a cursor this API issued');
  }
  if (parsed[3] !== fingerprint) {
    throw new CursorError('belongs to a query with other filters; start again without a cursor');
  }
  return { alertDate: parsed[1], id: parsed[2] as number };
}
