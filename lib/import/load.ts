/**
 * Loads an import's rows into an empty, migrated database in ONE InnoDB transaction on a dedicated connection,
 * through lib/db/bulk-load.ts (LOAD DATA LOCAL, else INSERT batches): a bad file, a killed process or a lost
 * server leaves the database as it was. It holds the scan lock throughout (as seed and migrate do), so no scan
 * reads a half import, and refuses a database that already has transactions.
 */
import { Readable } from 'node:stream';
import mysql, { type Connection, type RowDataPacket } from 'mysql2/promise';
import { bulkLoad, tsvLine } from '../db/bulk-load.js';
import { lockHeld, notMigrated } from '../db/failures.js';
import {
  acquireNamedLock,
  findLockHolder,
  releaseNamedLock,
  SCAN_LOCK,
  SCAN_LOCK_JOBS,
} from '../db/locks.js';
import { connectionOptions } from '../db/pool.js';
import { connectionFailure, type DbSettings } from '../db/settings.js';
import { LABEL_COLUMNS, TRANSACTION_COLUMNS, TRANSACTION_TYPES } from '../domain/bank.js';
import { ConflictError } from '../errors.js';
import { ACCOUNT_COLUMNS, CLIENT_COLUMNS, type ImportRows, type TransferTypeIds } from './rows.js';

const CHUNK_ROWS = 20_000;
const NEEDED_TABLES = ['clients', 'accounts', 'transactions', 'transaction_types', 'anomaly_labels'];

/** Rows written per table. */
export type LoadedRows = Record<'clients' | 'accounts' | 'transactions' | 'anomaly_labels', number>;

/** Sends `rows` into `table` in chunks of CHUNK_ROWS, calling `onRows` after each. */
async function loadTable(
  conn: Connection,
  table: string,
  columns: readonly string[],
  rows: Iterable<ReadonlyArray<string | number | null>>,
  onRows: (n: number) => void,
): Promise<number> {
  let chunk: ReadonlyArray<string | number | null>[] = [];
  let loaded = 0;
  const send = async () => {
    const lines = chunk.map((row) => tsvLine(row)).join('');
    const batch = chunk;
    loaded += await bulkLoad(
      conn,
      { table, columns, file: `import-${table}` },
      { file: () => Readable.from([Buffer.from(lines, 'utf8')]), rows: () => batch },
    );
    onRows(chunk.length);
    chunk = [];
  };
  for (const row of rows) {
    chunk.push(row);
    if (chunk.length >= CHUNK_ROWS) await send();
  }
  if (chunk.length > 0) await send();
  return loaded;
}

/** Checks the schema is there and the database holds no bank yet. */
async function checkTarget(conn: Connection, settings: DbSettings): Promise<void> {
  const [present] = await conn.query<RowDataPacket[]>(
    'SELECT TABLE_NAME AS name FROM information_schema.TABLES WHERE TABLE_SCHEMA = ?',
    [settings.database],
  );
  const names = new Set(present.map((r) => String(r.name)));
  const missing = NEEDED_TABLES.filter((t) => !names.has(t));
  if (missing.length > 0) throw notMigrated(settings, missing);
  const [[counts]] = await conn.query<RowDataPacket[]>(
    'SELECT (SELECT COUNT(*) FROM clients) AS clients, (SELECT COUNT(*) FROM transactions) AS transactions',
  );
  if (Number(counts?.clients) > 0 || Number(counts?.transactions) > 0)
    throw new ConflictError(
      `database ${settings.database} already holds a bank (${counts?.clients} clients, ${counts?.transactions} transactions); import into a new database (--database D)`,
    );
}

/** The ids of the two transfer types, after writing the type list where a seed has not (ids as the seeder's). */
async function transferTypes(conn: Connection): Promise<TransferTypeIds> {
  await conn.query('INSERT IGNORE INTO transaction_types (id, type, description) VALUES ?', [
    TRANSACTION_TYPES.map((t, i) => [i + 1, t.type, t.description]),
  ]);
  const [rows] = await conn.query<RowDataPacket[]>(
    "SELECT id, type FROM transaction_types WHERE type IN ('outgoing transfer', 'incoming transfer')",
  );
  const id = (type: string) => Number(rows.find((r) => r.type === type)?.id);
  const ids = { outgoing: id('outgoing transfer'), incoming: id('incoming transfer') };
  if (!ids.outgoing || !ids.incoming) throw new ConflictError('transaction_types lacks the transfer types');
  return ids;
}

/** What loadImport needs: the rows (made once the transfer type ids are known) and a progress callback. */
export interface LoadOptions {
  makeRows: (types: TransferTypeIds) => { clients: (string | number)[][]; rows: ImportRows };
  onProgress?: (done: number, total: number) => void;
}

/** Loads the import into `settings.database` all or nothing; resolves with the rows written per table. */
export async function loadImport(
  settings: DbSettings,
  { makeRows, onProgress }: LoadOptions,
): Promise<LoadedRows> {
  let conn: Connection;
  try {
    conn = await mysql.createConnection(connectionOptions(settings));
  } catch (error) {
    throw connectionFailure(settings, error);
  }
  try {
    const lock = await acquireNamedLock(conn, settings.database, SCAN_LOCK, 0, 'import');
    if (!lock) {
      const holder = await findLockHolder(conn, settings.database, SCAN_LOCK, SCAN_LOCK_JOBS);
      throw lockHeld({ lock: 'scan lock', database: settings.database, holder, asker: 'import' });
    }
    await checkTarget(conn, settings);
    await conn.beginTransaction();
    try {
      const { clients, rows } = makeRows(await transferTypes(conn));
      const total = clients.length + rows.accounts.length + rows.transactionCount;
      let done = 0;
      const progress = (n: number) => {
        done += n;
        onProgress?.(done, total);
      };
      const loaded: LoadedRows = {
        clients: await loadTable(conn, 'clients', CLIENT_COLUMNS, clients, progress),
        accounts: await loadTable(conn, 'accounts', ACCOUNT_COLUMNS, rows.accounts, progress),
        transactions: await loadTable(conn, 'transactions', TRANSACTION_COLUMNS, rows.transactions, progress),
        anomaly_labels: await loadTable(conn, 'anomaly_labels', LABEL_COLUMNS, rows.labels, () => undefined),
      };
      await conn.commit();
      return loaded;
    } catch (error) {
      await conn.rollback().catch(() => undefined);
      throw error;
    } finally {
      await releaseNamedLock(conn, lock);
    }
  } finally {
    await conn.end().catch(() => conn.destroy());
  }
}
