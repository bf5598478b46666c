/**
 * Reading JSON columns (`alerts.evidence`, `scan_runs.alerts_by_risk` …) the same way on MySQL and MariaDB.
 */

/**
 * The value of a JSON column as data. MySQL's driver hands JSON columns over parsed; MariaDB stores JSON as
 * LONGTEXT and hands over the text, which is parsed here. Text that is not JSON is returned as it is, never
 * dropped: it is what MySQL hands over for a JSON string scalar (already parsed), and on either server it shows
 * what is stored rather than hiding it. SQL NULL (and a missing column) is `null`.
 *
 * @example parseJsonColumn('{"High":2}') // { High: 2 }; parseJsonColumn({ High: 2 }) is the same object
 */
export function parseJsonColumn(value: unknown): unknown {
  if (typeof value !== 'string') return value ?? null;
  try {
    return JSON.parse(value);
  } catch {
    return value;
  }
}
