/**
 * Helpers shared by the benchmarks: timing, peak memory, child processes, and printing figures with their ratio to
 * a baseline.
 */
import { spawn } from 'node:child_process';

export interface Measurement {
  label: string;
  seconds: number;
}

/** Runs `work` once and returns its wall-clock seconds. */
export async function timeIt(label: string, work: () => Promise<unknown>): Promise<Measurement> {
  const started = performance.now();
  await work();
  return { label, seconds: (performance.now() - started) / 1000 };
}

/** Peak resident set size of this process so far, in MB (from the kernel's ru_maxrss). */
export function peakRssMb(): number {
  return process.resourceUsage().maxRSS / 1024;
}

/** Prints a table of measurements and each one's ratio to the first (the baseline). */
export function printRatios(title: string, [baseline, ...others]: Measurement[]): void {
  if (!baseline) return;
  console.log(`\n${title}`);
  console.log(`  ${'measurement'.padEnd(48)} ${'seconds'.padStart(9)} ${'ratio'.padStart(7)}`);
  for (const m of [baseline, ...others]) {
    console.log(
      `  ${m.label.padEnd(48)} ${m.seconds.toFixed(3).padStart(9)} ${(m.seconds / baseline.seconds).toFixed(2).padStart(6)}×`,
    );
  }
}

/** Percentile (0–100) of a list of numbers, nearest-rank. */
export function percentile(values: number[], p: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[rank] as number;
}

/**
 * Runs `command` in a child process (stderr shown, stdout collected) and resolves with its stdout; rejects when it
 * cannot start or exits non-zero. Benches measure in fresh processes so each peak RSS is that step's own.
 */
export function runChild(
  command: string,
  args: readonly string[],
  options: { cwd?: string; env?: NodeJS.ProcessEnv; label: string },
): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, {
      cwd: options.cwd,
      env: options.env ?? process.env,
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let out = '';
    child.stdout.on('data', (chunk: Buffer) => {
      out += chunk.toString();
    });
    child.on('error', reject);
    child.on('close', (code) =>
      code === 0 ? resolve(out) : reject(new Error(`${options.label} exited with ${code}`)),
    );
  });
}
