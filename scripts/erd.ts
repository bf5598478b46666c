/**
 * `npm run erd [-- --check]`: migrates a scratch database on MYSQL_URL's server, draws its schema as a Mermaid ER
 * diagram into docs/ERD.md, and drops the scratch database. `--check` only compares and exits 1 when they differ.
 */
import './cli-env.js';
import { randomBytes } from 'node:crypto';
import { readFile, writeFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import mysql from 'mysql2/promise';
import { buildErd, erdMarkdown } from '../lib/analytics/erd.js';
import { migrate } from '../lib/db/migrate.js';
import { connectionOptions } from '../lib/db/pool.js';
import { resolveDbSettings } from '../lib/db/settings.js';
import { runCli } from './cli.js';

const ERD_PATH = new URL('../docs/ERD.md', import.meta.url);

await runCli(async () => {
  const { values } = parseArgs({
    options: { check: { type: 'boolean', default: false }, help: { type: 'boolean', short: 'h' } },
    strict: true,
  });
  if (values.help) {
    console.log(
      'Usage: npm run erd [-- --check]\n  Regenerates docs/ERD.md from a freshly migrated scratch database.',
    );
    return;
  }
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
