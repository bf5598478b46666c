/**
 * `npm run report [-- --out <file>]`: writes the exploratory report of the database at MYSQL_URL — table profiles,
 * summary statistics, distributions and anomaly statistics with SVG charts — as one self-contained HTML file,
 * by default reports/report-<YYYY-MM-DD>.html (git-ignored). Open it in any browser; it needs no network.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { buildReport } from '../lib/analytics/report.js';
import { defineCli } from '../lib/cli/args.js';
import { runCli } from './cli.js';

const cli = defineCli({
  usage: 'npm run report [-- --out <file>]',
  noOption: 'write reports/report-<date>.html (self-contained)',
  options: { out: { type: 'string', arg: '<file>', help: 'write the report to this file instead' } },
});

await runCli(async () => {
  const values = cli.parse(process.argv.slice(2));
  if (!values) return;
  const now = new Date();
  const out = path.resolve(values.out ?? `reports/report-${now.toISOString().slice(0, 10)}.html`);
  await mkdir(path.dirname(out), { recursive: true });
  const started = Date.now();
  await writeFile(out, await buildReport(now));
  console.log(`wrote ${out} in ${((Date.now() - started) / 1000).toFixed(1)} s`);
});
