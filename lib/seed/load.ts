/**
 * Bulk loading for the seeder, on one dedicated connection (never the shared pool): rows are pulled from a
 * generator while the server consumes them, through the bulk loader of lib/db/bulk-load.ts.
 *
 *  - `load-data`: `LOAD DATA LOCAL INFILE` whose "file" is a Readable fed by the generator. Backpressure comes from
 *    the socket: while more than a few MB wait to be sent, the generator is not asked for more rows, so memory
 *    stays flat however many rows there are.
 *  - `insert`: batched multi-row INSERT (a few thousand rows a statement), for servers that forbid local infile
 *    (MySQL 8's default `local_infile=OFF`, RDS without it in the parameter group).
 *
 * `canLoadLocal` probes with an empty LOAD DATA into a real table (0 rows, no temporary-table privilege needed).
 */
import { Readable } from 'node:stream';
import mysql, { type Connection } from 'mysql2/promise';
import { bulkLoad, canLoadLocal, type LoadMethod, tsvLine } from '../db/bulk-load.js';
import { connectionOptions } from '../db/pool.js';
import { connectionFailure, type DbSettings } from '../db/settings.js';
import type { Row } from './rows.js';

export type { LoadMethod } from '../db/bulk-load.js';

const CHUNK_BYTES = 256 * 1024;
const SOCKET_HIGH_WATER = 4 * 1024 * 1024;
const INSERT_BATCH_ROWS = 2_000;

interface SocketLike {
  writableLength: number;
  once(event: 'drain', listener: () => void): unknown;
}

/**
 * The rows of one load, pulled from their generator once — as LOAD DATA's file (TSV chunks of about 256 KB, asked
 * for only while the socket is not backed up) or as rows for INSERT — counting what was sent. An error thrown by
 * the generator while it feeds the file is kept (`failure`): it, not the server's complaint about a cut-off file,
 * is what the load reports.
 */
class SeedRows {
  sent = 0;
  failure: unknown;

  constructor(
    private readonly rows: Iterable<Row>,
    private readonly socket: SocketLike | undefined,
    private readonly onRows: (n: number) => void,
  ) {}

  /** Rows sent by an INSERT batch. */
  readonly inserted = (n: number): void => {
    this.sent += n;
    this.onRows(n);
  };

  insertRows(): Iterable<Row> {
    return this.rows;
  }

  file(): Readable {
    const iterator = this.rows[Symbol.iterator]();
    const source = this;
    let done = false;
    return new Readable({
      read() {
        if (done) return;
        const fill = () => {
          try {
            let chunk = '';
            let n = 0;
            while (chunk.length < CHUNK_BYTES) {
              const next = iterator.next();
              if (next.done) {
                done = true;
                break;
              }
              chunk += tsvLine(next.value);
              n++;
            }
            source.sent += n;
            if (n > 0) source.onRows(n);
            if (chunk.length > 0) this.push(Buffer.from(chunk, 'utf8'));
            if (done) this.push(null);
          } catch (error) {
            source.failure = error;
            done = true;
            this.destroy(error as Error);
          }
        };
        if (source.socket && source.socket.writableLength > SOCKET_HIGH_WATER)
          source.socket.once('drain', fill);
        else fill();
      },
    });
  }
}

/** A dedicated connection for the seeder's loads. */
export class SeedConnection {
  private constructor(readonly conn: Connection) {}

  /**
   * Opens the connection. `flags` passes mysql2 capability flags (tests use `['-LOCAL_FILES']` to make the
   * server refuse LOAD DATA LOCAL and exercise the INSERT fallback).
   */
  static async open(settings: DbSettings, { flags }: { flags?: string[] } = {}): Promise<SeedConnection> {
    try {
      const conn = await mysql.createConnection({
        ...connectionOptions(settings),
        ...(flags ? { flags } : {}),
      });
      return new SeedConnection(conn);
    } catch (error) {
      throw connectionFailure(settings, error);
    }
  }

  /** The server thread id (tests kill it to simulate a crash mid-load). */
  get threadId(): number {
    return (this.conn as unknown as { threadId: number }).threadId;
  }

  private get socket(): SocketLike | undefined {
    return (this.conn as unknown as { connection?: { stream?: SocketLike } }).connection?.stream;
  }

  async end(): Promise<void> {
    await this.conn.end().catch(() => this.conn.destroy());
  }

  /** True when LOAD DATA LOCAL works here; false when the server or client refuses it. */
  canLoadLocal(probeTable: string): Promise<boolean> {
    return canLoadLocal(this.conn, probeTable, `seed-probe-${probeTable}`);
  }

  /**
   * Loads `rows` into `table` and returns how many were sent. `onRows` is called every few thousand rows.
   * An error thrown by the generator fails the load (after the server has received a partial file, which the
   * caller's transaction then rolls back).
   */
  async load(
    method: LoadMethod,
    table: string,
    columns: readonly string[],
    rows: Iterable<Row>,
    onRows: (n: number) => void = () => undefined,
  ): Promise<number> {
    const seedRows = new SeedRows(rows, this.socket, onRows);
    try {
      await bulkLoad(
        this.conn,
        { table, columns, file: `seed-${table}` },
        { file: () => seedRows.file(), rows: () => seedRows.insertRows() },
        { method, batchRows: INSERT_BATCH_ROWS, onBatch: seedRows.inserted },
      );
    } catch (error) {
      throw seedRows.failure ?? error;
    }
    if (seedRows.failure) throw seedRows.failure;
    return seedRows.sent;
  }
}
