/**
 * `npm run analytics:refresh [-- --full]`: brings the dashboard's summary tables up to date with the raw tables
 * (incrementally; `--full` rebuilds them). The seeder, the scan and the dashboard call the same function.
 */
import { refreshAnalytics } from '../lib/analytics/refresh.js';
import { defineCli } from '../lib/cli/args.js';
import { getConfig } from '../lib/config.js';
import { Deadline } from '../lib/jobs/deadline.js';
import { runCli } from './cli.js';

const cli = defineCli({
  usage: 'npm run analytics:refresh [-- --full] [-- --deadline-seconds N]',
  noOption: 'add new transactions and alerts to the dashboard summaries',
  options: {
    full: { type: 'boolean', help: 'rebuild the summaries from the raw tables (swapped in once complete)' },
    'deadline-seconds': {
      type: 'integer',
      arg: 'N',
      min: 1,
      max: 86_400,
      help: 'stop cleanly within N seconds (less JOB_DEADLINE_MARGIN_SECONDS), as the refresh-summaries Lambda\ndoes at its timeout; the next refresh goes on',
    },
  },
});

await runCli(async () => {
  const values = cli.parse(process.argv.slice(2));
  if (!values) return;
  const seconds = values['deadline-seconds'];
  const deadline =
    seconds === undefined
      ? Deadline.none()
      : Deadline.afterSeconds(seconds, getConfig().JOB_DEADLINE_MARGIN_SECONDS);
  const s = await refreshAnalytics({ full: values.full, deadline });
  if (s.status === 'busy') throw new Error('another analytics refresh holds the lock; try again shortly');
  const partial = s.building
    ? ' (stopped at the deadline: the rebuild goes on next time; the dashboard shows the previous summaries until then)'
    : ' (stopped at the deadline: the next refresh goes on)';
  console.log(
    s.status === 'current'
      ? 'analytics summaries are already current'
      : `analytics summaries ${s.status}: ${s.transactionsAdded} transaction ids (${s.fromTransactionId}..${s.toTransactionId})${s.locationsRebuilt ? ', client locations rebuilt' : ''}, ${s.alertsAdded} alerts, ${s.chunks} chunks in ${(s.elapsedMs / 1000).toFixed(1)} s${s.status === 'partial' ? partial : ''}`,
  );
});
