/**
 * `npm run erd [-- --check]`: migrates a scratch database on MYSQL_URL's server, draws its schema as a Mermaid ER
 * diagram into docs/ERD.md, and drops the scratch database. `--check` only compares and exits 1 when they differ.
 */
import { randomBytes } from 'node:crypto';
import { readFile, writeFile } from 'node:fs/promises';
import mysql from 'mysql2/promise';
import { buildErd, erdMarkdown } from '../lib/analytics/erd.js';
import { defineCli } from '../lib/cli/args.js';
import { migrate } from '../lib/db/migrate.js';
import { connectionOptions } from '../lib/db/pool.js';
import { resolveDbSettings } from '../lib/db/settings.js';
import { runCli } from './cli.js';

const ERD_PATH = new URL('../docs/ERD.md', import.meta.url);

const cli = defineCli({
  usage: 'npm run erd [-- --check]',
  noOption: 'regenerate docs/ERD.md from a freshly migrated scratch database',
  options: {
    check: { type: 'boolean', help: 'only compare; exit 1 when docs/ERD.md differs from the migrations' },
  },
});

await runCli(async () => {
  const values = cli.parse(process.argv.slice(2));
  if (!values) return;
  const server = await resolveDbSettings();
  const scratch = { ...server, database: `fm_erd_${randomBytes(4).toString('hex')}` };
  try {
    await migrate({ settings: scratch });
    const conn = await mysql.createConnection(connectionOptions(scratch));
    const markdown = erdMarkdown(await buildErd(conn));
    await conn.end();
    if (values.check) {
      const current = await readFile(ERD_PATH, 'utf8').catch(() => '');
      if (current !== markdown)
        throw new Error('docs/ERD.md does not match the migrations; run `npm run erd`');
      console.log('docs/ERD.md matches the migrations');
    } else {
      await writeFile(ERD_PATH, markdown);
      console.log('wrote docs/ERD.md');
    }
  } finally {
    const conn = await mysql.createConnection({ ...connectionOptions(server), database: undefined });
    await conn.query(`DROP DATABASE IF EXISTS \`${scratch.database}\``);
    await conn.end();
  }
});
