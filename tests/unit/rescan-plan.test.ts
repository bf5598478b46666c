import { describe, expect, it } from 'vitest';
import { ValidationError } from '../../lib/errors.js';
import { rescanStepEvent } from '../../lib/scan/rescan/events.js';
import { checkWorkerOptions, MAX_WORKERS } from '../../lib/scan/rescan/local.js';
import { MAX_PARTITIONS, partitionEnds, rangesFromEnds, splitIdRange } from '../../lib/scan/rescan/plan.js';

/** Every id of (0, maxId] in exactly one range, ranges in order, none empty. */
function expectCover(ranges: { after: number; upTo: number }[], maxId: number): void {
  expect(ranges[0]?.after).toBe(0);
  expect(ranges.at(-1)?.upTo).toBe(maxId);
  for (let i = 1; i < ranges.length; i++) expect(ranges[i]?.after).toBe(ranges[i - 1]?.upTo);
  if (maxId > 0) for (const r of ranges) expect(r.upTo).toBeGreaterThan(r.after);
}

describe('rescan plan', () => {
  it('splits the transaction ids into slices of about equal width covering every id once', () => {
    expect(splitIdRange(10, 3)).toEqual([
      { after: 0, upTo: 4 },
      { after: 4, upTo: 7 },
      { after: 7, upTo: 10 },
    ]);
    for (const [maxId, parts] of [
      [1_000_003, 16],
      [7, 7],
      [100, 1],
    ] as const) {
      const ranges = splitIdRange(maxId, parts);
      expect(ranges).toHaveLength(parts);
      expectCover(ranges, maxId);
      const widths = ranges.map((r) => r.upTo - r.after);
      expect(Math.max(...widths) - Math.min(...widths)).toBeLessThanOrEqual(1);
    }
  });

  it('makes fewer slices than asked when there are fewer ids, and one empty slice for an empty table', () => {
    expect(splitIdRange(3, 8)).toEqual([
      { after: 0, upTo: 1 },
      { after: 1, upTo: 2 },
      { after: 2, upTo: 3 },
    ]);
    expect(splitIdRange(0, 4)).toEqual([{ after: 0, upTo: 0 }]);
  });

  it('ends client partitions at about equal numbers of clients, the last at the last client', () => {
    expect(partitionEnds(10, 3)).toEqual([3, 6, 9]);
    expect(partitionEnds(10, 1)).toEqual([9]);
    expect(partitionEnds(16, 16)).toEqual([...Array(16).keys()]);
    const ends = partitionEnds(200_001, 7);
    const sizes = ends.map((end, i) => end - (i === 0 ? -1 : (ends[i - 1] as number)));
    expect(sizes.reduce((a, b) => a + b)).toBe(200_001);
    expect(Math.max(...sizes) - Math.min(...sizes)).toBeLessThanOrEqual(1);
  });

  it('makes no more client partitions than clients, and none without clients', () => {
    expect(partitionEnds(2, 5)).toEqual([0, 1]);
    expect(partitionEnds(0, 5)).toEqual([]);
    expect(rangesFromEnds([])).toEqual([]);
  });

  it('turns the ids ending each partition into ranges starting after the previous one', () => {
    expect(rangesFromEnds([40, 95, 300])).toEqual([
      { after: 0, upTo: 40 },
      { after: 40, upTo: 95 },
      { after: 95, upTo: 300 },
    ]);
  });
});

describe('rescan options and events', () => {
  it('accepts workers from 1 to the maximum and partitions from the workers to the maximum', () => {
    expect(() => checkWorkerOptions(1)).not.toThrow();
    expect(() => checkWorkerOptions(4, 16)).not.toThrow();
    expect(() => checkWorkerOptions(MAX_WORKERS, MAX_PARTITIONS)).not.toThrow();
  });

  it.each([
    [0, undefined, /--workers must be an integer from 1/],
    [MAX_WORKERS + 1, undefined, /--workers must be/],
    [1.5, undefined, /--workers must be/],
    [4, 3, /--partitions must be an integer from --workers \(4\)/],
    [2, MAX_PARTITIONS + 1, /--partitions must be/],
    [2, 2.5, /--partitions must be/],
  ])('refuses --workers %s --partitions %s', (workers, partitions, message) => {
    expect(() => checkWorkerOptions(workers, partitions)).toThrow(ValidationError);
    expect(() => checkWorkerOptions(workers, partitions)).toThrow(message);
  });

  it('reads each step of the state machine and refuses a part without its lease or out of range', () => {
    const part = { step: 'part', rescanId: 7, owner: 'exec-1', kind: 'clients', part: 3 };
    expect(rescanStepEvent.parse(part)).toEqual(part);
    expect(rescanStepEvent.safeParse({ ...part, owner: '' }).success).toBe(false);
    expect(rescanStepEvent.safeParse({ ...part, part: MAX_PARTITIONS + 1 }).success).toBe(false);
    expect(rescanStepEvent.safeParse({ ...part, kind: 'everything' }).success).toBe(false);
    expect(rescanStepEvent.safeParse({ step: 'prepare', owner: 'exec-1', partitions: 0 }).success).toBe(
      false,
    );
    expect(rescanStepEvent.safeParse({ step: 'finalize', rescanId: 7, owner: 'x', extra: 1 }).success).toBe(
      false,
    );
    const abandon = {
      step: 'abandon',
      rescanId: 7,
      owner: 'x',
      error: { Error: 'States.TaskFailed', Cause: '…' },
    };
    expect(rescanStepEvent.parse(abandon)).toEqual(abandon);
  });
});
