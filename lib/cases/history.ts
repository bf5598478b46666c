/**
 * The case audit trail: one case_history row per changed field — who, when, what, old → new — written in the same
 * DB transaction as the change itself, so the history can never disagree with the case.
 */
import type { PoolConnection } from 'mysql2/promise';
import { execute, query } from '../db/pool.js';

/** One changed field: its name and its old and new values as text (null: none). */
export type Change = [field: string, oldValue: string | null, newValue: string | null];

/** Longest value kept per history row (a note's text lives in case_notes; its history row holds the start). */
const MAX_VALUE = 255;

const clip = (value: string | null) => (value === null ? null : value.slice(0, MAX_VALUE));

/** Writes `changes` (those whose value really changed) as history rows of `caseId` by `by` at `at`. */
export async function recordChanges(
  conn: PoolConnection,
  caseId: number,
  by: string,
  at: string,
  changes: readonly Change[],
): Promise<void> {
  const rows = changes.filter(([, from, to]) => from !== to);
  if (rows.length === 0) return;
  await execute(
    `INSERT INTO case_history (case_id, changed_at, changed_by, field, old_value, new_value) VALUES ${rows
      .map(() => '(?, ?, ?, ?, ?, ?)')
      .join(', ')}`,
    rows.flatMap(([field, from, to]) => [caseId, at, by, field, clip(from), clip(to)]),
    conn,
  );
}

/** A change of one case among many (the attaching of a whole scan chunk). */
export type CaseChange = [caseId: number, ...change: Change];

/** Writes the `changes` of many cases (those whose value really changed) in few statements, as recordChanges does. */
export async function recordCaseChanges(
  conn: PoolConnection,
  by: string,
  at: string,
  changes: readonly CaseChange[],
): Promise<void> {
  const rows = changes.filter(([, , from, to]) => from !== to);
  for (let i = 0; i < rows.length; i += 2_000) {
    const slice = rows.slice(i, i + 2_000);
    await execute(
      `INSERT INTO case_history (case_id, changed_at, changed_by, field, old_value, new_value) VALUES ${slice
        .map(() => '(?, ?, ?, ?, ?, ?)')
        .join(', ')}`,
      slice.flatMap(([caseId, field, from, to]) => [caseId, at, by, field, clip(from), clip(to)]),
      conn,
    );
  }
}

/** The database's clock, to the millisecond, as it writes times: `YYYY-MM-DD HH:MM:SS.fff`. */
export async function dbNow(conn: PoolConnection): Promise<string> {
  const [row] = await query<{ now: string }>('SELECT NOW(3) AS now', [], conn);
  return String(row?.now);
}

/** A DB time (`YYYY-MM-DD HH:MM:SS[.fff]`, UTC) as a Date. */
export function fromDbTime(value: string): Date {
  return new Date(`${value.replace(' ', 'T')}Z`);
}

/** A Date as the DB writes a DATETIME (whole seconds): `YYYY-MM-DD HH:MM:SS`. */
export function toDbTime(value: Date): string {
  return value.toISOString().slice(0, 19).replace('T', ' ');
}
