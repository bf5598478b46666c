/**
 * Builds the Mermaid ER diagram of the live schema from information_schema: every table with its columns (type,
 * PK / FK / UK markers, comments) and every foreign key as a relationship. Bookkeeping tables (schema_migrations,
 * schema_views), tables kept from an adopted legacy database (legacy_*) and the build copies of the summary tables
 * (analytics_*_build, the same columns as theirs) are left out.
 */
import type { Queryable } from '../db/pool.js';
import { query } from '../db/pool.js';

interface ColumnRow extends Record<string, unknown> {
  table: string;
  column: string;
  type: string;
  nullable: string;
  key: string;
  comment: string;
}

interface ForeignKeyRow extends Record<string, unknown> {
  table: string;
  column: string;
  parent: string;
  nullable: string;
  unique: number;
}

const SKIPPED = /^(schema_migrations|schema_views|legacy_.*|_fm_.*|analytics_.*_build)$/;

/**
 * Mermaid attribute types must be single words: `decimal(15,2)` → `decimal_15_2`, `enum(...)` → `enum`. Integer
 * display widths (MariaDB prints `bigint(20)`, MySQL 8 `bigint`) and MariaDB's JSON-as-LONGTEXT are normalised so
 * both servers draw the same diagram.
 */
function mermaidType(type: string, json: boolean): string {
  if (json) return 'json';
  if (type.startsWith('enum(')) return 'enum';
  if (type === 'tinyint(1)') return 'boolean';
  return type
    .replace(/^(tinyint|smallint|mediumint|int|bigint)\(\d+\)/, '$1')
    .replace(/ unsigned/, '_unsigned')
    .replace(/[(),]+/g, '_')
    .replace(/_+$/, '');
}

function quoteComment(text: string): string {
  return text.replace(/"/g, "'").replace(/\s+/g, ' ').trim();
}

/** Returns the diagram as a Mermaid `erDiagram` block (without the fences). */
export async function buildErd(db?: Queryable): Promise<string> {
  const columns = await query<ColumnRow>(
    `SELECT c.TABLE_NAME AS \`table\`, c.COLUMN_NAME AS \`column\`, c.COLUMN_TYPE AS type, c.IS_NULLABLE AS nullable,
            c.COLUMN_KEY AS \`key\`, c.COLUMN_COMMENT AS comment
       FROM information_schema.COLUMNS c
       JOIN information_schema.TABLES t ON t.TABLE_SCHEMA = c.TABLE_SCHEMA AND t.TABLE_NAME = c.TABLE_NAME
      WHERE c.TABLE_SCHEMA = DATABASE() AND t.TABLE_TYPE = 'BASE TABLE'
      ORDER BY c.TABLE_NAME, c.ORDINAL_POSITION`,
    [],
    db,
  );
  const foreignKeys = await query<ForeignKeyRow>(
    `SELECT k.TABLE_NAME AS \`table\`, k.COLUMN_NAME AS \`column\`, k.REFERENCED_TABLE_NAME AS parent,
            c.IS_NULLABLE AS nullable,
            EXISTS (SELECT 1 FROM information_schema.STATISTICS s
                     WHERE s.TABLE_SCHEMA = k.TABLE_SCHEMA AND s.TABLE_NAME = k.TABLE_NAME
                       AND s.NON_UNIQUE = 0 AND s.COLUMN_NAME = k.COLUMN_NAME AND s.SEQ_IN_INDEX = 1
                       AND NOT EXISTS (SELECT 1 FROM information_schema.STATISTICS s2
                                        WHERE s2.TABLE_SCHEMA = s.TABLE_SCHEMA AND s2.TABLE_NAME = s.TABLE_NAME
                                          AND s2.INDEX_NAME = s.INDEX_NAME AND s2.SEQ_IN_INDEX = 2)) AS \`unique\`
       FROM information_schema.KEY_COLUMN_USAGE k
       JOIN information_schema.COLUMNS c
         ON c.TABLE_SCHEMA = k.TABLE_SCHEMA AND c.TABLE_NAME = k.TABLE_NAME AND c.COLUMN_NAME = k.COLUMN_NAME
      WHERE k.TABLE_SCHEMA = DATABASE() AND k.REFERENCED_TABLE_NAME IS NOT NULL
      ORDER BY k.TABLE_NAME, k.COLUMN_NAME`,
    [],
    db,
  );
  const jsonChecks = await query<{ clause: string }>(
    `SELECT CHECK_CLAUSE AS clause FROM information_schema.CHECK_CONSTRAINTS
      WHERE CONSTRAINT_SCHEMA = DATABASE() AND CHECK_CLAUSE LIKE 'json_valid(%'`,
    [],
    db,
  );
  const jsonColumns = new Set(
    jsonChecks.map((c) => `${c.clause}`.replace(/^json_valid\(`?([^`)]+)`?\)$/, '$1')),
  );
  const fkColumns = new Set(foreignKeys.map((fk) => `${fk.table}.${fk.column}`));
  const lines = ['erDiagram'];
  const tables = [...new Set(columns.map((c) => c.table))].filter((t) => !SKIPPED.test(t));
  for (const fk of foreignKeys) {
    if (SKIPPED.test(fk.table) || SKIPPED.test(fk.parent)) continue;
    // parent ||--o{ child : "column"   (o| when the child column is unique: at most one child per parent)
    const parentSide = fk.nullable === 'YES' ? '|o' : '||';
    const childSide = Number(fk.unique) === 1 ? 'o|' : 'o{';
    lines.push(`  ${fk.parent} ${parentSide}--${childSide} ${fk.table} : "${fk.column}"`);
  }
  for (const table of tables) {
    lines.push(`  ${table} {`);
    for (const c of columns.filter((col) => col.table === table)) {
      const keys = [
        c.key === 'PRI' ? 'PK' : undefined,
        fkColumns.has(`${table}.${c.column}`) ? 'FK' : undefined,
        c.key === 'UNI' ? 'UK' : undefined,
      ].filter(Boolean);
      const note = [c.nullable === 'YES' ? 'nullable' : '', c.comment].filter(Boolean).join('; ');
      lines.push(
        `    ${mermaidType(c.type, c.type === 'json' || (c.type === 'longtext' && jsonColumns.has(c.column)))} ${c.column}${keys.length ? ` ${keys.join(', ')}` : ''}${note ? ` "${quoteComment(note)}"` : ''}`,
      );
    }
    lines.push('  }');
  }
  return lines.join('\n');
}

/** The whole docs/ERD.md file for a diagram. */
export function erdMarkdown(diagram: string): string {
  return `# Entity-relationship diagram

Generated from the live schema by \`npm run erd\` (a scratch database migrated from \`sql/migrations/\`); a test fails
when this file no longer matches the migrations. Do not edit by hand.

The brief's six tables are \`clients\`, \`locations\`, \`accounts\`, \`transaction_types\`, \`transactions\` and
\`alerts\`; the others are the product's own (scan bookkeeping, alert workflow history, seed labels, backup runs …).

\`\`\`mermaid
${diagram}
\`\`\`
`;
}
