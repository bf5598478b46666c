/**
 * `npm run bench -- burst [--requests 300] [--at-a-time 10] [--checkout <dir>] [--url <base>]`
 *
 * What a burst does to `npm start`'s stack. Runs `npm start` — this checkout's, or that of `--checkout <dir>` (another
 * commit's worktree with its own node_modules, to compare) — on a scratch database that `npm start` itself migrates,
 * seeds with the demo bank and scans, then, as soon as it says it is ready, for GET /alerts and GET /health in turn:
 *   1. `--requests` requests, `--at-a-time` at a time (the baseline);
 *   2. the same number at once (the burst);
 *   3. the burst again, now that whatever the first one started is warm.
 * Every answer is classed (2xx; 429; 503; any other status; a 200 whose body is a Lambda error; a body holding a
 * stack trace; no answer within 60 s) and the latencies give p50 / p99 / max, with the p99's ratio to the baseline's.
 * `--url` measures a stack that is already running instead: nothing is started or dropped.
 */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import mysql from 'mysql2/promise';
import { defineCli } from '../lib/cli/args.js';
import { getConfig } from '../lib/config.js';
import { settingsFromUrl } from '../lib/db/settings.js';
import { LOCAL_DEV_KEYS } from '../lib/http/auth.js';
import { freePort } from '../scripts/local/database.js';
import { stopProcessGroup } from '../scripts/local/process-group.js';
import { percentile } from './lib.js';

export const description =
  'npm start under a burst: N concurrent GET /alerts and /health vs the same N sent 10 at a time';

const root = fileURLToPath(new URL('..', import.meta.url));
const KEY = LOCAL_DEV_KEYS.find((k) => k.role === 'viewer')?.key ?? '';
const ROUTES = ['/alerts', '/health'];
const ANSWER_TIMEOUT_MS = 60_000;

const cli = defineCli({
  usage: 'npm run bench -- burst [options]',
  description: `npm start on a scratch database, then per route: N requests sent a few at a time (the baseline),
N at once, and N at once again; status counts and p50/p99 of each.`,
  options: {
    requests: {
      type: 'integer',
      min: 10,
      max: 10_000,
      default: 300,
      help: 'requests per run (default 300)',
    },
    'at-a-time': {
      type: 'integer',
      min: 1,
      max: 100,
      default: 10,
      help: 'concurrency of the baseline run (default 10)',
    },
    checkout: {
      type: 'string',
      arg: '<dir>',
      help: "run that checkout's npm start (it needs its own node_modules) instead of this one's",
    },
    url: {
      type: 'string',
      arg: '<base>',
      pattern: /^https?:\/\/[^/\s]+$/,
      expects: 'a base URL such as http://localhost:3000',
      help: 'measure a stack that is already running there; nothing is started',
    },
  },
});

type Kind = '2xx' | '429' | '503' | 'other' | 'error200' | 'none';
interface Answer {
  ms: number;
  kind: Kind;
  /** The body holds a stack trace (serverless offline's Lambda error, or anything else leaking one). */
  stack: boolean;
}

/** A 2xx whose body is serverless offline's Lambda error (`{errorMessage, errorType, stackTrace}`). */
function isLambdaError(body: string): boolean {
  try {
    const parsed = JSON.parse(body) as { errorType?: unknown; errorMessage?: unknown };
    return typeof parsed?.errorType === 'string' || typeof parsed?.errorMessage === 'string';
  } catch {
    return false;
  }
}

async function send(url: string): Promise<Answer> {
  const started = performance.now();
  try {
    const response = await fetch(url, {
      headers: { 'x-api-key': KEY },
      signal: AbortSignal.timeout(ANSWER_TIMEOUT_MS),
    });
    const body = await response.text();
    const { status } = response;
    const stack = /"stackTrace"|\n\s+at\s/.test(body);
    const kind: Kind =
      status >= 200 && status < 300
        ? isLambdaError(body)
          ? 'error200'
          : '2xx'
        : status === 429 || status === 503
          ? (String(status) as '429' | '503')
          : 'other';
    return { ms: performance.now() - started, kind, stack };
  } catch {
    return { ms: performance.now() - started, kind: 'none', stack: false };
  }
}

/** `total` requests to `url`, at most `concurrency` in flight. */
async function fire(url: string, total: number, concurrency: number): Promise<Answer[]> {
  const answers: Answer[] = [];
  let sent = 0;
  const worker = async () => {
    while (sent < total) {
      sent++;
      answers.push(await send(url));
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, total) }, worker));
  return answers;
}

interface Row {
  route: string;
  run: string;
  answers: Answer[];
}

function printTable(rows: Row[]): void {
  const cols = ['2xx', '429', '503', 'other', '200+error', 'stack', 'none'];
  console.log(
    `  ${'route'.padEnd(12)} ${'requests'.padEnd(30)} ${cols.map((c) => c.padStart(9)).join(' ')} ${'p50 ms'.padStart(8)} ${'p99 ms'.padStart(8)} ${'max ms'.padStart(8)} ${'p99 ratio'.padStart(10)}`,
  );
  for (const route of ROUTES) {
    const mine = rows.filter((r) => r.route === route);
    const baseline = mine.find((r) => r.run.includes('baseline'));
    const base99 = baseline
      ? percentile(
          baseline.answers.map((a) => a.ms),
          99,
        )
      : Number.NaN;
    for (const { run, answers } of mine) {
      const count = (kind: Kind) => answers.filter((a) => a.kind === kind).length;
      const counts = [
        count('2xx'),
        count('429'),
        count('503'),
        count('other'),
        count('error200'),
        answers.filter((a) => a.stack).length,
        count('none'),
      ];
      const ms = answers.map((a) => a.ms);
      const p99 = percentile(ms, 99);
      console.log(
        `  ${`GET ${route}`.padEnd(12)} ${run.padEnd(30)} ${counts.map((n) => String(n).padStart(9)).join(' ')} ${percentile(ms, 50).toFixed(0).padStart(8)} ${p99.toFixed(0).padStart(8)} ${Math.max(
          ...ms,
        )
          .toFixed(0)
          .padStart(8)} ${`${(p99 / base99).toFixed(1)}×`.padStart(10)}`,
      );
    }
  }
}

async function measure(base: string, requests: number, atATime: number): Promise<Row[]> {
  const rows: Row[] = [];
  for (const route of ROUTES) {
    const url = `${base}${route}`;
    const baseline = await fire(url, requests, atATime);
    const burst = await fire(url, requests, requests);
    const again = await fire(url, requests, requests);
    rows.push(
      { route, run: `${requests}, ${atATime} at a time (baseline)`, answers: baseline },
      { route, run: `${requests} at once`, answers: burst },
      { route, run: `${requests} at once, again`, answers: again },
    );
  }
  return rows;
}

interface Stack {
  url: string;
  log: string;
  stop(): Promise<void>;
}

/** Runs `npm start` of `checkout` on the scratch database and free ports; resolves once it says it is ready. */
async function startStack(checkout: string, mysqlUrl: string): Promise<Stack> {
  const [httpPort, lambdaPort] = [await freePort(), await freePort()];
  const log = path.join(os.tmpdir(), `fm-bench-burst-${Date.now()}.log`);
  const file = createWriteStream(log);
  const child: ChildProcess = spawn(
    path.join(checkout, 'node_modules/.bin/tsx'),
    [path.join(checkout, 'scripts/start.ts')],
    {
      cwd: checkout,
      env: {
        ...process.env,
        MYSQL_URL: mysqlUrl,
        HTTP_PORT: String(httpPort),
        LAMBDA_PORT: String(lambdaPort),
        S3_ENDPOINT: '',
        S3_PORT: '0',
        ESBUILD_WORK_FOLDER: '.esbuild-bench-burst',
        LOG_LEVEL: 'WARN',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true,
    },
  );
  let output = '';
  const collect = (chunk: Buffer) => {
    file.write(chunk);
    if (output.length < 1_000_000) output += chunk.toString();
  };
  child.stdout?.on('data', collect);
  child.stderr?.on('data', collect);
  const stop = async () => {
    await stopProcessGroup(child, 20_000);
    file.end();
  };
  const deadline = Date.now() + 300_000;
  while (!/\[start\] ready/.test(output)) {
    if (child.exitCode !== null) throw new Error(`npm start exited (${child.exitCode}); its output: ${log}`);
    if (Date.now() > deadline) {
      await stop();
      throw new Error(`npm start not ready within 300 s; its output: ${log}`);
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  return { url: `http://localhost:${httpPort}`, log, stop };
}

function machine(): string {
  const [load] = os.loadavg();
  return `load average (1 min) ${load?.toFixed(2)} on ${os.cpus().length} CPUs`;
}

function describeCheckout(dir: string): string {
  try {
    return execFileSync('git', ['-C', dir, 'log', '-1', '--format=%h %s'], { encoding: 'utf8' }).trim();
  } catch {
    return 'not a git checkout';
  }
}

export async function run(args: string[]): Promise<void> {
  const values = cli.parse(args);
  if (!values) return;
  const { requests, 'at-a-time': atATime } = values;
  if (values.url) {
    console.log(`Stack at ${values.url}; ${machine()}\n`);
    printTable(await measure(values.url, requests, atATime));
    return;
  }
  const checkout = path.resolve(values.checkout ?? root);
  const { MYSQL_URL } = getConfig();
  const name = `fm_bench_burst_${randomBytes(3).toString('hex')}`;
  const url = new URL(MYSQL_URL);
  url.pathname = `/${name}`;
  const admin = await mysql.createConnection({ ...settingsFromUrl(MYSQL_URL), database: undefined });
  await admin.query(`CREATE DATABASE \`${name}\` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci`);
  try {
    console.log(`npm start of ${checkout} (${describeCheckout(checkout)}) on scratch database ${name} …`);
    const stack = await startStack(checkout, url.toString());
    try {
      console.log(`ready at ${stack.url}; ${machine()}\n`);
      printTable(await measure(stack.url, requests, atATime));
    } finally {
      await stack.stop();
      console.log(`\nnpm start's output: ${stack.log}`);
    }
  } finally {
    await admin.query(`DROP DATABASE IF EXISTS \`${name}\``);
    await admin.end();
  }
}
