/**
 * What a database holds, as the backup records it and the restore test compares it: row counts and CHECKSUM TABLE
 * per base table, and the names of every view, trigger, routine and event.
 *
 * At backup time these are read inside `START TRANSACTION WITH CONSISTENT SNAPSHOT` opened immediately before
 * mysqldump opens its own (InnoDB's CHECKSUM TABLE and COUNT(*) read that snapshot), so on a database that is not
 * being written to during those milliseconds they describe exactly what the dump holds.
 */
import type { Connection, RowDataPacket } from 'mysql2/promise';
import type { ObjectInventory, TableStats } from './manifest.js';
import type { Flavour } from './mysql-tools.js';

const quoteId = (name: string) => `\`${name.replace(/`/g, '``')}\``;

export async function serverInfo(conn: Connection): Promise<{ version: string; flavour: Flavour }> {
  const [rows] = await conn.query<RowDataPacket[]>('SELECT VERSION() AS version');
  const version = String(rows[0]?.version ?? 'unknown');
  return { version, flavour: /mariadb/i.test(version) ? 'mariadb' : 'mysql' };
}

/** Starts the read-only snapshot the stats are read in. */
export async function startSnapshot(conn: Connection): Promise<void> {
  await conn.query('SET SESSION TRANSACTION ISOLATION LEVEL REPEATABLE READ');
  await conn.query('START TRANSACTION WITH CONSISTENT SNAPSHOT, READ ONLY');
}

export async function baseTables(conn: Connection, database: string): Promise<string[]> {
  const [rows] = await conn.query<RowDataPacket[]>(
    `SELECT TABLE_NAME AS name FROM information_schema.TABLES
      WHERE TABLE_SCHEMA = ? AND TABLE_TYPE = 'BASE TABLE' ORDER BY TABLE_NAME`,
    [database],
  );
  return rows.map((r) => String(r.name));
}

/** Row count and CHECKSUM TABLE of every base table, one table at a time (cheap on memory, gentle on the server). */
export async function tableStats(
  conn: Connection,
  database: string,
  { checksums = true }: { checksums?: boolean } = {},
): Promise<TableStats[]> {
  const stats: TableStats[] = [];
  for (const name of await baseTables(conn, database)) {
    const table = `${quoteId(database)}.${quoteId(name)}`;
    const [counted] = await conn.query<RowDataPacket[]>(`SELECT COUNT(*) AS n FROM ${table}`);
    const checksum = checksums
      ? (await conn.query<RowDataPacket[]>(`CHECKSUM TABLE ${table}`))[0][0]?.Checksum
      : null;
    stats.push({
      name,
      rows: Number(counted[0]?.n ?? 0),
      checksum: checksum === null || checksum === undefined ? null : Number(checksum),
    });
  }
  return stats;
}

/** Names of the database's views, triggers, procedures, functions and events, sorted. */
export async function objectInventory(conn: Connection, database: string): Promise<ObjectInventory> {
  const names = async (sql: string) => {
    const [rows] = await conn.query<RowDataPacket[]>(sql, [database]);
    return rows.map((r) => String(r.name)).sort();
  };
  return {
    views: await names(
      "SELECT TABLE_NAME AS name FROM information_schema.TABLES WHERE TABLE_SCHEMA = ? AND TABLE_TYPE = 'VIEW'",
    ),
    triggers: await names(
      'SELECT TRIGGER_NAME AS name FROM information_schema.TRIGGERS WHERE TRIGGER_SCHEMA = ?',
    ),
    procedures: await names(
      "SELECT ROUTINE_NAME AS name FROM information_schema.ROUTINES WHERE ROUTINE_SCHEMA = ? AND ROUTINE_TYPE = 'PROCEDURE'",
    ),
    functions: await names(
      "SELECT ROUTINE_NAME AS name FROM information_schema.ROUTINES WHERE ROUTINE_SCHEMA = ? AND ROUTINE_TYPE = 'FUNCTION'",
    ),
    events: await names('SELECT EVENT_NAME AS name FROM information_schema.EVENTS WHERE EVENT_SCHEMA = ?'),
  };
}

/** True when the database has no table, view, routine, trigger or event (a safe restore target). */
export async function isEmptyDatabase(conn: Connection, database: string): Promise<boolean> {
  const inventory = await objectInventory(conn, database);
  const tables = await baseTables(conn, database);
  return tables.length === 0 && Object.values(inventory).every((list) => list.length === 0);
}

export interface StatsDifference {
  what: string;
  expected: unknown;
  actual: unknown;
}

/** Every difference between recorded and observed stats and inventories; empty when they match. */
export function compareStats(
  expected: { tables: TableStats[]; objects: ObjectInventory },
  actual: { tables: TableStats[]; objects: ObjectInventory },
): StatsDifference[] {
  const differences: StatsDifference[] = [];
  const actualByName = new Map(actual.tables.map((t) => [t.name, t]));
  for (const table of expected.tables) {
    const found = actualByName.get(table.name);
    if (!found) {
      differences.push({ what: `table ${table.name}`, expected: 'present', actual: 'missing' });
      continue;
    }
    if (found.rows !== table.rows)
      differences.push({ what: `${table.name} rows`, expected: table.rows, actual: found.rows });
    // A backup taken with BACKUP_TABLE_CHECKSUMS=false recorded none: counts and objects are compared only.
    if (table.checksum !== null && found.checksum !== table.checksum)
      differences.push({ what: `${table.name} checksum`, expected: table.checksum, actual: found.checksum });
    actualByName.delete(table.name);
  }
  for (const extra of actualByName.keys()) {
    differences.push({ what: `table ${extra}`, expected: 'absent', actual: 'present' });
  }
  for (const kind of Object.keys(expected.objects) as (keyof ObjectInventory)[]) {
    const want = expected.objects[kind].join(',');
    const got = actual.objects[kind].join(',');
    if (want !== got)
      differences.push({ what: kind, expected: expected.objects[kind], actual: actual.objects[kind] });
  }
  return differences;
}
