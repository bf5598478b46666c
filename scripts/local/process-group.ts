/**
 * Stopping a child started with `detached: true` (its own process group: serverless offline, npm start) together
 * with everything it started.
 */
import type { ChildProcess } from 'node:child_process';

/** Sends SIGINT to the child's group, SIGKILL after `graceMs` if it has not exited; resolves once it has. */
export async function stopProcessGroup(child: ChildProcess, graceMs: number): Promise<void> {
  if (child.exitCode !== null || child.pid === undefined) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  process.kill(-child.pid, 'SIGINT');
  const timer = setTimeout(() => child.pid && process.kill(-child.pid, 'SIGKILL'), graceMs);
  await exited;
  clearTimeout(timer);
}
