/**
 * A local rescan worker: a child process of `npm run scan -- --full --workers N` (local.ts). It runs the parts its
 * parent sends — the same runRescanPart the scan-rescan Lambda runs — one at a time, and answers each with what it
 * did and its peak RSS. It exits when its parent disconnects.
 */
import { closePool } from '../../db/pool.js';
import { partEvent } from './events.js';
import { runRescanPart } from './part.js';

/** A worker's answer to one part. */
export type WorkerReply =
  | { ok: true; result: Awaited<ReturnType<typeof runRescanPart>>; peakRssKb: number }
  | { ok: false; error: string; peakRssKb: number };

function reply(message: WorkerReply): void {
  process.send?.(message);
}

process.on('message', (message: unknown) => {
  const parsed = partEvent.safeParse(message);
  if (!parsed.success) {
    reply({
      ok: false,
      error: `invalid part: ${parsed.error.message}`,
      peakRssKb: process.resourceUsage().maxRSS,
    });
    return;
  }
  runRescanPart(parsed.data).then(
    (result) => reply({ ok: true, result, peakRssKb: process.resourceUsage().maxRSS }),
    (error: Error) => reply({ ok: false, error: error.message, peakRssKb: process.resourceUsage().maxRSS }),
  );
});

process.on('disconnect', () => {
  void closePool().finally(() => process.exit(0));
});
