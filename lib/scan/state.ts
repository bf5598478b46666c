/**
 * The detection state between scans (table scan_client_state, migrations 0031 and 0032): one row per client —
 * what its rules remember, encoded by lib/rules/state-codec.ts — with the id of the last transaction it has seen
 * (`as_of_transaction_id`). An incremental chunk reads the rows of the clients it touches (judging each client as
 * its row arrives) and writes them back before it moves the watermark; a state newer than the watermark (its chunk
 * failed after writing it) is not trusted: its client is replayed.
 */
import type { PoolConnection, ResultSetHeader } from 'mysql2/promise';
import { type BulkTarget, bulkLoad, TsvBatch } from '../db/bulk-load.js';
import { streamRows } from '../db/pool.js';
import { columnIndex } from '../db/row-columns.js';
import { STATE_VERSION } from '../rules/engine.js';
import { readStateHead } from '../rules/state-codec.js';

export interface LoadedState {
  /** The saved state as stored (lib/rules/state-codec.ts): decoded only when its client is judged. */
  saved: Buffer;
  /** The last transaction id the state has seen, and the latest booking time it has seen (ms). */
  asOf: number;
  latest: number;
}

const STATE_SELECT = ['s.client_id', 's.state', 's.as_of_transaction_id'] as const;
const STATE = columnIndex(STATE_SELECT);

/**
 * The saved states of the clients with a transaction fromId < id ≤ toId, read on a connection of their own and kept
 * as they arrive: an incremental chunk judges each client as soon as its state is in, while the rest are still on
 * the wire. A client has no state when no transaction of it was judged yet; one whose state has another format
 * version is listed in `outdated` (its client is replayed from its history instead).
 */
export class ChunkStates {
  readonly states = new Map<number, LoadedState>();
  readonly outdated = new Set<number>();
  /** Every client whose row has arrived, in arrival order. */
  private readonly arrived: number[] = [];
  private finished = false;
  private failure: Error | undefined;
  private wake: (() => void) | undefined;
  /** Settles when every row is in (rejects when the read failed). */
  readonly loaded: Promise<void>;

  constructor(fromId: number, toId: number) {
    this.loaded = toId > fromId ? this.read(fromId, toId) : Promise.resolve();
    if (toId <= fromId) this.finished = true;
    this.loaded.catch(() => undefined);
  }

  private async read(fromId: number, toId: number): Promise<void> {
    try {
      // Driven by the chunk's clients (a key lookup each), not by a scan of every saved state.
      await streamRows(
        `SELECT ${STATE_SELECT.join(', ')}
           FROM (SELECT DISTINCT a.client_id FROM transactions t JOIN accounts a ON a.id = t.account_id
                  WHERE t.id > ? AND t.id <= ?) k
           STRAIGHT_JOIN scan_client_state s ON s.client_id = k.client_id`,
        [fromId, toId],
        (r) => {
          const clientId = Number(r[STATE.client_id]);
          const saved = r[STATE.state] as Buffer;
          const head = readStateHead(saved);
          if (head?.version === STATE_VERSION) {
            this.states.set(clientId, {
              saved,
              asOf: Number(r[STATE.as_of_transaction_id]),
              latest: head.latest,
            });
          } else this.outdated.add(clientId);
          this.arrived.push(clientId);
          this.notify();
        },
      );
    } catch (error) {
      this.failure = error as Error;
      throw error;
    } finally {
      this.finished = true;
      this.notify();
    }
  }

  private notify(): void {
    const wake = this.wake;
    this.wake = undefined;
    wake?.();
  }

  /** Each client whose state has arrived, as it arrives (from the first again on another call); throws when the read failed. */
  async *clients(): AsyncGenerator<number> {
    let i = 0;
    for (;;) {
      while (i < this.arrived.length) yield this.arrived[i++] as number;
      if (this.finished) {
        if (this.failure) throw this.failure;
        return;
      }
      await new Promise<void>((resolve) => {
        this.wake = resolve;
      });
    }
  }
}

/** What a state written for a client that has one already does: it replaces it. */
const REPLACE_STATE =
  'ON DUPLICATE KEY UPDATE state = VALUES(state), as_of_transaction_id = VALUES(as_of_transaction_id)';

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
       VALUES ${'(?, ?, ?), '.repeat(slice.length - 1)}(?, ?, ?) ${REPLACE_STATE}`;
    const [result] = await conn.execute<ResultSetHeader>(sql, params);
    // The driver keeps each statement prepared on its connection: only the full-size one is worth keeping (one per
    // slice size would pile up on the server, which caps prepared statements at max_prepared_stmt_count).
    if (slice.length !== STATES_PER_STATEMENT) conn.unprepare(sql);
    written += result.affectedRows;
  }
  return written;
}

/** The cells of a state line, in the order StateBatch.add writes them: the state as base64. */
const STATE_CELLS = { client_id: 'number', state: 'base64', as_of_transaction_id: 'number' } as const;

const STATES: BulkTarget = {
  table: 'scan_client_state',
  columns: Object.keys(STATE_CELLS),
  file: 'scan-scan_client_state.tsv',
  load: { columns: ['client_id', '@state', 'as_of_transaction_id'], set: 'state = FROM_BASE64(@state)' },
  onDuplicate: 'REPLACE',
  insert: `INSERT INTO scan_client_state (client_id, state, as_of_transaction_id) VALUES ? ${REPLACE_STATE}`,
};

/**
 * The full scan's states, written as they are made into LOAD DATA's TSV bytes (client id, the state as base64,
 * as_of): 50 000s of states leave no buffer or row array of their own behind. A batch is reused once written.
 */
export class StateBatch extends TsvBatch {
  constructor(capacity = 1 << 20) {
    super(STATE_CELLS, capacity);
  }

  add(clientId: number, base64: string, asOf: number): void {
    this.lines.append(`${clientId}\t${base64}\t${asOf}\n`);
  }
}

/** Writes `batch` on `conn` (LOAD DATA LOCAL … REPLACE where the server allows it, else INSERT … UPDATE). */
export function writeStateBatch(
  conn: PoolConnection,
  batch: StateBatch,
  { loadData = true }: { loadData?: boolean } = {},
): Promise<number> {
  if (batch.size === 0) return Promise.resolve(0);
  return bulkLoad(conn, STATES, batch, { method: loadData ? 'auto' : 'insert' });
}

/** Drops the states a full scan up to `asOf` did not write (clients that no longer have transactions). */
export async function dropStatesNotAsOf(conn: PoolConnection, asOf: number): Promise<void> {
  await conn.query('DELETE FROM scan_client_state WHERE as_of_transaction_id <> ?', [asOf]);
}
