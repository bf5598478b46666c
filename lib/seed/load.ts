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
 * A seed is several loads on the one connection, one statement after the other (`loadAll`). The socket and the
 * server's receive buffer hold tens of MB, so a load's rows are all generated well before the server has stored
 * them; while it finishes, the following loads' TSV is generated ahead, up to AHEAD_BYTES, and sent as soon as
 * their statements start. Generation stays strictly in order (a load's rows are all generated before the next
 * load's first), so a load may read state the previous ones left behind (accounts read the traffic's balances).
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
/** TSV generated ahead of its statement, at most: a default seed's tables after the traffic (about 15 MB) fit. */
const AHEAD_BYTES = 16 * 1024 * 1024;

/** One table's rows, for `loadAll`. */
export interface SeedLoad {
  table: string;
  columns: readonly string[];
  /** Pulled once, when the load before it has pulled all of its own. */
  rows: Iterable<Row>;
}

interface SocketLike {
  writableLength: number;
  once(event: 'drain', listener: () => void): unknown;
}

interface TsvChunk {
  bytes: Buffer;
  rows: number;
}

/**
 * A load's rows as LOAD DATA lines, in chunks of about 256 KB: generated when its statement asks for them, or
 * ahead of it (`generateAhead`). An error thrown by the generator ahead is kept and thrown where its chunk would
 * have been taken, so it fails that load, as it would have without the look-ahead.
 */
class TsvChunks {
  private iterator: Iterator<Row> | undefined;
  private readonly ready: TsvChunk[] = [];
  private failure: { error: unknown } | undefined;
  readyBytes = 0;
  /** All rows generated (taken or waiting in line). */
  exhausted = false;

  constructor(private readonly rows: Iterable<Row>) {}

  /** The next chunk (undefined once all rows were taken); throws the generator's error. */
  take(): TsvChunk | undefined {
    const chunk = this.ready.shift();
    if (chunk) {
      this.readyBytes -= chunk.bytes.length;
      return chunk;
    }
    if (this.failure) throw this.failure.error;
    return this.generate();
  }

  /**
   * Generates one more chunk to wait in line, if any rows are left; false once the generator has failed (nothing
   * after it may be generated ahead).
   */
  generateAhead(): boolean {
    if (this.failure) return false;
    try {
      const chunk = this.generate();
      if (chunk) {
        this.ready.push(chunk);
        this.readyBytes += chunk.bytes.length;
      }
      return true;
    } catch (error) {
      this.failure = { error };
      return false;
    }
  }

  private generate(): TsvChunk | undefined {
    if (this.exhausted) return undefined;
    this.iterator ??= this.rows[Symbol.iterator]();
    let text = '';
    let rows = 0;
    while (text.length < CHUNK_BYTES) {
      const next = this.iterator.next();
      if (next.done) {
        this.exhausted = true;
        break;
      }
      text += tsvLine(next.value);
      rows++;
    }
    return rows > 0 ? { bytes: Buffer.from(text, 'utf8'), rows } : undefined;
  }
}

/**
 * Generates the chunks of `later` loads, in order, one chunk per turn of the event loop (the statement in flight
 * still gets its answer on time), until `budget` bytes wait or a generator fails; returns the function that stops it.
 */
function generateAhead(later: readonly TsvChunks[], budget: number): () => void {
  let stopped = false;
  const step = () => {
    if (stopped || later.reduce((bytes, chunks) => bytes + chunks.readyBytes, 0) >= budget) return;
    const next = later.find((chunks) => !chunks.exhausted);
    if (next?.generateAhead()) setImmediate(step);
  };
  setImmediate(step);
  return () => {
    stopped = true;
  };
}

/**
 * The rows of one load, pulled once — as LOAD DATA's file (chunks asked for only while the socket is not backed up)
 * or as rows for INSERT — counting what was sent. `onGenerated` is called once the file has all its rows. An error
 * thrown by the generator while it feeds the file is kept (`failure`): it, not the server's complaint about a
 * cut-off file, is what the load reports.
 */
class SeedRows {
  sent = 0;
  failure: unknown;

  constructor(
    private readonly load: SeedLoad,
    private readonly chunks: TsvChunks,
    private readonly socket: SocketLike | undefined,
    private readonly onRows: (n: number) => void,
    private readonly onGenerated: () => void,
  ) {}

  /** Rows sent by an INSERT batch. */
  readonly inserted = (n: number): void => {
    this.sent += n;
    this.onRows(n);
  };

  insertRows(): Iterable<Row> {
    return this.load.rows;
  }

  file(): Readable {
    const source = this;
    let done = false;
    return new Readable({
      read() {
        if (done) return;
        const fill = () => {
          try {
            const chunk = source.chunks.take();
            if (chunk) {
              source.sent += chunk.rows;
              source.onRows(chunk.rows);
              this.push(chunk.bytes);
            } else {
              done = true;
              this.push(null);
              source.onGenerated();
            }
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
   * Loads each of `loads` into its table, one statement after the other, and returns how many rows each sent.
   * `onRows` is called every few thousand rows. While the server finishes a load, the TSV of the following ones is
   * generated ahead (see the header). An error thrown by a generator fails the load it feeds (after the server has
   * received a partial file, which the caller's transaction then rolls back).
   */
  async loadAll(
    method: LoadMethod,
    loads: readonly SeedLoad[],
    onRows: (table: string, n: number) => void = () => undefined,
  ): Promise<number[]> {
    const chunks = loads.map((load) => new TsvChunks(load.rows));
    const sent: number[] = [];
    for (const [i, load] of loads.entries()) {
      let stopAhead: () => void = () => undefined;
      const seedRows = new SeedRows(
        load,
        chunks[i] as TsvChunks,
        this.socket,
        (n) => onRows(load.table, n),
        () => {
          stopAhead = generateAhead(chunks.slice(i + 1), AHEAD_BYTES);
        },
      );
      try {
        sent.push(await this.loadOne(method, load, seedRows));
      } finally {
        stopAhead();
      }
    }
    return sent;
  }

  private async loadOne(method: LoadMethod, load: SeedLoad, seedRows: SeedRows): Promise<number> {
    try {
      await bulkLoad(
        this.conn,
        { table: load.table, columns: load.columns, file: `seed-${load.table}` },
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
