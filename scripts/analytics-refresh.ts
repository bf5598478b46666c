/**
 * `npm run analytics:refresh [-- --full]`: brings the dashboard's summary tables up to date with the raw tables
 * (incrementally; `--full` rebuilds them). The seeder, the scan and the dashboard call the same function.
 */
import { refreshAnalytics } from '../lib/analytics/refresh.js';
import { defineCli } from '../lib/cli/args.js';
import { runCli } from './cli.js';

const cli = defineCli({
  usage: 'npm run analytics:refresh [-- --full]',
  noOption: 'add new transactions and alerts to the dashboard summaries',
  options: { full: { type: 'boolean', help: 'rebuild the summaries from the raw tables' } },
});

await runCli(async () => {
  const values = cli.parse(process.argv.slice(2));
  if (!values) return;
  const s = await refreshAnalytics({ full: values.full });
  if (s.status === 'busy') throw new Error('another analytics refresh holds the lock; try again shortly');
  console.log(
    s.status === 'current'
      ? 'analytics summaries are already current'
      : `analytics summaries ${s.status}: ${s.transactionsAdded} transaction ids (${s.fromTransactionId}..${s.toTransactionId})${s.locationsRebuilt ? ', client locations rebuilt' : ''}, ${s.alertsAdded} alerts in ${(s.elapsedMs / 1000).toFixed(1)} s`,
  );
});
