/**
 * Creates the brief's six tables from `0001_brief_tables.sql` — or adopts the original Financial Monitor's tables.
 *
 * Adoption (tables already there in the old shape: INT ids, 3-byte utf8, `transactions.date` as an auto-updating
 * TIMESTAMP, TEXT everywhere, few keys) is copy-and-swap, so it is all or nothing:
 *   1. preflight: refuse, before touching anything, on columns we would have to drop, missing required columns,
 *      or rows that would break a foreign key — naming the table, column and row count;
 *   2. create each target table under a scratch name (no foreign keys yet) and copy every row into it, ids kept,
 *      under strict SQL mode so no value can be truncated or coerced silently; compare row counts;
 *   3. one atomic RENAME TABLE swaps all of them in: the old tables stay as `legacy_<name>` (nothing is deleted);
 *   4. add the foreign keys, then create any brief table the old database lacked.
 * A failure in 1–2 drops the scratch tables and leaves the old ones exactly as they were; a failure in 4 is
 * finished by running `npm run migrate` again (every step checks what is already in place).
 *
 * The TIMESTAMP → DATETIME copy converts in the server's own time zone (this connection never changes it), i.e. the
 * wall-clock values the old application read are the values kept.
 */
import { readFile } from 'node:fs/promises';
import type { Connection, RowDataPacket } from 'mysql2/promise';
import type { MigrationContext } from '../../lib/db/migrate.js';

/** The brief's tables, parents before children. */
export const BRIEF_TABLES = [
  'clients',
  'locations',
  'accounts',
  'transaction_types',
  'transactions',
  'alerts',
] as const;
type BriefTable = (typeof BRIEF_TABLES)[number];

const SCRATCH = '_fm_new_';
const PROBE = '_fm_probe_';

interface ForeignKey {
  name: string;
  table: BriefTable;
  column: string;
  parent: BriefTable;
  clause: string;
}

interface TableDdl {
  table: BriefTable;
  /** The full CREATE TABLE statement. */
  full: string;
  /** The statement without its foreign keys, with `{name}` in place of the table name. */
  withoutForeignKeys: string;
  foreignKeys: ForeignKey[];
}

interface ColumnInfo {
  name: string;
  type: string;
  nullable: boolean;
  hasDefault: boolean;
  collation: string | null;
  extra: string;
}

export class AdoptionError extends Error {
  override name = 'AdoptionError';
}

/** Splits the SQL file into one DDL description per table. */
export function parseDdl(sql: string): Map<BriefTable, TableDdl> {
  const statements = sql
    .replace(/^--.*$/gm, '')
    .split(/;\s*(?:\n|$)/)
    .map((s) => s.trim())
    .filter((s) => s.startsWith('CREATE TABLE'));
  const result = new Map<BriefTable, TableDdl>();
  for (const full of statements) {
    const table = /^CREATE TABLE (\w+)/.exec(full)?.[1] as BriefTable | undefined;
    if (!table || !BRIEF_TABLES.includes(table)) throw new Error(`unexpected table in 0001 SQL: ${table}`);
    const lines = full.split('\n');
    const foreignKeys: ForeignKey[] = [];
    const kept = lines.filter((line) => {
      const fk = /CONSTRAINT (\w+) FOREIGN KEY \((\w+)\) REFERENCES (\w+) \(id\)([^,]*)/.exec(line);
      if (!fk) return true;
      const [, name, column, parent, rest] = fk as unknown as [string, string, string, BriefTable, string];
      foreignKeys.push({
        name,
        table,
        column,
        parent,
        clause: `CONSTRAINT ${name} FOREIGN KEY (${column}) REFERENCES ${parent} (id)${rest.trimEnd()}`,
      });
      return false;
    });
    // Dropping the FK lines can leave a trailing comma before the closing parenthesis.
    const withoutForeignKeys = kept
      .join('\n')
      .replace(/,\s*\n\)/, '\n)')
      .replace(/^CREATE TABLE \w+/, 'CREATE TABLE `{name}`');
    result.set(table, { table, full, withoutForeignKeys, foreignKeys });
  }
  for (const table of BRIEF_TABLES) if (!result.has(table)) throw new Error(`0001 SQL lacks table ${table}`);
  return result;
}

async function rows<T>(conn: Connection, sql: string, params: unknown[] = []): Promise<T[]> {
  const [result] = await conn.query<RowDataPacket[]>(sql, params);
  return result as unknown as T[];
}

async function existingTables(conn: Connection): Promise<Set<string>> {
  const found = await rows<{ name: string }>(
    conn,
    `SELECT TABLE_NAME AS name FROM information_schema.TABLES
      WHERE TABLE_SCHEMA = DATABASE() AND TABLE_TYPE = 'BASE TABLE'`,
  );
  return new Set(found.map((r) => r.name));
}

async function columnsOf(conn: Connection, table: string): Promise<ColumnInfo[]> {
  const found = await rows<{
    name: string;
    type: string;
    nullable: string;
    dflt: string | null;
    collation: string | null;
    extra: string;
  }>(
    conn,
    `SELECT COLUMN_NAME AS name, COLUMN_TYPE AS type, IS_NULLABLE AS nullable, COLUMN_DEFAULT AS dflt,
            COLLATION_NAME AS collation, EXTRA AS extra
       FROM information_schema.COLUMNS
      WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = ?
      ORDER BY ORDINAL_POSITION`,
    [table],
  );
  return found.map((c) => ({
    name: c.name,
    type: c.type.toLowerCase(),
    nullable: c.nullable === 'YES',
    hasDefault: c.dflt !== null || c.nullable === 'YES' || /auto_increment/i.test(c.extra),
    collation: c.collation,
    extra: c.extra.toLowerCase(),
  }));
}

async function foreignKeyNames(conn: Connection): Promise<Set<string>> {
  const found = await rows<{ name: string }>(
    conn,
    `SELECT CONSTRAINT_NAME AS name FROM information_schema.REFERENTIAL_CONSTRAINTS
      WHERE CONSTRAINT_SCHEMA = DATABASE()`,
  );
  return new Set(found.map((r) => r.name));
}

async function rowCount(conn: Connection, table: string): Promise<number> {
  const [r] = await rows<{ n: number }>(conn, `SELECT COUNT(*) AS n FROM \`${table}\``);
  return Number(r?.n ?? 0);
}

function sameShape(actual: ColumnInfo[], target: ColumnInfo[]): boolean {
  if (actual.length < target.length) return false;
  return target.every((t) => {
    const a = actual.find((c) => c.name === t.name);
    return a !== undefined && a.type === t.type && a.nullable === t.nullable && a.collation === t.collation;
  });
}

/** How to read an old column into the new one, where a plain copy would not do. */
function selectExpression(table: BriefTable, column: ColumnInfo): string {
  const id = `\`${column.name}\``;
  // The brief allowed accounts.is_active as 1/0 or True/False text: keep the meaning, refuse anything else.
  if (table === 'accounts' && column.name === 'is_active' && !/int|bit|bool/.test(column.type)) {
    return `CASE WHEN LOWER(TRIM(${id})) IN ('1','true','yes') THEN 1
                 WHEN LOWER(TRIM(${id})) IN ('0','false','no') THEN 0 ELSE NULL END`;
  }
  return id;
}

async function preflight(
  conn: Connection,
  legacy: BriefTable[],
  probes: Map<BriefTable, ColumnInfo[]>,
  ddl: Map<BriefTable, TableDdl>,
  present: Set<string>,
): Promise<Map<BriefTable, ColumnInfo[]>> {
  const problems: string[] = [];
  const legacyColumns = new Map<BriefTable, ColumnInfo[]>();
  for (const table of legacy) {
    const old = await columnsOf(conn, table);
    legacyColumns.set(table, old);
    const target = probes.get(table) ?? [];
    for (const column of old) {
      if (!target.some((t) => t.name === column.name)) {
        problems.push(`${table}.${column.name} is not part of the schema; copying would drop it`);
      }
    }
    for (const column of target) {
      if (!old.some((o) => o.name === column.name) && !column.hasDefault) {
        problems.push(`${table}.${column.name} is missing and has no default`);
      }
    }
  }
  for (const table of legacy) {
    for (const fk of ddl.get(table)?.foreignKeys ?? []) {
      if (!present.has(fk.parent)) continue;
      const [orphans] = await rows<{ n: number }>(
        conn,
        `SELECT COUNT(*) AS n FROM \`${table}\` c
          WHERE c.\`${fk.column}\` IS NOT NULL
            AND NOT EXISTS (SELECT 1 FROM \`${fk.parent}\` p WHERE p.id = c.\`${fk.column}\`)`,
      );
      const n = Number(orphans?.n ?? 0);
      if (n > 0)
        problems.push(
          `${n} row(s) of ${table} point to a ${fk.parent} id that does not exist (${fk.column})`,
        );
    }
  }
  if (problems.length > 0) {
    throw new AdoptionError(
      `cannot adopt the existing tables without losing data; nothing was changed:\n  - ${problems.join('\n  - ')}`,
    );
  }
  return legacyColumns;
}

export async function up({ conn, dir }: MigrationContext): Promise<void> {
  const sql = await readFile(dir.replace(/\.ts$/, '.sql'), 'utf8');
  const ddl = parseDdl(sql);
  let present = await existingTables(conn);

  if (BRIEF_TABLES.every((t) => !present.has(t))) {
    await conn.query(sql);
    return;
  }

  // What does each table look like in the target shape? Build throwaway probes to ask the server itself.
  const probes = new Map<BriefTable, ColumnInfo[]>();
  for (const table of BRIEF_TABLES) {
    const probe = `${PROBE}${table}`;
    await conn.query(`DROP TABLE IF EXISTS \`${probe}\``);
    // Probes only answer "which columns, which types": unnamed checks keep MySQL 8's per-schema constraint names free.
    const probeDdl = (ddl.get(table) as TableDdl).withoutForeignKeys.replace(
      /CONSTRAINT \w+ CHECK/g,
      'CHECK',
    );
    await conn.query(probeDdl.replace('{name}', probe));
    probes.set(table, await columnsOf(conn, probe));
    await conn.query(`DROP TABLE \`${probe}\``);
  }

  const legacy: BriefTable[] = [];
  for (const table of BRIEF_TABLES) {
    if (present.has(table) && !sameShape(await columnsOf(conn, table), probes.get(table) ?? []))
      legacy.push(table);
  }

  if (legacy.length > 0) {
    const legacyColumns = await preflight(conn, legacy, probes, ddl, present);
    const swaps: string[] = [];
    try {
      for (const table of legacy) {
        const scratch = `${SCRATCH}${table}`;
        await conn.query(`DROP TABLE IF EXISTS \`${scratch}\``);
        await conn.query((ddl.get(table) as TableDdl).withoutForeignKeys.replace('{name}', scratch));
        const target = probes.get(table) ?? [];
        const old = legacyColumns.get(table) ?? [];
        const shared = target.filter((t) => old.some((o) => o.name === t.name));
        const into = shared.map((c) => `\`${c.name}\``).join(', ');
        const from = shared
          .map((c) => selectExpression(table, old.find((o) => o.name === c.name) as ColumnInfo))
          .join(', ');
        await conn.query(`INSERT INTO \`${scratch}\` (${into}) SELECT ${from} FROM \`${table}\` ORDER BY id`);
        const [before, after] = [await rowCount(conn, table), await rowCount(conn, scratch)];
        if (before !== after) throw new AdoptionError(`${table}: copied ${after} of ${before} rows`);
        let keep = `legacy_${table}`;
        if (present.has(keep)) keep = `legacy_${table}_${Date.now()}`;
        swaps.push(`\`${table}\` TO \`${keep}\``, `\`${scratch}\` TO \`${table}\``);
      }
    } catch (error) {
      for (const table of legacy) await conn.query(`DROP TABLE IF EXISTS \`${SCRATCH}${table}\``);
      const message = (error as Error).message;
      throw new AdoptionError(`adopting the existing tables failed; they are unchanged: ${message}`, {
        cause: error,
      });
    }
    await conn.query(`RENAME TABLE ${swaps.join(', ')}`);
    present = await existingTables(conn);
  }

  for (const table of BRIEF_TABLES) {
    if (!present.has(table)) {
      await conn.query((ddl.get(table) as TableDdl).full);
      present.add(table);
    }
  }

  const existingKeys = await foreignKeyNames(conn);
  for (const table of BRIEF_TABLES) {
    for (const fk of ddl.get(table)?.foreignKeys ?? []) {
      if (!existingKeys.has(fk.name)) await conn.query(`ALTER TABLE \`${table}\` ADD ${fk.clause}`);
    }
  }
}
