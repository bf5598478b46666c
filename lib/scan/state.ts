/**
 * The detection state between scans (table scan_client_state, migrations 0031 and 0032): one row per client —
 * what its rules remember, encoded by lib/rules/state-codec.ts — with the id of the last transaction it has seen
 * (`as_of_transaction_id`). An incremental chunk reads the rows of the clients it touches with their accounts and
 * writes them back before it moves the watermark; a state newer than the watermark (its chunk failed after writing
 * it) is not trusted: its client is replayed.
 */
import type { PoolConnection, ResultSetHeader, RowDataPacket } from 'mysql2/promise';
import { getPool } from '../db/pool.js';
import { STATE_VERSION } from '../rules/engine.js';
import { readStateHead } from '../rules/state-codec.js';
import { type ScanAccount, toAccount } from './source.js';
import { bulkWrite, TsvLines } from './writer.js';

/** Follows the `anomaly-scan` watermark: the transactions the saved state has seen. */
export const STATE_WATERMARK = 'anomaly-scan:state';

export interface LoadedState {
  /** The saved state as stored (lib/rules/state-codec.ts): decoded only when its client is judged. */
  saved: Buffer;
  /** The last transaction id the state has seen, and the latest booking time it has seen (ms). */
  asOf: number;
  latest: number;
}

/**
 * The accounts with a transaction fromId < id ≤ toId (with their client and its country) and the saved states of
 * those clients, in one query that can run while the rows themselves are read. A client has no state when no
 * transaction of it was judged yet; one whose state has another format version is listed in `outdated` (its
 * client is replayed from its history instead).
 */
export async function loadAccountsWithStates(
  fromId: number,
  toId: number,
): Promise<{ accounts: ScanAccount[]; states: Map<number, LoadedState>; outdated: Set<number> }> {
  const accounts: ScanAccount[] = [];
  const states = new Map<number, LoadedState>();
  const outdated = new Set<number>();
  if (toId <= fromId) return { accounts, states, outdated };
  const pool = await getPool();
  const [rows] = await pool.query<RowDataPacket[]>(
    {
      sql: `SELECT a.id, a.client_id, a.currency, a.opening_date, c.country, s.state, s.as_of_transaction_id
              FROM accounts a JOIN clients c ON c.id = a.client_id
              LEFT JOIN scan_client_state s ON s.client_id = a.client_id
             WHERE a.id IN (SELECT account_id FROM transactions WHERE id > ? AND id <= ?)`,
      rowsAsArray: true,
    },
    [fromId, toId],
  );
  for (const r of rows as unknown as unknown[][]) {
    const account = toAccount(r);
    accounts.push(account);
    if (r[5] === null || states.has(account.clientId)) continue;
    const saved = r[5] as Buffer;
    const head = readStateHead(saved);
    if (head?.version === STATE_VERSION) {
      states.set(account.clientId, { saved, asOf: Number(r[6]), latest: head.latest });
    } else outdated.add(account.clientId);
  }
  return { accounts, states, outdated };
}

/**
 * States per prepared statement (3 parameters each). Preparing a statement makes the server describe every
 * parameter, which the driver parses: 500 rows wrote 8 000 states in about half the time 2 000 took.
 */
const STATES_PER_STATEMENT = 500;

/**
 * Writes (inserts or replaces) client states (as ClientDetector.save encodes them) on `conn` with
 * `as_of_transaction_id` = `asOf`: prepared multi-row upserts, which send each state's bytes as they are (measured
 * faster than LOAD DATA, whose file would carry them as base64 or hex, and than a text INSERT).
 */
export async function saveStates(
  conn: PoolConnection,
  states: ReadonlyArray<readonly [number, Buffer]>,
  asOf: number,
): Promise<number> {
  let written = 0;
  for (let i = 0; i < states.length; i += STATES_PER_STATEMENT) {
    const slice = states.slice(i, i + STATES_PER_STATEMENT);
    const params: Array<number | Buffer> = [];
    for (const [clientId, saved] of slice) params.push(clientId, saved, asOf);
    const sql = `INSERT INTO scan_client_state (client_id, state, as_of_transaction_id)
       VALUES ${'(?, ?, ?), '.repeat(slice.length - 1)}(?, ?, ?)
       ON DUPLICATE KEY UPDATE state = VALUES(state), as_of_transaction_id = VALUES(as_of_transaction_id)`;
    const [result] = await conn.execute<ResultSetHeader>(sql, params);
    // The driver keeps each statement prepared on its connection: only the full-size one is worth keeping (one per
    // slice size would pile up on the server, which caps prepared statements at max_prepared_stmt_count).
    if (slice.length !== STATES_PER_STATEMENT) conn.unprepare(sql);
    written += result.affectedRows;
  }
  return written;
}

/**
 * The full scan's states, written as they are made into LOAD DATA's TSV bytes (client id, the state as base64,
 * as_of): 50 000s of states leave no buffer or row array of their own behind. A batch is reused once written.
 */
export class StateBatch {
  private readonly lines: TsvLines;

  constructor(capacity = 1 << 20) {
    this.lines = new TsvLines(capacity);
  }

  get size(): number {
    return this.lines.count;
  }

  add(clientId: number, base64: string, asOf: number): void {
    this.lines.append(`${clientId}\t${base64}\t${asOf}\n`);
  }

  reset(): this {
    this.lines.clear();
    return this;
  }

  /** The TSV bytes (valid until the next add or reset). */
  tsv(): Buffer {
    return this.lines.tsv();
  }

  /** The rows back (for the INSERT fallback only). */
  rows(): Array<[number, Buffer, number]> {
    return this.lines
      .cells()
      .map(([clientId, base64, asOf]) => [
        Number(clientId),
        Buffer.from(base64 as string, 'base64'),
        Number(asOf),
      ]);
  }
}

/** Writes `batch` on `conn` (LOAD DATA LOCAL … REPLACE where the server allows it, else INSERT … UPDATE). */
export function writeStateBatch(
  conn: PoolConnection,
  batch: StateBatch,
  { loadData = true }: { loadData?: boolean } = {},
): Promise<number> {
  if (batch.size === 0) return Promise.resolve(0);
  return bulkWrite(conn, {
    loadData,
    table: 'scan_client_state',
    columns: 'client_id, state, as_of_transaction_id',
    tsv: [batch.tsv()],
    rows: () => batch.rows(),
    load: { columns: 'client_id, @state, as_of_transaction_id', set: 'state = FROM_BASE64(@state)' },
    onDuplicate: 'REPLACE',
    fallback: `INSERT INTO scan_client_state (client_id, state, as_of_transaction_id) VALUES ?
       ON DUPLICATE KEY UPDATE state = VALUES(state), as_of_transaction_id = VALUES(as_of_transaction_id)`,
  });
}

/** Drops the states a full scan up to `asOf` did not write (clients that no longer have transactions). */
export async function dropStatesNotAsOf(conn: PoolConnection, asOf: number): Promise<void> {
  await conn.query('DELETE FROM scan_client_state WHERE as_of_transaction_id <> ?', [asOf]);
}
