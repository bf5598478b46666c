/**
 * `npm run migrate [-- --dry-run]`: brings MYSQL_URL's database to the latest schema (creating the database if
 * needed). Prints what it applied; a second run applies nothing.
 */
import { defineCli } from '../lib/cli/args.js';
import { DEFAULT_MYSQL_URL } from '../lib/config.js';
import { migrate } from '../lib/db/migrate.js';
import { runCli } from './cli.js';

const cli = defineCli({
  usage: 'npm run migrate [-- --dry-run]',
  noOption: `apply sql/migrations/ and changed sql/views/ to MYSQL_URL (default ${DEFAULT_MYSQL_URL})`,
  options: { 'dry-run': { type: 'boolean', help: 'print what would be applied; change nothing' } },
});

await runCli(async () => {
  const values = cli.parse(process.argv.slice(2));
  if (!values) return;
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
