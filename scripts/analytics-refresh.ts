/**
 * `npm run analytics:refresh [-- --full]`: brings the dashboard's summary tables up to date with the raw tables
 * (incrementally; `--full` rebuilds them). The seeder, the scan and the dashboard call the same function.
 */
import './cli-env.js';
import { parseArgs } from 'node:util';
import { refreshAnalytics } from '../lib/analytics/refresh.js';
import { runCli } from './cli.js';

await runCli(async () => {
  const { values } = parseArgs({
    options: { full: { type: 'boolean', default: false }, help: { type: 'boolean', short: 'h' } },
    strict: true,
  });
  if (values.help) {
    console.log(
      'Usage: npm run analytics:refresh [-- --full]\n  Adds new transactions to the dashboard summaries; --full rebuilds them.',
    );
    return;
  }
  const s = await refreshAnalytics({ full: values.full });
  if (s.status === 'busy') throw new Error('another analytics refresh holds the lock; try again shortly');
  console.log(
    s.status === 'current'
      ? 'analytics summaries are already current'
      : `analytics summaries ${s.status}: ${s.transactionsAdded} transaction ids (${s.fromTransactionId}..${s.toTransactionId})${s.locationsRebuilt ? ', client locations rebuilt' : ''}, ${s.alertsAdded} alerts in ${(s.elapsedMs / 1000).toFixed(1)} s`,
  );
});
