/**
 * The tables a seed writes, what `--reset` empties (and in which order), and the AUTO_INCREMENT counters restarted
 * after the commit, so the same options give the same database however often a bank is replaced.
 */
import type { RowDataPacket } from 'mysql2/promise';
import { logger } from '../log.js';
import type { SeedConnection } from './load.js';

/** The tables the seeder writes, brief tables first. */
export const SEEDED_TABLES = ['clients', 'locations', 'accounts', 'transactions', 'anomaly_labels'] as const;

/**
 * Tables derived from the seeded data without a foreign key to it, emptied by --reset too: the scan's state
 * (`scan_runs`, `scan_watermarks`, `scan_amount_histogram` …) — a watermark or histogram kept across a reset would
 * describe transactions that no longer exist.
 */
const isDerivedTable = (table: string) => table.startsWith('scan_');

export interface ResetTables {
  /** The seeded tables and those that (transitively) reference them, children first. */
  bank: string[];
  /** Tables derived from them without a foreign key (isDerivedTable). */
  derived: string[];
}

/** What --reset empties: the bank, then (last, see runSeed) the derived tables. */
export async function resetTables(seed: SeedConnection, database: string): Promise<ResetTables> {
  const [edges] = await seed.conn.query<RowDataPacket[]>(
    `SELECT TABLE_NAME AS child, REFERENCED_TABLE_NAME AS parent
       FROM information_schema.REFERENTIAL_CONSTRAINTS WHERE CONSTRAINT_SCHEMA = ?`,
    [database],
  );
  const children = new Map<string, Set<string>>();
  for (const e of edges) {
    const set = children.get(String(e.parent)) ?? new Set<string>();
    set.add(String(e.child));
    children.set(String(e.parent), set);
  }
  const order: string[] = [];
  const visiting = new Set<string>();
  const visit = (table: string) => {
    if (order.includes(table) || visiting.has(table)) return;
    visiting.add(table);
    for (const child of children.get(table) ?? []) if (child !== table) visit(child);
    order.push(table);
  };
  for (const t of SEEDED_TABLES) visit(t);
  const [present] = await seed.conn.query<RowDataPacket[]>(
    'SELECT TABLE_NAME AS name FROM information_schema.TABLES WHERE TABLE_SCHEMA = ?',
    [database],
  );
  const names = new Set(present.map((r) => String(r.name)));
  return {
    bank: order.filter((t) => t !== 'transaction_types'),
    derived: [...names].filter((t) => isDerivedTable(t) && !order.includes(t)).sort(),
  };
}

/** Deletes every row of `tables`, in order, inside the caller's transaction. */
export async function emptyTables(seed: SeedConnection, tables: readonly string[]): Promise<void> {
  for (const table of tables) await seed.conn.query(`DELETE FROM \`${table}\``);
}

/**
 * After the commit: the AUTO_INCREMENT counter of each of `tables` that has one starts again after its highest id
 * (at 1 when empty), as on a freshly migrated database. ALTER TABLE is DDL, an implicit commit, hence not inside the
 * run's transaction; it changes no row and rebuilds nothing. It waits at most 5 s for a table's metadata lock, so a
 * long read elsewhere cannot stall the table's users behind it; a table it cannot reach keeps its counter (its rows
 * are right either way) and is logged.
 */
export async function restartAutoIncrements(
  seed: SeedConnection,
  database: string,
  tables: readonly string[],
): Promise<void> {
  if (tables.length === 0) return;
  const [counted] = await seed.conn.query<RowDataPacket[]>(
    `SELECT TABLE_NAME AS name FROM information_schema.COLUMNS
      WHERE TABLE_SCHEMA = ? AND TABLE_NAME IN (?) AND EXTRA LIKE '%auto_increment%'`,
    [database, tables],
  );
  await seed.conn.query('SET SESSION lock_wait_timeout = 5');
  for (const table of tables.filter((t) => counted.some((r) => r.name === t))) {
    try {
      await seed.conn.query(`ALTER TABLE \`${table}\` AUTO_INCREMENT = 1`);
    } catch (error) {
      logger.warn("could not restart a table's AUTO_INCREMENT after the seed", {
        table,
        code: (error as { code?: string }).code,
      });
    }
  }
}
