/**
 * Helpers shared by the benchmarks: timing, peak memory, child processes, and printing figures with their ratio to
 * a baseline.
 */
import { spawn } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';

export interface Measurement {
  label: string;
  seconds: number;
}

/** Runs `work` once and returns its wall-clock seconds. */
export async function timeIt(label: string, work: () => Promise<unknown>): Promise<Measurement> {
  return { label, seconds: (await measureCpu(work)).seconds };
}

/** Peak resident set size of this process so far, in MB (from the kernel's ru_maxrss). */
export function peakRssMb(): number {
  return process.resourceUsage().maxRSS / 1024;
}

/** The pid of a MariaDB or MySQL server running on this machine (undefined when there is none, or /proc is not there). */
export function localDbServerPid(): number | undefined {
  try {
    for (const entry of readdirSync('/proc')) {
      if (!/^[0-9]+$/.test(entry)) continue;
      try {
        const comm = readFileSync(`/proc/${entry}/comm`, 'utf8').trim();
        if (comm === 'mariadbd' || comm === 'mysqld') return Number(entry);
      } catch {
        // The process ended while we looked.
      }
    }
  } catch {
    return undefined;
  }
  return undefined;
}

/** CPU seconds (user + system) a process has used so far, from /proc/<pid>/stat (undefined when unreadable). */
export function processCpuSeconds(pid: number): number | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the command name (which may hold spaces): state is field 3, utime 14 and stime 15.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    // In clock ticks (USER_HZ: 1/100 s on x86 and ARM Linux).
    return (Number(fields[11]) + Number(fields[12])) / 100;
  } catch {
    return undefined;
  }
}

/**
 * Runs `work` once and measures it: wall-clock seconds, this process's CPU seconds (all its threads) and, when
 * `serverPid` is given, that database server's CPU seconds meanwhile — so a slow machine shows as such next to the
 * figures, and a step's cost can be told apart from the server's.
 */
export async function measureCpu<T>(
  work: () => Promise<T>,
  serverPid?: number,
): Promise<{ result: T; seconds: number; cpuSeconds: number; serverCpuSeconds?: number }> {
  const server = serverPid === undefined ? undefined : processCpuSeconds(serverPid);
  const cpu = process.cpuUsage();
  const started = performance.now();
  const result = await work();
  const seconds = (performance.now() - started) / 1000;
  const used = process.cpuUsage(cpu);
  const serverAfter = serverPid === undefined ? undefined : processCpuSeconds(serverPid);
  return {
    result,
    seconds,
    cpuSeconds: (used.user + used.system) / 1e6,
    serverCpuSeconds: server !== undefined && serverAfter !== undefined ? serverAfter - server : undefined,
  };
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
/** `iterations` sequential runs of `work` after 50 warm-up ones: each run's milliseconds. */
export async function sampleMs(work: () => Promise<unknown>, iterations: number): Promise<number[]> {
  for (let i = 0; i < 50; i++) await work();
  const samples: number[] = [];
  for (let i = 0; i < iterations; i++) {
    const started = performance.now();
    await work();
    samples.push(performance.now() - started);
  }
  return samples;
}

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

/**
 * Empties what a scan writes — its alerts (analysts' stay), their history and cases, runs, watermarks, histogram,
 * client states and any rescan a stopped bench left — on a bench's own database. `execute` is lib/db/pool.ts's,
 * passed in because benches load the pool only once the CLI's defaults are applied.
 */
export async function resetScanOutput(execute: (sql: string) => Promise<unknown>): Promise<void> {
  // A run's raises leave history rows on its alerts (a later finding raising an earlier alert's level).
  await execute(
    "DELETE h FROM alert_history h JOIN alerts al ON al.id = h.alert_id WHERE al.flagged_by = 'system'",
  );
  // The cases the scan opened hold its alerts (the bench's database is its own: every case is the scan's).
  for (const table of ['case_history', 'case_notes', 'case_clients', 'case_alerts', 'cases'])
    await execute(`DELETE FROM ${table}`);
  await execute("DELETE FROM alerts WHERE flagged_by = 'system'");
  await execute('DELETE FROM scan_runs');
  await execute('DELETE FROM scan_watermarks');
  await execute('DELETE FROM scan_amount_histogram');
  await execute('DELETE FROM scan_client_state');
  // A rescan a stopped bench left behind would hold its lease for 20 minutes.
  for (const table of ['alerts', 'states', 'histogram', 'network'])
    await execute(`DELETE FROM scan_rescan_${table}`);
  await execute('DELETE FROM scan_rescans');
}
