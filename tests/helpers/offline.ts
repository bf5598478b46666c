/**
 * Runs `serverless offline --stage local` as a child process for e2e tests, on free ports, with this test file's
 * database and S3 server, and stops it afterwards; `startOfflineBehindGate` adds what `npm start` puts in front of
 * it (scripts/local/http-gate.ts) and loads every function before the first request, as `npm start` does.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { freePort } from '../../scripts/local/database.js';
import {
  type HttpGate,
  type HttpGateOptions,
  offlineRoutes,
  startHttpGate,
  warmUp,
} from '../../scripts/local/http-gate.js';
import { stopProcessGroup } from '../../scripts/local/process-group.js';

const root = fileURLToPath(new URL('../..', import.meta.url));

export interface Offline {
  url: string;
  /** Everything serverless offline printed so far. */
  output(): string;
  stop(): Promise<void>;
}

export async function startOffline(
  extraEnv: Record<string, string> = {},
  timeoutMs = 90_000,
): Promise<Offline> {
  const [httpPort, lambdaPort] = [await freePort(), await freePort()];
  // The local SNS and SES plugins listen too: ports of their own, so parallel runs (and `npm start`) never collide.
  const [snsPort, sesPort] = [await freePort(), await freePort()];
  let output = '';
  const child: ChildProcess = spawn(
    `${root}node_modules/.bin/serverless`,
    ['offline', 'start', '--stage', 'local'],
    {
      cwd: root,
      env: {
        ...process.env,
        HTTP_PORT: String(httpPort),
        LAMBDA_PORT: String(lambdaPort),
        SNS_PORT: String(snsPort),
        SES_PORT: String(sesPort),
        SNS_ENDPOINT: `http://127.0.0.1:${snsPort}`,
        SES_ENDPOINT: `http://127.0.0.1:${sesPort}`,
        ESBUILD_WORK_FOLDER: '.esbuild-e2e',
        ...extraEnv,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true,
    },
  );
  const collect = (chunk: Buffer) => {
    output += chunk.toString();
  };
  child.stdout?.on('data', collect);
  child.stderr?.on('data', collect);
  const stop = () => stopProcessGroup(child, 5_000);
  const deadline = Date.now() + timeoutMs;
  while (!/Server ready/.test(output)) {
    if (child.exitCode !== null) throw new Error(`serverless offline exited (${child.exitCode}):\n${output}`);
    if (Date.now() > deadline) {
      await stop();
      throw new Error(`serverless offline not ready within ${timeoutMs / 1000} s:\n${output}`);
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  return { url: `http://localhost:${httpPort}`, output: () => output, stop };
}

/**
 * serverless offline behind the same gate as under `npm start`, its functions loaded: `url` is the gate's, and
 * `gate` overrides the gate's limits (the defaults are `npm start`'s).
 */
export async function startOfflineBehindGate(
  extraEnv: Record<string, string> = {},
  gate: Partial<Omit<HttpGateOptions, 'target'>> = {},
): Promise<Offline & { offlineUrl: string }> {
  const offline = await startOffline(extraEnv);
  let front: HttpGate | undefined;
  try {
    front = await startHttpGate({ port: 0, ...gate, target: offline.url });
    const problems = await warmUp(front.url, offlineRoutes(offline.output()));
    if (problems.length > 0) throw new Error(`warm-up failed: ${JSON.stringify(problems)}`);
    return {
      url: front.url,
      offlineUrl: offline.url,
      output: offline.output,
      stop: async () => {
        await front?.stop();
        await offline.stop();
      },
    };
  } catch (error) {
    await front?.stop();
    await offline.stop();
    throw error;
  }
}
