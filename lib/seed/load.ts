/**
 * Bulk loading for the seeder, on one dedicated connection (never the shared pool): rows are pulled from a
 * generator while the server consumes them.
 *
 *  - `load-data`: `LOAD DATA LOCAL INFILE` whose "file" is a Readable fed by the generator through mysql2's
 *    `infileStreamFactory`. Backpressure comes from the socket: while more than a few MB wait to be sent, the
 *    generator is not asked for more rows, so memory stays flat however many rows there are.
 *  - `insert`: batched multi-row INSERT (a few thousand rows a statement), for servers that forbid local infile
 *    (MySQL 8's default `local_infile=OFF`, RDS without it in the parameter group).
 *
 * `detectLoadMethod` probes with an empty LOAD DATA into a real table (0 rows, no temporary-table privilege needed).
 */
import { Readable } from 'node:stream';
import mysql, { type Connection, type ResultSetHeader } from 'mysql2/promise';
import { connectionOptions } from '../db/pool.js';
import { connectionFailure, type DbSettings } from '../db/settings.js';
import { type Row, tsvLine } from './rows.js';

export type LoadMethod = 'load-data' | 'insert';

/**
 * Errors meaning "this server or client will not do LOAD DATA LOCAL": 1148 ER_NOT_ALLOWED_COMMAND (MySQL 5.7,
 * older MariaDB), 3948 ER_CLIENT_LOCAL_FILES_DISABLED / 2068 (MySQL 8), 4166 ER_LOAD_INFILE_CAPABILITY_DISABLED
 * (MariaDB 10.5+).
 */
const LOCAL_INFILE_REFUSED = new Set([
  'ER_NOT_ALLOWED_COMMAND',
  'ER_LOAD_INFILE_CAPABILITY_DISABLED',
  'ER_CLIENT_LOCAL_FILES_DISABLED',
]);
const LOCAL_INFILE_REFUSED_ERRNO = new Set([1148, 3948, 2068, 4166]);

export function isLocalInfileRefused(error: unknown): boolean {
  const e = error as { code?: string; errno?: number } | null;
  return Boolean(
    e && (LOCAL_INFILE_REFUSED.has(e.code ?? '') || LOCAL_INFILE_REFUSED_ERRNO.has(e.errno ?? 0)),
  );
}

const CHUNK_BYTES = 256 * 1024;
const SOCKET_HIGH_WATER = 4 * 1024 * 1024;
const INSERT_BATCH_ROWS = 2_000;

interface SocketLike {
  writableLength: number;
  once(event: 'drain', listener: () => void): unknown;
}

/** A dedicated connection that can answer LOAD DATA LOCAL requests with the loader's current stream. */
export class SeedConnection {
  private streams = new Map<string, Readable>();

  private constructor(readonly conn: Connection) {}

  /**
   * Opens the connection. `flags` passes mysql2 capability flags (tests use `['-LOCAL_FILES']` to make the
   * server refuse LOAD DATA LOCAL and exercise the INSERT fallback).
   */
  static async open(settings: DbSettings, { flags }: { flags?: string[] } = {}): Promise<SeedConnection> {
    const holder: { self?: SeedConnection } = {};
    let conn: Connection;
    try {
      conn = await mysql.createConnection({
        ...connectionOptions(settings),
        ...(flags ? { flags } : {}),
        infileStreamFactory: (path: string) => {
          const stream = holder.self?.streams.get(path);
          if (!stream) throw new Error(`no seed stream registered for ${path}`);
          return stream;
        },
      });
    } catch (error) {
      throw connectionFailure(settings, error);
    }
    const self = new SeedConnection(conn);
    holder.self = self;
    return self;
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
  async canLoadLocal(probeTable: string): Promise<boolean> {
    const name = `seed-probe-${probeTable}`;
    this.streams.set(name, Readable.from([]));
    try {
      await this.conn.query(`LOAD DATA LOCAL INFILE '${name}' INTO TABLE \`${probeTable}\``);
      return true;
    } catch (error) {
      if (isLocalInfileRefused(error)) return false;
      throw error;
    } finally {
      this.streams.delete(name);
    }
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
    return method === 'load-data'
      ? this.loadData(table, columns, rows, onRows)
      : this.insertBatches(table, columns, rows, onRows);
  }

  private async loadData(
    table: string,
    columns: readonly string[],
    rows: Iterable<Row>,
    onRows: (n: number) => void,
  ): Promise<number> {
    const iterator = rows[Symbol.iterator]();
    const socket = this.socket;
    let sent = 0;
    let failure: unknown;
    let done = false;
    const stream = new Readable({
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
            sent += n;
            if (n > 0) onRows(n);
            if (chunk.length > 0) this.push(Buffer.from(chunk, 'utf8'));
            if (done) this.push(null);
          } catch (error) {
            failure = error;
            done = true;
            this.destroy(error as Error);
          }
        };
        if (socket && socket.writableLength > SOCKET_HIGH_WATER) socket.once('drain', fill);
        else fill();
      },
    });
    const name = `seed-${table}`;
    this.streams.set(name, stream);
    try {
      await this.conn.query<ResultSetHeader>(
        `LOAD DATA LOCAL INFILE '${name}' INTO TABLE \`${table}\` CHARACTER SET utf8mb4
           FIELDS TERMINATED BY '\\t' ESCAPED BY '\\\\' LINES TERMINATED BY '\\n'
           (${columns.map((c) => `\`${c}\``).join(', ')})`,
      );
    } catch (error) {
      throw failure ?? error;
    } finally {
      this.streams.delete(name);
    }
    if (failure) throw failure;
    return sent;
  }

  private async insertBatches(
    table: string,
    columns: readonly string[],
    rows: Iterable<Row>,
    onRows: (n: number) => void,
  ): Promise<number> {
    const sql = `INSERT INTO \`${table}\` (${columns.map((c) => `\`${c}\``).join(', ')}) VALUES ?`;
    let batch: Row[] = [];
    let sent = 0;
    for (const row of rows) {
      batch.push(row);
      if (batch.length >= INSERT_BATCH_ROWS) {
        await this.conn.query(sql, [batch]);
        sent += batch.length;
        onRows(batch.length);
        batch = [];
      }
    }
    if (batch.length > 0) {
      await this.conn.query(sql, [batch]);
      sent += batch.length;
      onRows(batch.length);
    }
    return sent;
  }
}
