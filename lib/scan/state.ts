/**
 * The detection state between scans (table scan_client_state, migration 0031): one JSON row per client — what its
 * rules remember — with the id of the last transaction it has seen (`as_of_transaction_id`). An incremental chunk
 * reads the rows of the clients it touches with their accounts and writes them back before it moves the watermark;
 * a state newer than the watermark (its chunk failed after writing it) is not trusted: its client is replayed.
 */
import type { PoolConnection, RowDataPacket } from 'mysql2/promise';
import { getPool } from '../db/pool.js';
import { type SavedClient, STATE_VERSION } from '../rules/engine.js';
import { type ScanAccount, toAccount } from './source.js';
import { bulkWrite } from './writer.js';

/** Follows the `anomaly-scan` watermark: the transactions the saved state has seen. */
export const STATE_WATERMARK = 'anomaly-scan:state';

export interface LoadedState {
  state: SavedClient;
  /** The last transaction id the state has seen, and the latest booking time it has seen (ms). */
  asOf: number;
  latest: number;
}

/**
 * The accounts `accountIds` (with their client and its country) and the saved states of those clients, in one
 * query (clients never scanned have none). A state of another format version is left out: its client is replayed
 * from its history instead.
 */
export async function loadAccountsWithStates(
  accountIds: readonly number[],
): Promise<{ accounts: ScanAccount[]; states: Map<number, LoadedState> }> {
  const accounts: ScanAccount[] = [];
  const states = new Map<number, LoadedState>();
  if (accountIds.length === 0) return { accounts, states };
  const pool = await getPool();
  const [rows] = await pool.query<RowDataPacket[]>(
    {
      sql: `SELECT a.id, a.client_id, a.currency, a.opening_date, c.country, s.state, s.as_of_transaction_id
              FROM accounts a JOIN clients c ON c.id = a.client_id
              LEFT JOIN scan_client_state s ON s.client_id = a.client_id
             WHERE a.id IN (?)`,
      rowsAsArray: true,
    },
    [accountIds],
  );
  for (const r of rows as unknown as unknown[][]) {
    const account = toAccount(r);
    accounts.push(account);
    if (r[5] === null || states.has(account.clientId)) continue;
    const state = JSON.parse(String(r[5])) as SavedClient;
    if (state.v !== STATE_VERSION) continue;
    states.set(account.clientId, { state, asOf: Number(r[6]), latest: Math.round(state.t * 1000) });
  }
  return { accounts, states };
}

/**
 * Writes (inserts or replaces) client states, as JSON, on `conn` with `as_of_transaction_id` = `asOf`: LOAD DATA
 * LOCAL … REPLACE where the server allows it, else INSERT … ON DUPLICATE KEY UPDATE.
 */
export function saveStates(
  conn: PoolConnection,
  states: ReadonlyArray<readonly [number, string]>,
  asOf: number,
): Promise<number> {
  return bulkWrite(conn, {
    table: 'scan_client_state',
    columns: 'client_id, state, as_of_transaction_id',
    rows: states.map(([clientId, json]) => [clientId, json, asOf]),
    onDuplicate: 'REPLACE',
    fallback: `INSERT INTO scan_client_state (client_id, state, as_of_transaction_id) VALUES ?
       ON DUPLICATE KEY UPDATE state = VALUES(state), as_of_transaction_id = VALUES(as_of_transaction_id)`,
  });
}

/** Drops the states a full scan up to `asOf` did not write (clients that no longer have transactions). */
export async function dropStatesNotAsOf(conn: PoolConnection, asOf: number): Promise<void> {
  await conn.query('DELETE FROM scan_client_state WHERE as_of_transaction_id <> ?', [asOf]);
}
