/**
 * `npm run migrate [-- --dry-run]`: brings MYSQL_URL's database to the latest schema (creating the database if
 * needed). Prints what it applied; a second run applies nothing.
 */

import './cli-env.js';
import { parseArgs } from 'node:util';
import { migrate } from '../lib/db/migrate.js';
import { runCli } from './cli.js';

await runCli(async () => {
  const { values } = parseArgs({
    options: { 'dry-run': { type: 'boolean', default: false }, help: { type: 'boolean', short: 'h' } },
    strict: true,
  });
  if (values.help) {
    console.log(
      'Usage: npm run migrate [-- --dry-run]\n  Applies sql/migrations/ to MYSQL_URL (default mysql://root@127.0.0.1:3306/financial_monitor).',
    );
    return;
  }
  const result = await migrate({ dryRun: values['dry-run'] });
  const views = result.views.length
    ? `; views ${values['dry-run'] ? 'to apply' : 'applied'}: ${result.views.join(', ')}`
    : '';
  if (values['dry-run']) {
    console.log(
      result.pending.length
        ? `pending on ${result.database}: ${result.pending.join(', ')}${views}`
        : `${result.database} is up to date${views}`,
    );
  } else if (result.applied.length || result.views.length) {
    const applied = result.applied.length
      ? `applied to ${result.database}: ${result.applied.join(', ')}`
      : result.database;
    console.log(`${applied}${views}`);
  } else {
    console.log(`${result.database} is up to date; nothing applied`);
  }
});
