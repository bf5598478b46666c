/**
 * Applies `sql/migrations/` with Umzug: numbered, forward-only; each applied name is recorded in
 * `schema_migrations`, so a second run changes nothing. A migration is either a plain `.sql` file (run as one
 * multi-statement batch) or a `.ts` module exporting `up(context)` — used where the step needs logic (adopting the
 * original Financial Monitor's tables). When both `NNNN_x.sql` and `NNNN_x.ts` exist the module runs and may read
 * the SQL file beside it.
 *
 * A server-wide named lock keeps two `migrate` runs from interleaving, and the scan lock keeps anomaly scans out while
 * tables change (a scan refused meanwhile says a migration holds its lock).
 */
import { createHash } from 'node:crypto';
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import mysql, { type Connection, type RowDataPacket } from 'mysql2/promise';
import { type RunnableMigration, Umzug, type UmzugStorage } from 'umzug';
import { logger } from '../log.js';
import { lockHeld } from './failures.js';
import { acquireNamedLock, findLockHolder, releaseNamedLock, SCAN_LOCK, SCAN_LOCK_JOBS } from './locks.js';
import { connectionOptions } from './pool.js';
import { connectionFailure, type DbSettings, resolveDbSettings } from './settings.js';

export const MIGRATIONS_DIR = fileURLToPath(new URL('../../sql/migrations/', import.meta.url));
export const VIEWS_DIR = fileURLToPath(new URL('../../sql/views/', import.meta.url));

export interface MigrationContext {
  /** A dedicated connection (multipleStatements on) to the target database. */
  conn: Connection;
  database: string;
  /** Absolute path of the migration being applied (its `.sql` sibling is `path.replace(/\.ts$/, '.sql')`). */
  dir: string;
}

export interface MigrationModule {
  up(context: MigrationContext): Promise<void>;
}

class MysqlStorage implements UmzugStorage<MigrationContext> {
  async ensure(conn: Connection) {
    await conn.query(
      `CREATE TABLE IF NOT EXISTS schema_migrations (
         name VARCHAR(255) NOT NULL PRIMARY KEY,
         applied_at DATETIME(3) NOT NULL
       ) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci`,
    );
  }
  async logMigration({ name, context }: { name: string; context: MigrationContext }) {
    await context.conn.query('INSERT INTO schema_migrations (name, applied_at) VALUES (?, NOW(3))', [name]);
  }
  async unlogMigration({ name, context }: { name: string; context: MigrationContext }) {
    await context.conn.query('DELETE FROM schema_migrations WHERE name = ?', [name]);
  }
  async executed({ context }: { context: MigrationContext }) {
    const [rows] = await context.conn.query<RowDataPacket[]>(
      'SELECT name FROM schema_migrations ORDER BY name',
    );
    return rows.map((r) => String(r.name));
  }
}

/** Lists the migrations in `dir`, pairing `NNNN_x.ts` with its `NNNN_x.sql` as one step. */
export async function listMigrations(dir = MIGRATIONS_DIR): Promise<RunnableMigration<MigrationContext>[]> {
  const files = (await readdir(dir)).filter((f) => /^\d{4}_[a-z0-9_]+\.(sql|ts)$/.test(f)).sort();
  const stems = [...new Set(files.map((f) => f.replace(/\.(sql|ts)$/, '')))];
  return stems.map((stem) => {
    const module = files.includes(`${stem}.ts`);
    const file = path.join(dir, `${stem}.${module ? 'ts' : 'sql'}`);
    return {
      name: stem,
      path: file,
      up: async ({ context }) => {
        if (module) {
          const mod = (await import(pathToFileURL(file).href)) as MigrationModule;
          await mod.up({ ...context, dir: file });
        } else {
          await context.conn.query(await readFile(file, 'utf8'));
        }
      },
    };
  });
}

export interface MigrateResult {
  database: string;
  applied: string[];
  pending: string[];
  /** Views (sql/views/*.sql) created or replaced because their definition changed. */
  views: string[];
}

/**
 * The analytics layer: each `sql/views/<name>.sql` holds one `CREATE OR REPLACE VIEW`. Views are repeatable rather
 * than numbered — a view is (re)applied when its file's sha256 differs from the one recorded in `schema_views`, so an
 * unchanged view is never touched and a second run changes nothing.
 */
async function applyViews(conn: Connection, dir: string, dryRun: boolean): Promise<string[]> {
  let files: string[];
  try {
    files = (await readdir(dir)).filter((f) => /^[a-z0-9_]+\.sql$/.test(f)).sort();
  } catch {
    return [];
  }
  await conn.query(
    `CREATE TABLE IF NOT EXISTS schema_views (
       name VARCHAR(255) NOT NULL PRIMARY KEY,
       sha256 CHAR(64) NOT NULL,
       applied_at DATETIME(3) NOT NULL
     ) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci`,
  );
  const [rows] = await conn.query<RowDataPacket[]>('SELECT name, sha256 FROM schema_views');
  const known = new Map(rows.map((r) => [String(r.name), String(r.sha256)]));
  const changed: string[] = [];
  for (const file of files) {
    const sql = await readFile(path.join(dir, file), 'utf8');
    const sha256 = createHash('sha256').update(sql).digest('hex');
    const name = file.replace(/\.sql$/, '');
    if (known.get(name) === sha256) continue;
    changed.push(name);
    if (dryRun) continue;
    await conn.query(sql);
    await conn.query(
      `INSERT INTO schema_views (name, sha256, applied_at) VALUES (?, ?, NOW(3))
       ON DUPLICATE KEY UPDATE sha256 = VALUES(sha256), applied_at = VALUES(applied_at)`,
      [name, sha256],
    );
  }
  return changed;
}

/** Opens a connection for migrations, creating the database first when it does not exist yet. */
export async function openMigrationConnection(settings: DbSettings): Promise<Connection> {
  const base = connectionOptions(settings);
  let conn: Connection;
  try {
    const server = await mysql.createConnection({ ...base, database: undefined });
    await server.query(
      `CREATE DATABASE IF NOT EXISTS \`${settings.database}\` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci`,
    );
    await server.end();
    conn = await mysql.createConnection({ ...base, multipleStatements: true });
  } catch (error) {
    throw connectionFailure(settings, error);
  }
  // Strict mode for the session: an ALTER or copy that would truncate a value fails instead of silently changing it.
  await conn.query("SET SESSION sql_mode = CONCAT_WS(',', @@SESSION.sql_mode, 'STRICT_ALL_TABLES')");
  return conn;
}

/** How long a migration waits for another migration, then for a running scan, before giving up. */
const LOCK_WAIT_SECONDS = 120;

/**
 * Takes the migration lock, then (unless only looking) the scan lock, both marked as a migration's; `locks`
 * collects what was taken, for the caller to release.
 */
async function lockOutOthers(conn: Connection, database: string, dryRun: boolean, locks: string[]) {
  const wait = `waited ${LOCK_WAIT_SECONDS} s; try again when it has finished`;
  const lock = await acquireNamedLock(conn, database, 'migrate', LOCK_WAIT_SECONDS, 'migrate');
  if (!lock) {
    const holder = await findLockHolder(conn, database, 'migrate');
    throw lockHeld({ lock: 'migration lock', database, holder, asker: 'migrate' }, wait);
  }
  locks.push(lock);
  if (dryRun) return;
  const scanLock = await acquireNamedLock(conn, database, SCAN_LOCK, LOCK_WAIT_SECONDS, 'migrate');
  if (!scanLock) {
    const holder = await findLockHolder(conn, database, SCAN_LOCK, SCAN_LOCK_JOBS);
    throw lockHeld({ lock: 'scan lock', database, holder, asker: 'migrate' }, wait);
  }
  locks.push(scanLock);
}

/**
 * Brings the database to the latest schema. Safe to run again (nothing pending ⇒ nothing changes) and from two
 * processes at once (the second waits for the first's lock).
 */
export async function migrate({
  settings,
  dir = MIGRATIONS_DIR,
  viewsDir = VIEWS_DIR,
  dryRun = false,
}: {
  settings?: DbSettings;
  dir?: string;
  viewsDir?: string;
  dryRun?: boolean;
} = {}): Promise<MigrateResult> {
  const db = settings ?? (await resolveDbSettings());
  const conn = await openMigrationConnection(db);
  const locks: string[] = [];
  try {
    await lockOutOthers(conn, db.database, dryRun, locks);
    const storage = new MysqlStorage();
    await storage.ensure(conn);
    const context: MigrationContext = { conn, database: db.database, dir };
    const umzug = new Umzug<MigrationContext>({
      migrations: await listMigrations(dir),
      context,
      storage,
      logger: {
        info: (m) => logger.info('migration', m),
        warn: (m) => logger.warn('migration', m),
        error: (m) => logger.error('migration', m),
        debug: (m) => logger.debug('migration', m),
      },
    });
    const pending = (await umzug.pending()).map((m) => m.name);
    if (dryRun) {
      const views = pending.length > 0 ? [] : await applyViews(conn, viewsDir, true);
      return { database: db.database, applied: [], pending, views };
    }
    const applied = (await umzug.up()).map((m) => m.name);
    const views = await applyViews(conn, viewsDir, false);
    return { database: db.database, applied, pending: [], views };
  } finally {
    for (const lock of locks.reverse()) await releaseNamedLock(conn, lock);
    await conn.end().catch(() => undefined);
  }
}
