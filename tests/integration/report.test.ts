import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { beforeAll, describe, expect, it } from 'vitest';
import { buildReport, REPORT_SECTIONS } from '../../lib/analytics/report.js';
import { runScan } from '../../lib/scan/scan.js';
import { parseSeedOptions } from '../../lib/seed/options.js';
import { runSeed } from '../../lib/seed/run.js';

const root = fileURLToPath(new URL('../..', import.meta.url));

describe('exploratory report', () => {
  let html: string;

  beforeAll(async () => {
    await runSeed(
      parseSeedOptions({ clients: 80, transactions: 5_000, from: '2025-01-01', to: '2026-01-01', seed: 2 }),
    );
    await runScan({ mode: 'full' });
    html = await buildReport(new Date('2026-01-05T10:00:00Z'));
  });

  it('contains every section, in order', () => {
    let at = -1;
    for (const id of REPORT_SECTIONS) {
      const index = html.indexOf(`<section id="${id}">`);
      expect(index, id).toBeGreaterThan(at);
      at = index;
    }
  });

  it('profiles every table of the database with its rows and columns', () => {
    for (const table of [
      'clients',
      'locations',
      'accounts',
      'transaction_types',
      'transactions',
      'alerts',
      'backup_runs',
    ]) {
      expect(html, table).toContain(`id="profile-${table}"`);
    }
    expect(html).toMatch(/id="profile-clients">clients <span class="muted">\(80 rows\)/);
    expect(html).toContain('<th class="num">null %</th>');
  });

  it('has anomaly statistics by rule, risk, country and month, with charts', () => {
    for (const id of ['by-rule', 'by-risk', 'by-country', 'by-month'])
      expect(html).toContain(`id="anomalies-${id}"`);
    expect((html.match(/<svg/g) ?? []).length).toBeGreaterThanOrEqual(9);
  });

  it('is self-contained: no script, no external resource', () => {
    expect(html).not.toMatch(/<script|<link|src="http|href="http/i);
  });

  it('is written by `npm run report` as one HTML file', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'fm-report-'));
    try {
      const out = path.join(dir, 'report.html');
      await promisify(execFile)(
        path.join(root, 'node_modules/.bin/tsx'),
        ['scripts/report.ts', '--out', out],
        {
          cwd: root,
          env: process.env,
        },
      );
      const written = await readFile(out, 'utf8');
      expect(written.startsWith('<!doctype html>')).toBe(true);
      expect(written).toContain('<section id="anomalies">');
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
