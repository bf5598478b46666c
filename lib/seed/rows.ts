/**
 * Row encoding for the bulk load: a row is an array of cells, which lib/db/bulk-load.ts sends as a LOAD DATA line
 * (`\N` for NULL, backslash escapes) or as an INSERT's parameters. Money is kept as integer cents while generating
 * and formatted exactly here, never through floating-point decimals.
 */
import type { TsvCell } from '../db/bulk-load.js';

export type Row = TsvCell[];

/** Integer cents → '-1234.05'. */
export function formatCents(cents: number): string {
  const sign = cents < 0 ? '-' : '';
  const abs = Math.abs(Math.round(cents));
  const units = Math.floor(abs / 100);
  const rest = abs % 100;
  return `${sign}${units}.${rest < 10 ? '0' : ''}${rest}`;
}
