import { describe, expect, it } from 'vitest';
import { measureCpu, processCpuSeconds } from '../../bench/lib.js';

/**
 * Keeps this thread busy until the process has used `ms` milliseconds of CPU (not of wall time: on a loaded machine
 * the thread gets only part of the wall clock, and the figures under test are CPU seconds).
 */
function spin(ms: number): number {
  const start = process.cpuUsage();
  let x = 0;
  for (;;) {
    for (let i = 0; i < 10_000; i++) x += Math.sqrt(x + 1);
    const used = process.cpuUsage(start);
    if ((used.user + used.system) / 1000 >= ms) return x;
  }
}

describe('bench CPU figures', () => {
  it('reads a process’s CPU seconds from /proc, in step with what Node reports for itself', () => {
    const before = processCpuSeconds(process.pid);
    const own = process.cpuUsage();
    spin(300);
    const after = processCpuSeconds(process.pid);
    const used = process.cpuUsage(own);
    expect(before).toBeTypeOf('number');
    expect(after).toBeTypeOf('number');
    const fromProc = (after as number) - (before as number);
    // /proc counts in hundredths of a second: allow a few ticks either way.
    expect(fromProc).toBeGreaterThan(0.2);
    expect(Math.abs(fromProc - (used.user + used.system) / 1e6)).toBeLessThan(0.05);
  });

  it('has no figure for a process that does not exist', () => {
    expect(processCpuSeconds(2 ** 31 - 1)).toBeUndefined();
  });

  it('measures wall and CPU seconds of a piece of work, and the server’s when given one', async () => {
    const measured = await measureCpu(async () => spin(200), process.pid);
    expect(measured.result).toBeGreaterThan(0);
    // 0.2 CPU-seconds were used (spin counts this process's CPU, all threads): at least 0.1 s on two cores.
    expect(measured.cpuSeconds).toBeGreaterThanOrEqual(0.2);
    expect(measured.seconds).toBeGreaterThan(0.1);
    // The "server" here is this very process: its /proc figure matches its own.
    expect(measured.serverCpuSeconds).toBeGreaterThan(0.15);
    expect(Math.abs((measured.serverCpuSeconds as number) - measured.cpuSeconds)).toBeLessThan(0.05);
    expect((await measureCpu(async () => 1)).serverCpuSeconds).toBeUndefined();
  });
});
