/** Where a run spends its time, in its log. */
import { logger } from '../log.js';

/**
 * A lap timer for the run's log: each call logs `message` with the lap's name (under `key`), the milliseconds since
 * the previous call and the process's memory.
 *
 * @example const lap = stopwatch(runId, 'full scan phase', 'phase', 'info'); …; lap('read', { rows });
 */
export function stopwatch(runId: number, message: string, key: 'phase' | 'step', level: 'info' | 'debug') {
  let mark = performance.now();
  return (name: string, extra: Record<string, unknown> = {}) => {
    const now = performance.now();
    const m = process.memoryUsage();
    logger[level](message, {
      runId,
      [key]: name,
      ms: Math.round(now - mark),
      heapMb: Math.round(m.heapUsed / 1e6),
      // Typed arrays and buffers live outside the heap (the full scan's column store, rows on the wire).
      buffersMb: Math.round(m.arrayBuffers / 1e6),
      rssMb: Math.round(m.rss / 1e6),
      ...extra,
    });
    mark = now;
  };
}

/** A lap timer made by stopwatch. */
export type Lap = ReturnType<typeof stopwatch>;
