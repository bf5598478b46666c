/**
 * The detection state between scans (table scan_client_state, migration 0031): one JSON row per client — what its
 * rules remember after the last scanned transaction (lib/rules/engine.ts). An incremental chunk reads the rows of
 * the clients it touches by primary key and writes them back inside the chunk's DB transaction, together with the
 * alerts and the watermarks, so the state always describes exactly the transactions up to the watermark.
 */
import type { PoolConnection, ResultSetHeader, RowDataPacket } from 'mysql2/promise';
import { getPool } from '../db/pool.js';
import { type SavedClient, STATE_VERSION } from '../rules/engine.js';
import { isLocalInfileRefused } from '../seed/load.js';
import { parseDate, type ScanAccount } from './source.js';
import { loadTsv, tsvText } from './writer.js';

/** Follows the `anomaly-scan` watermark: the transactions the saved state has seen. */
export const STATE_WATERMARK = 'anomaly-scan:state';

const INSERT_BATCH = 2_000;
let localInfile = true;

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
    const account: ScanAccount = {
      id: Number(r[0]),
      clientId: Number(r[1]),
      currency: String(r[2]),
      openedAt: parseDate(String(r[3])),
      clientCountry: String(r[4]).toUpperCase(),
    };
    accounts.push(account);
    if (r[5] === null || states.has(account.clientId)) continue;
    const state = JSON.parse(String(r[5])) as SavedClient;
    if (state.v !== STATE_VERSION) continue;
    states.set(account.clientId, { state, asOf: Number(r[6]), latest: Math.round(state.t * 1000) });
  }
  return { accounts, states };
}

/**
 * Writes (inserts or replaces) client states (objects, or their JSON) on `conn`, inside the caller's transaction: LOAD DATA LOCAL … REPLACE
 * where the server allows it, else multi-row INSERT … ON DUPLICATE KEY UPDATE.
 */
export async function saveStates(
  conn: PoolConnection,
  states: Iterable<readonly [number, SavedClient | string]>,
  asOf: number,
): Promise<number> {
  const rows: Array<[number, string]> = [];
  for (const [clientId, state] of states)
    rows.push([clientId, typeof state === 'string' ? state : JSON.stringify(state)]);
  if (rows.length === 0) return 0;
  if (localInfile) {
    try {
      const parts: Buffer[] = [];
      let text = '';
      for (const [clientId, json] of rows) {
        text += `${clientId}\t${tsvText(json)}\t${asOf}\n`;
        if (text.length >= 256 * 1024) {
          parts.push(Buffer.from(text, 'utf8'));
          text = '';
        }
      }
      if (text) parts.push(Buffer.from(text, 'utf8'));
      await loadTsv(conn, parts, 'REPLACE', 'scan_client_state', 'client_id, state, as_of_transaction_id');
      return rows.length;
    } catch (error) {
      if (!isLocalInfileRefused(error)) throw error;
      localInfile = false;
    }
  }
  for (let i = 0; i < rows.length; i += INSERT_BATCH) {
    await conn.query<ResultSetHeader>(
      `INSERT INTO scan_client_state (client_id, state, as_of_transaction_id) VALUES ?
       ON DUPLICATE KEY UPDATE state = VALUES(state), as_of_transaction_id = VALUES(as_of_transaction_id)`,
      [rows.slice(i, i + INSERT_BATCH).map(([clientId, json]) => [clientId, json, asOf])],
    );
  }
  return rows.length;
}

/** Drops the states a full scan up to `asOf` did not write (clients that no longer have transactions). */
export async function dropStatesNotAsOf(conn: PoolConnection, asOf: number): Promise<void> {
  await conn.query('DELETE FROM scan_client_state WHERE as_of_transaction_id <> ?', [asOf]);
}
