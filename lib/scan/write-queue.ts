/**
 * The writes that go out while the next clients are judged: the full scan's two writers (its alerts with the run's
 * progress, and its client states, each batch in a transaction of its own) and the incremental chunk's client
 * states (slices on two connections). Neither lets a write outlive the run: a failure is reported once every
 * write has ended.
 */
import { withTransaction } from '../db/pool.js';
import { AlertBatch, addCounts, sumCounts, writeAlertBatch } from './alerts.js';
import { type Progress, recordProgress } from './runs.js';
import type { ScanOptions } from './scan.js';
import { StateBatch, saveStates, writeStateBatch } from './state.js';

/** Incremental scan: client states per write (written while the next clients are judged). */
const STATE_SLICE = 2_000;

/** Waits for every write to finish, then fails with the first failure: none is left running behind an error. */
export async function allWritten(writes: readonly Promise<unknown>[]): Promise<void> {
  const results = await Promise.allSettled(writes);
  const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
  if (failed) throw failed.reason;
}

/** Where a judged batch goes: the live tables (the full scan: liveSinks) or a rescan's staging (lib/scan/rescan). */
export interface JudgedSinks {
  alerts(batch: AlertBatch): Promise<void>;
  states(batch: StateBatch): Promise<void>;
}

/**
 * The full scan's two writers, each one transaction at a time on its own connection: alerts and client states
 * (where `sinks` puts them). They need not commit together: a state says which transactions it has seen (as_of),
 * and alerts are idempotent. Batches are reused once written (a batch's buffer is its rows' TSV bytes).
 */
export class FullScanWriter {
  private alertWrites: Promise<void> = Promise.resolve();
  private stateWrites: Promise<void> = Promise.resolve();
  /** Each queued batch's writes (its alerts and its states), oldest first. */
  private readonly pending: Promise<unknown>[] = [];
  private readonly freeAlerts: AlertBatch[] = [];
  private readonly freeStates: StateBatch[] = [];

  constructor(private readonly sinks: JudgedSinks) {}

  /** An empty alert batch (a written one when there is one). */
  alertBatch(): AlertBatch {
    return this.freeAlerts.pop() ?? new AlertBatch();
  }

  /** An empty state batch (a written one when there is one). */
  stateBatch(): StateBatch {
    return this.freeStates.pop() ?? new StateBatch();
  }

  /**
   * Queues a batch of alerts and one of states. Batches are written while the next ones are judged; the judging
   * waits only when two are still queued (a failed write stops it at once).
   */
  async enqueue(alerts: AlertBatch, states: StateBatch): Promise<void> {
    this.alertWrites = this.alertWrites.then(async () => {
      await this.sinks.alerts(alerts);
      this.freeAlerts.push(alerts.reset());
    });
    this.stateWrites = this.stateWrites.then(async () => {
      await this.sinks.states(states);
      this.freeStates.push(states.reset());
    });
    const written = Promise.all([this.alertWrites, this.stateWrites]);
    written.catch(() => undefined);
    this.pending.push(written);
    while (this.pending.length > 2) await this.pending.shift();
  }

  /** Every queued write, done; fails with the first failure once none is running. */
  written(): Promise<void> {
    return allWritten([this.alertWrites, this.stateWrites]);
  }

  /** Waits for every queued write to end, failed or not (no write may outlive the run and its lock). */
  async stopped(): Promise<void> {
    await Promise.allSettled([this.alertWrites, this.stateWrites]);
  }
}

/**
 * The full scan's sinks: alerts into `alerts` with the run's progress (the full scan files them into cases once they
 * are all written: lib/scan/cases.ts), states into scan_client_state.
 */
export function liveSinks(
  runId: number,
  maxId: number,
  progress: Progress,
  onCommitted: ScanOptions['onChunkCommitted'],
): JudgedSinks {
  return {
    async alerts(batch) {
      const created = await withTransaction(async (tx) => {
        const made = await writeAlertBatch(tx, batch, runId);
        const counts = sumCounts(progress.counts, made);
        await recordProgress(runId, { scanned: progress.scanned, toId: maxId, counts }, tx);
        return made;
      });
      addCounts(progress.counts, created);
      progress.chunks++;
      await onCommitted?.({ index: progress.chunks - 1, toId: maxId });
    },
    async states(batch) {
      await withTransaction((tx) => writeStateBatch(tx, batch));
    },
  };
}

/**
 * An incremental chunk's new client states, written while the next clients are judged in slices, each in its own
 * transaction and before the watermarks move: a state says which transaction it has seen (as_of = the chunk's
 * last id), so one committed by a chunk that then fails is newer than the watermark and its client is replayed
 * next time. Two chains of slices (two connections), each slice after the one before it in its chain.
 */
export class StateSlices {
  /** The states sent so far. */
  sent = 0;
  private saved: Array<readonly [number, Buffer]> = [];
  private readonly writes: Promise<unknown>[] = [];

  constructor(private readonly asOf: number) {}

  /** Adds a client's state; true when that made a slice go out. */
  add(clientId: number, state: Buffer): boolean {
    this.saved.push([clientId, state]);
    if (this.saved.length < STATE_SLICE) return false;
    this.send();
    return true;
  }

  /** Sends the states not sent yet. */
  flush(): void {
    if (this.saved.length) this.send();
  }

  /** Every slice, written; fails with the first failure once none is running. */
  written(): Promise<void> {
    return allWritten(this.writes);
  }

  /** Waits for every slice to end, failed or not. */
  async stopped(): Promise<void> {
    await Promise.allSettled(this.writes);
  }

  private send(): void {
    const slice = this.saved;
    this.saved = [];
    this.sent += slice.length;
    const write = (this.writes[this.writes.length - 2] ?? Promise.resolve()).then(() =>
      withTransaction((tx) => saveStates(tx, slice, this.asOf)),
    );
    write.catch(() => undefined);
    this.writes.push(write);
  }
}
