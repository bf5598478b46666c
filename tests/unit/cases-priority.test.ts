import { describe, expect, it } from 'vitest';
import { casePriority, dueTime, signalOf } from '../../lib/cases/priority.js';
import { CASE_SETTINGS } from '../../lib/cases/settings.js';

describe('case priority', () => {
  it('adds risk, extra independent signals and the amount’s tenfolds', () => {
    expect(casePriority({ risk: 'High', amount: 12_000, signals: 2 }, CASE_SETTINGS)).toBe(800 + 60 + 102);
    expect(casePriority({ risk: 'Medium', amount: 0, signals: 1 }, CASE_SETTINGS)).toBe(400);
  });

  it('ranks every High case above every Medium case', () => {
    const topMedium = casePriority({ risk: 'Medium', amount: 1e15, signals: 99 }, CASE_SETTINGS);
    const lowestHigh = casePriority({ risk: 'High', amount: 0, signals: 1 }, CASE_SETTINGS);
    expect(topMedium).toBe(400 + 240 + 150);
    expect(lowestHigh).toBeGreaterThan(topMedium);
  });

  it('counts the two amount rules as one signal and an analyst flag as its own', () => {
    expect(signalOf('high-amount')).toBe(signalOf('client-baseline'));
    expect(signalOf('rapid-transfers')).toBe('rapid-transfers');
    expect(signalOf(null)).toBe('analyst');
  });
});

describe('case due time', () => {
  const opened = new Date('2026-03-10T10:00:00Z');

  it('is 24 h after opening for High and 72 h for Medium', () => {
    expect(dueTime('High', opened, null, CASE_SETTINGS)?.toISOString()).toBe('2026-03-11T10:00:00.000Z');
    expect(dueTime('Medium', opened, null, CASE_SETTINGS)?.toISOString()).toBe('2026-03-13T10:00:00.000Z');
  });

  it('only ever moves earlier when a later alert raises the risk', () => {
    const medium = dueTime('Medium', opened, null, CASE_SETTINGS);
    const raised = dueTime('High', new Date('2026-03-12T00:00:00Z'), medium, CASE_SETTINGS);
    expect(raised?.toISOString()).toBe('2026-03-13T00:00:00.000Z');
    const late = dueTime('High', new Date('2026-03-13T00:00:00Z'), medium, CASE_SETTINGS);
    expect(late).toBe(medium);
  });
});
