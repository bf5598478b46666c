/**
 * The partitioned rescan on this machine — `npm run scan -- --full --workers N [--partitions P]`: the steps the state
 * machine drives, in one process and N child processes (worker.ts): prepare → the histogram slices and the network
 * stage → the client partitions → finalize, each part run by a worker as the Lambda runs it. A part that fails stops
 * the rescan: the workers are stopped and the rescan abandoned (nothing it staged reaches the live tables).
 */
import { type ChildProcess, fork } from 'node:child_process';
import { hostname } from 'node:os';
import { fileURLToPath } from 'node:url';
import { ValidationError } from '../../errors.js';
import type { RulesConfig } from '../../rules/config.js';
import { abandonRescan, finalizeRescan, type RescanSummary } from './finalize.js';
import type { PartResult } from './part.js';
import { MAX_PARTITIONS } from './plan.js';
import { type PartRef, prepareRescan } from './prepare.js';
import type { WorkerReply } from './worker.js';

/** Workers a local rescan may start. */
export const MAX_WORKERS = 64;

export interface LocalRescanOptions {
  workers: number;
  /** Client partitions and histogram slices (default: one per worker); at least `workers`. */
  partitions?: number;
  rules?: RulesConfig;
  toId?: number;
  leaseSeconds?: number;
}

export interface LocalRescanSummary extends RescanSummary {
  workers: number;
  parts: PartResult[];
  /** Each worker's peak RSS (MB). */
  workerPeakRssMb: number[];
  /** The whole rescan, and of it: prepare, the parts (in the workers), finalize. */
  durationMs: number;
  phasesMs: { prepare: number; parts: number; finalize: number };
}

/** Checks --workers and --partitions: integers, 1 ≤ workers ≤ MAX_WORKERS, workers ≤ partitions ≤ MAX_PARTITIONS. */
export function checkWorkerOptions(workers: number, partitions = workers): void {
  if (!Number.isInteger(workers) || workers < 1 || workers > MAX_WORKERS)
    throw new ValidationError(`--workers must be an integer from 1 to ${MAX_WORKERS} (got ${workers})`);
  if (!Number.isInteger(partitions) || partitions < workers || partitions > MAX_PARTITIONS)
    throw new ValidationError(
      `--partitions must be an integer from --workers (${workers}) to ${MAX_PARTITIONS} (got ${partitions})`,
    );
}

/**
 * Runs a partitioned full rescan with `workers` local processes; resolves with what it did, or throws after
 * abandoning it.
 *
 * @example await runLocalRescan({ workers: 2, partitions: 8 });
 */
export async function runLocalRescan(options: LocalRescanOptions): Promise<LocalRescanSummary> {
  const started = performance.now();
  const partitions = options.partitions ?? options.workers;
  checkWorkerOptions(options.workers, partitions);
  const plan = await prepareRescan({
    partitions,
    owner: `local:${hostname()}:${process.pid}`,
    rules: options.rules,
    toId: options.toId,
    leaseSeconds: options.leaseSeconds,
  });
  const prepared = performance.now();
  const pool = new WorkerPool(options.workers);
  try {
    // The network stage needs no histogram: it runs beside the slices.
    const first = await pool.runAll([...plan.histogram, plan.network]);
    const clients = await pool.runAll(plan.clients);
    const workerPeakRssMb = await pool.close();
    const judged = performance.now();
    const summary = await finalizeRescan(plan);
    const finished = performance.now();
    return {
      ...summary,
      workers: options.workers,
      parts: [...first, ...clients],
      workerPeakRssMb,
      durationMs: Math.round(finished - started),
      phasesMs: {
        prepare: Math.round(prepared - started),
        parts: Math.round(judged - prepared),
        finalize: Math.round(finished - judged),
      },
    };
  } catch (error) {
    await pool.close();
    await abandonRescan(plan, `stopped: ${(error as Error).message}`);
    throw error;
  }
}

/** The worker module: TypeScript under tsx here, JavaScript once built. */
const WORKER = new URL(`./worker${import.meta.url.endsWith('.ts') ? '.ts' : '.js'}`, import.meta.url);

/** N worker processes, each running one part at a time. */
class WorkerPool {
  private readonly children: ChildProcess[] = [];
  private readonly peakRssKb: number[] = [];

  constructor(size: number) {
    const execArgv = WORKER.pathname.endsWith('.ts') ? ['--import', import.meta.resolve('tsx')] : [];
    for (let i = 0; i < size; i++) {
      this.children.push(fork(fileURLToPath(WORKER), [], { execArgv, stdio: 'inherit' }));
      this.peakRssKb.push(0);
    }
  }

  /** Runs every part, each on the next free worker; rejects at the first failure (once no part is running). */
  async runAll(parts: readonly PartRef[]): Promise<PartResult[]> {
    const queue = [...parts];
    const results: PartResult[] = [];
    let failure: Error | undefined;
    await Promise.all(
      this.children.map(async (child, w) => {
        for (let next = queue.shift(); next && !failure; next = queue.shift()) {
          try {
            results.push(await this.run(child, w, next));
          } catch (error) {
            failure ??= error as Error;
          }
        }
      }),
    );
    if (failure) throw failure;
    return results;
  }

  private run(child: ChildProcess, w: number, part: PartRef): Promise<PartResult> {
    return new Promise((resolve, reject) => {
      const onExit = (code: number | null, signal: string | null) =>
        reject(
          new Error(
            `worker ${w + 1} stopped (${signal ?? `exit code ${code}`}) while running ${describe(part)}`,
          ),
        );
      child.once('exit', onExit);
      child.once('message', (message: WorkerReply) => {
        child.off('exit', onExit);
        this.peakRssKb[w] = Math.max(this.peakRssKb[w] as number, message.peakRssKb);
        if (message.ok) resolve(message.result);
        else reject(new Error(`${describe(part)} failed: ${message.error}`));
      });
      if (child.exitCode !== null || child.signalCode !== null) onExit(child.exitCode, child.signalCode);
      else child.send(part);
    });
  }

  /** Stops every worker (disconnecting it, or killing one that does not answer) and resolves with their peak RSS (MB). */
  async close(): Promise<number[]> {
    await Promise.all(
      this.children.map(
        (child) =>
          new Promise<void>((resolve) => {
            if (child.exitCode !== null || child.signalCode !== null) return resolve();
            child.once('exit', () => resolve());
            if (child.connected) child.disconnect();
            setTimeout(() => child.kill('SIGKILL'), 10_000).unref();
          }),
      ),
    );
    return this.peakRssKb.map((kb) => Math.round(kb / 1024));
  }
}

function describe(part: PartRef): string {
  return part.kind === 'network' ? 'the network stage' : `${part.kind} part ${part.part}`;
}
