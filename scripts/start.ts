/**
 * `npm start`: the whole system on this machine, with one command.
 *   - a database (MYSQL_URL if it answers; else docker compose; else a private MariaDB/MySQL in .local/);
 *   - an S3-compatible server (S3_ENDPOINT if it answers; else a local one on port 4569, data in .local/s3) with the
 *     backup bucket;
 *   - migrations, then the demo bank when the database is empty;
 *   - `serverless offline` with every HTTP route and schedule, one warm module per function (serverless.yml), behind
 *     a gate on HTTP_PORT that bounds the requests it is handed at once and answers the overflow 503 with Retry-After
 *     (scripts/local/http-gate.ts); every function is loaded before "ready" is printed;
 *   - with it a local SNS (serverless-offline-sns, SNS_PORT, default 4002) whose notifications are printed here
 *     (scripts/local/sns-sink.ts), and a local SES (serverless-offline-ses-v2, SES_PORT, default 8005) whose page
 *     shows the e-mails sent.
 * Ctrl-C stops what this command started, and only that.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdir } from 'node:fs/promises';
import net from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { defineCli } from '../lib/cli/args.js';
import { DEFAULT_MYSQL_URL } from '../lib/config.js';
import { LOCAL_DEV_KEYS } from '../lib/http/auth.js';
import { applyCliDefaults } from './cli.js';
import { findOrStartDatabase, freePort, type LocalDatabase } from './local/database.js';
import { offlineRoutes, startHttpGate, warmUp } from './local/http-gate.js';
import { LOCAL_S3_CREDENTIALS, type LocalS3, startLocalS3 } from './local/s3-server.js';
import { startSnsSink } from './local/sns-sink.js';

const root = fileURLToPath(new URL('..', import.meta.url));
const bin = (name: string) => path.join(root, 'node_modules', '.bin', name);
const say = (message: string) => console.log(`[start] ${message}`);

const cli = defineCli({
  usage: 'npm start',
  description: `The whole system on this machine: a database (MYSQL_URL if it answers, else docker compose, else a
private MariaDB/MySQL in .local/), an S3-compatible server (S3_ENDPOINT if it answers, else one on port S3_PORT,
default 4569), migrations, the demo bank when the database is empty, a scan, and serverless offline with every
route and schedule on HTTP_PORT (default 3000). Ctrl-C stops what this command started, and only that.`,
  options: {},
});

const stops: Array<{ what: string; stop: () => Promise<void> }> = [];
let offline: ChildProcess | undefined;
let stopping = 0;

async function shutdown(code: number): Promise<void> {
  // npm and tsx relay Ctrl-C on top of the terminal's own signal: ignore repeats for a few seconds so the first
  // one can stop everything cleanly; a Ctrl-C after that forces the exit.
  if (stopping) {
    if (Date.now() - stopping > 5_000) process.exit(code);
    return;
  }
  stopping = Date.now();
  say('stopping…');
  if (offline && offline.exitCode === null) {
    const exited = new Promise((resolve) => offline?.once('exit', resolve));
    offline.kill('SIGINT');
    await Promise.race([exited, new Promise((r) => setTimeout(r, 5_000))]);
    if (offline.exitCode === null) offline.kill('SIGKILL');
  }
  for (const { what, stop } of stops.reverse()) {
    await stop().catch((error) => say(`could not stop ${what}: ${(error as Error).message}`));
    say(`stopped ${what}`);
  }
  process.exit(code);
}

function runStep(label: string, command: string, args: string[], env: NodeJS.ProcessEnv): Promise<void> {
  say(label);
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd: root, env, stdio: 'inherit' });
    child.on('error', reject);
    child.on('exit', (code) =>
      code === 0 ? resolve() : reject(new Error(`${label} failed (exit ${code})`)),
    );
  });
}

async function s3Answers(endpoint: string): Promise<boolean> {
  try {
    await fetch(endpoint, { method: 'GET', signal: AbortSignal.timeout(2_000) });
    return true;
  } catch {
    return false;
  }
}

/** `preferred` when it is free, else any free port. */
async function portFor(preferred: number): Promise<number> {
  const free = await new Promise<boolean>((resolve) => {
    const probe = net.createServer().once('error', () => resolve(false));
    probe.listen(preferred, '127.0.0.1', () => probe.close(() => resolve(true)));
  });
  return free ? preferred : freePort();
}

/** The local SNS and SES ports and what the functions need to reach them. */
async function localMessaging(): Promise<NodeJS.ProcessEnv> {
  const sns = await portFor(Number(process.env.SNS_PORT || 4002));
  const ses = await portFor(Number(process.env.SES_PORT || 8005));
  return {
    SNS_PORT: String(sns),
    SES_PORT: String(ses),
    SNS_ENDPOINT: `http://127.0.0.1:${sns}`,
    SES_ENDPOINT: `http://127.0.0.1:${ses}`,
    NOTIFY_TOPIC_ARN: 'arn:aws:sns:eu-central-1:123456789012:financial-monitor-local-notifications',
  };
}

/** Subscribes the console sink to the local topic, once serverless offline (and its SNS) is up. */
async function watchNotifications(env: NodeJS.ProcessEnv): Promise<void> {
  try {
    const sink = await startSnsSink({
      endpoint: String(env.SNS_ENDPOINT),
      topicArn: String(env.NOTIFY_TOPIC_ARN),
      region: String(env.AWS_REGION),
      credentials: {
        accessKeyId: String(env.AWS_ACCESS_KEY_ID),
        secretAccessKey: String(env.AWS_SECRET_ACCESS_KEY),
      },
      say: (line) => say(line),
    });
    stops.push({ what: 'the SNS console sink', stop: sink.stop });
  } catch (error) {
    say(`could not subscribe to the local SNS topic: ${(error as Error).message}`);
  }
}

function announce(port: string, messaging: NodeJS.ProcessEnv): void {
  say(`ready — try: curl http://localhost:${port}/health`);
  say(
    `notifications: the publisher runs every minute; SNS messages are printed here ("SNS → …"); e-mails sent ` +
      `(the daily digest) are on http://localhost:${messaging.SES_PORT}/`,
  );
  say(
    `  send the digest now: curl -X POST http://localhost:${process.env.LAMBDA_PORT || 3002}/2015-03-31/functions/financial-monitor-local-notifications-digest/invocations -d '{}'`,
  );
  if (!process.env.API_KEYS) {
    say('alerts API development keys (stage local only; set API_KEYS to use your own):');
    for (const k of LOCAL_DEV_KEYS) say(`  ${k.role.padEnd(8)} x-api-key: ${k.key}`);
    const analyst = LOCAL_DEV_KEYS.find((k) => k.role === 'analyst')?.key;
    say(`  curl -H 'x-api-key: ${analyst}' 'http://localhost:${port}/alerts?risk_level=High&limit=5'`);
    say(`  curl http://localhost:${port}/openapi.json`);
  }
  say(
    'routes and schedules are listed above (GET | …, Scheduling […]); Ctrl-C stops everything this started',
  );
}

async function main() {
  if (!cli.parse(process.argv.slice(2))) return;
  applyCliDefaults();
  process.on('SIGINT', () => void shutdown(0));
  process.on('SIGTERM', () => void shutdown(0));

  const db: LocalDatabase = await findOrStartDatabase(root, process.env.MYSQL_URL || DEFAULT_MYSQL_URL, say);
  if (db.source !== 'url') stops.push({ what: `the ${db.source} database`, stop: db.stop });
  say(
    `database: ${db.url.replace(/\/\/([^:@/]+):[^@/]*@/, '//$1:***@')} (${db.source === 'url' ? 'already running' : `started: ${db.source}`})`,
  );

  const bucket = process.env.BACKUP_BUCKET || 'financial-monitor-local-backups';
  let s3Endpoint = process.env.S3_ENDPOINT || (db.source === 'compose' ? 'http://127.0.0.1:9000' : '');
  const credentials =
    db.source === 'compose' && !process.env.AWS_ACCESS_KEY_ID
      ? { accessKeyId: 'minioadmin', secretAccessKey: 'minioadmin' }
      : {
          accessKeyId: process.env.AWS_ACCESS_KEY_ID || LOCAL_S3_CREDENTIALS.accessKeyId,
          secretAccessKey: process.env.AWS_SECRET_ACCESS_KEY || LOCAL_S3_CREDENTIALS.secretAccessKey,
        };
  if (!s3Endpoint || !(await s3Answers(s3Endpoint))) {
    if (s3Endpoint)
      say(`S3_ENDPOINT ${s3Endpoint} does not answer; starting a local S3-compatible server instead`);
    const directory = path.join(root, '.local', 's3');
    await mkdir(directory, { recursive: true });
    let local: LocalS3;
    try {
      local = await startLocalS3({ port: Number(process.env.S3_PORT ?? 4569), buckets: [bucket], directory });
    } catch {
      local = await startLocalS3({ port: 0, buckets: [bucket], directory });
    }
    stops.push({ what: 'the local S3 server', stop: local.stop });
    s3Endpoint = local.endpoint;
    Object.assign(credentials, LOCAL_S3_CREDENTIALS);
    say(`S3: ${s3Endpoint} (local S3-compatible server, data in .local/s3, bucket ${bucket})`);
  } else {
    say(`S3: ${s3Endpoint} (bucket ${bucket})`);
  }

  const env: NodeJS.ProcessEnv = {
    ...process.env,
    MYSQL_URL: db.url,
    S3_ENDPOINT: s3Endpoint,
    BACKUP_BUCKET: bucket,
    AWS_REGION: process.env.AWS_REGION || 'eu-central-1',
    AWS_ACCESS_KEY_ID: credentials.accessKeyId,
    AWS_SECRET_ACCESS_KEY: credentials.secretAccessKey,
    AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
  };

  await runStep('migrating…', bin('tsx'), ['scripts/migrate.ts'], env);
  await runStep(
    'seeding the demo bank if the database is empty…',
    bin('tsx'),
    ['scripts/seed.ts', '--if-empty'],
    env,
  );
  // The schedule fires every 15 minutes; scan what is new now so alerts and the dashboard are there at once.
  await runStep('scanning new transactions for anomalies…', bin('tsx'), ['scripts/scan.ts'], env);

  const messaging = await localMessaging();
  const port = process.env.HTTP_PORT || '3000';
  const offlinePort = await freePort();
  const gate = await startHttpGate({ port: Number(port), target: `http://localhost:${offlinePort}` }).catch(
    (error: NodeJS.ErrnoException) => {
      throw error.code === 'EADDRINUSE'
        ? new Error(`port ${port} is in use: set HTTP_PORT to another one`)
        : error;
    },
  );
  stops.push({ what: 'the HTTP gate', stop: gate.stop });
  say(`starting serverless offline on http://localhost:${port} …`);
  offline = spawn(bin('serverless'), ['offline', 'start', '--stage', 'local'], {
    cwd: root,
    env: { ...env, ...messaging, HTTP_PORT: String(offlinePort) },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let printed = '';
  let ready = false;
  // serverless offline prints its own port; clients use the gate's.
  const forward = (chunk: Buffer, stream: NodeJS.WriteStream) => {
    const text = chunk.toString().replaceAll(`localhost:${offlinePort}`, `localhost:${port}`);
    stream.write(text);
    if (ready) return;
    printed += text;
    if (/Server ready/i.test(printed)) {
      ready = true;
      void warmUp(gate.url, offlineRoutes(printed)).then(async (problems) => {
        for (const { route, problem } of problems) say(`warm-up: ${route} ${problem}`);
        await watchNotifications({ ...env, ...messaging });
        announce(port, messaging);
      });
    }
  };
  offline.stdout?.on('data', (c: Buffer) => forward(c, process.stdout));
  offline.stderr?.on('data', (c: Buffer) => forward(c, process.stderr));
  offline.on('exit', (code) => {
    if (!stopping) {
      say(`serverless offline exited (${code}); stopping`);
      void shutdown(code ?? 1);
    }
  });
}

main().catch(async (error) => {
  console.error(`[start] ${(error as Error).message}`);
  await shutdown(1);
});
