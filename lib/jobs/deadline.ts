/**
 * A job's deadline: how long it may still work, and whether one more step fits. A scan chunk, a full scan's pass or
 * a summaries-refresh chunk is a step; the job asks `hasTimeForStep()` before it starts one and stops cleanly (what
 * it committed stays, the run is recorded as partial, the next run goes on) when the answer is no. A step fits when
 * the time left, less the margin, exceeds the longest step the job has timed so far — so the first step needs only
 * the margin, and a job whose steps grow slower stops earlier.
 *
 * In Lambda the time left comes from the invocation's context (`getRemainingTimeInMillis()`); the margin from
 * JOB_DEADLINE_MARGIN_SECONDS (lib/config.ts). Tests inject the time-left function and the clock, never sleep.
 *
 * @example
 * const deadline = Deadline.fromLambda(context, getConfig().JOB_DEADLINE_MARGIN_SECONDS);
 * while (more && deadline.hasTimeForStep()) await deadline.step(() => scanChunk());
 */
import type { Context } from 'aws-lambda';
import { ValidationError } from '../errors.js';

export class Deadline {
  private longestStepMs = 0;

  /**
   * @param remainingMs the time left before the job is stopped from outside (Infinity: never)
   * @param marginMs kept free at the end: for the step's commit, the run's bookkeeping and the invocation's reply
   * @param now the clock steps are timed with (tests give a virtual one, as they give `remainingMs`)
   */
  constructor(
    private readonly remainingMs: () => number,
    private readonly marginMs = 0,
    private readonly now: () => number = () => performance.now(),
  ) {}

  /** No deadline: every step fits (the CLI without --deadline-seconds, tests, benches). */
  static none(): Deadline {
    return new Deadline(() => Number.POSITIVE_INFINITY);
  }

  /**
   * The invocation's own deadline (none for a context without `getRemainingTimeInMillis`: a hand-made one, as the
   * Lambda runtime, osls's `invoke local` and serverless offline all give it). Throws a ValidationError when the
   * margin leaves no time at all (a margin at or above the function's timeout would otherwise make every run stop
   * before its first step, silently).
   */
  static fromLambda(
    context: Partial<Pick<Context, 'getRemainingTimeInMillis'>>,
    marginSeconds: number,
  ): Deadline {
    if (typeof context.getRemainingTimeInMillis !== 'function') return Deadline.none();
    const remaining = context.getRemainingTimeInMillis.bind(context);
    const left = remaining();
    assertRoom(left, marginSeconds, `this invocation's ${Math.round(left / 1000)} s`);
    return new Deadline(remaining, marginSeconds * 1000);
  }

  /** `seconds` from now (the CLI's --deadline-seconds), with the same margin as in Lambda. */
  static afterSeconds(seconds: number, marginSeconds: number): Deadline {
    assertRoom(seconds * 1000, marginSeconds, `a deadline of ${seconds} s`);
    const end = performance.now() + seconds * 1000;
    return new Deadline(() => end - performance.now(), marginSeconds * 1000);
  }

  /** True when one more step, as long as the longest so far, ends before the margin. */
  hasTimeForStep(): boolean {
    return this.remainingMs() - this.marginMs > this.longestStepMs;
  }

  /** Runs one step and remembers how long it took. */
  async step<T>(work: () => Promise<T>): Promise<T> {
    const started = this.now();
    try {
      return await work();
    } finally {
      this.longestStepMs = Math.max(this.longestStepMs, this.now() - started);
    }
  }
}

function assertRoom(leftMs: number, marginSeconds: number, what: string): void {
  if (leftMs <= marginSeconds * 1000) {
    throw new ValidationError(
      `the deadline margin (JOB_DEADLINE_MARGIN_SECONDS, ${marginSeconds} s) leaves no time in ${what}`,
    );
  }
}
