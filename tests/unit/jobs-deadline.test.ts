import { describe, expect, it } from 'vitest';
import { ValidationError } from '../../lib/errors.js';
import { Deadline } from '../../lib/jobs/deadline.js';

/** A deadline on a clock the test moves: `left` ms remain before the end. */
function onClock(budget: number, margin: number) {
  let now = 0;
  const deadline = new Deadline(
    () => budget - now,
    margin,
    () => now,
  );
  return { deadline, advance: (ms: number) => (now += ms) };
}

describe('Deadline', () => {
  it('lets the first step start whenever more than the margin is left', () => {
    expect(onClock(1_001, 1_000).deadline.hasTimeForStep()).toBe(true);
    expect(onClock(1_000, 1_000).deadline.hasTimeForStep()).toBe(false);
  });

  it('lets a step start only when one as long as the longest so far ends before the margin', async () => {
    const { deadline, advance } = onClock(100, 10);
    await deadline.step(async () => advance(30));
    expect(deadline.hasTimeForStep()).toBe(true); // 70 left, 60 before the margin > 30
    await deadline.step(async () => advance(20));
    expect(deadline.hasTimeForStep()).toBe(true); // 50 left, 40 > 30 (the longest, not the last)
    await deadline.step(async () => advance(20));
    expect(deadline.hasTimeForStep()).toBe(false); // 30 left, 20 < 30
  });

  it('times a step that fails too', async () => {
    const { deadline, advance } = onClock(100, 10);
    await expect(
      deadline.step(async () => {
        advance(60);
        throw new Error('boom');
      }),
    ).rejects.toThrow('boom');
    expect(deadline.hasTimeForStep()).toBe(false); // 40 left, 30 < 60
  });

  it('never stops without a deadline', async () => {
    const none = Deadline.none();
    await none.step(async () => undefined);
    expect(none.hasTimeForStep()).toBe(true);
  });

  it("reads a Lambda context's remaining time, and refuses a margin that leaves it none", () => {
    let left = 300_000;
    const deadline = Deadline.fromLambda({ getRemainingTimeInMillis: () => left }, 20);
    expect(deadline.hasTimeForStep()).toBe(true);
    left = 20_000;
    expect(deadline.hasTimeForStep()).toBe(false);
    expect(() => Deadline.fromLambda({ getRemainingTimeInMillis: () => 15_000 }, 20)).toThrow(
      ValidationError,
    );
    expect(() => Deadline.fromLambda({ getRemainingTimeInMillis: () => 15_000 }, 20)).toThrow(
      "the deadline margin (JOB_DEADLINE_MARGIN_SECONDS, 20 s) leaves no time in this invocation's 15 s",
    );
  });

  it('has no deadline for a hand-made context without the remaining time', () => {
    expect(Deadline.fromLambda({}, 20).hasTimeForStep()).toBe(true);
  });

  it('refuses a CLI deadline no longer than the margin', () => {
    expect(() => Deadline.afterSeconds(20, 20)).toThrow('leaves no time in a deadline of 20 s');
    expect(Deadline.afterSeconds(21, 20).hasTimeForStep()).toBe(true);
  });
});
