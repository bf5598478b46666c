import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { describe, expect, it } from 'vitest';

// Behind an RDS Proxy (rdsProxy: true) a client connection that changes its session's state is pinned to one database
// connection until it closes, and the proxy no longer multiplexes it. What pins, per the proxy's documentation:
// session variables (SET …), named locks (GET_LOCK), server-side prepared statements (mysql2's execute() and
// prepare(); our lib/db/pool.ts `execute` sends text queries), temporary tables, table locks, multi-statements.
// This reads the code each HTTP function's bundle really contains (esbuild's metafile, after tree shaking) and
// finds none of it — but for the one known, argued case (README "Connections").
const root = fileURLToPath(new URL('../..', import.meta.url));

const HTTP_FUNCTIONS = [
  'health',
  'alerts-list',
  'alerts-stats',
  'alerts-get',
  'alerts-create',
  'alerts-update',
  'cases-list',
  'cases-get',
  'cases-update',
  'cases-notes-create',
  'dashboard-data',
];

const PINNING: Array<[string, RegExp]> = [
  ['a server-side prepared statement', /\.(execute|prepare)\s*(<[^>]*>)?\(/],
  ['a named lock', /\b(GET_LOCK|withNamedLock)\s*\(/],
  [
    'a session variable',
    /\bSET\s+(SESSION|@|NAMES|CHARACTER\s+SET|autocommit|sql_mode|TRANSACTION|time_zone)\b/i,
  ],
  ['a temporary table', /\bTEMPORARY\s+TABLE\b/i],
  ['a table lock', /\bLOCK\s+TABLES?\b/i],
  ['multi-statements', /multipleStatements:\s*true/],
];

/**
 * Where pinning is accepted, and why: the dashboard's data path brings stale summaries up to date under the refresh's
 * named lock — only after a seed or a scan and before their own refresh, one container at a time (the others skip).
 */
const ACCEPTED: Record<string, string[]> = {
  'dashboard-data': ['lib/analytics/refresh.ts: a named lock'],
};

/** The lib/ files whose code ends up in a function's bundle. */
async function bundledLibFiles(name: string): Promise<string[]> {
  const result = await build({
    entryPoints: [path.join(root, 'functions', `${name}.ts`)],
    bundle: true,
    write: false,
    metafile: true,
    platform: 'node',
    format: 'esm',
    target: 'node22',
    outfile: path.join(root, '.esbuild-pinning', `${name}.mjs`),
    logLevel: 'silent',
  });
  const output = Object.values(result.metafile.outputs).find((o) => o.entryPoint);
  return Object.entries(output?.inputs ?? {})
    .filter(([file, input]) => file.startsWith('lib/') && input.bytesInOutput > 0)
    .map(([file]) => file);
}

/** Define the named-lock helpers (judged where they are called); any other pinning there still counts. */
const LOCK_HELPERS = ['lib/db/pool.ts', 'lib/db/locks.ts'];

/** What in `file` would pin a proxied connection. */
async function pinningIn(file: string): Promise<string[]> {
  const code = (await readFile(path.join(root, file), 'utf8'))
    .replace(/\/\*[\s\S]*?\*\//g, '')
    .replace(/^\s*\/\/.*$/gm, '');
  return PINNING.filter(
    ([what, pattern]) => pattern.test(code) && !(what === 'a named lock' && LOCK_HELPERS.includes(file)),
  ).map(([what]) => `${file}: ${what}`);
}

describe('request paths behind an RDS Proxy', () => {
  it.each(HTTP_FUNCTIONS)('%s sends nothing that pins its connection', async (name) => {
    const files = await bundledLibFiles(name);
    expect(files).toContain('lib/db/pool.ts');
    const found = (await Promise.all(files.map(pinningIn))).flat();
    expect(found).toEqual(ACCEPTED[name] ?? []);
  });

  it('knows a pinning statement when it sees one', async () => {
    // The patterns themselves, on the job code that does pin (and does not go through the proxy).
    expect(await pinningIn('lib/scan/state.ts')).toContain(
      'lib/scan/state.ts: a server-side prepared statement',
    );
    expect(await pinningIn('lib/seed/run.ts')).toContain('lib/seed/run.ts: a session variable');
    expect(await pinningIn('lib/scan/scan.ts')).toContain('lib/scan/scan.ts: a named lock');
  });
});
