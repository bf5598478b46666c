import { describe, expect, it } from 'vitest';
import type { Episode } from '../../lib/seed/episodes.js';
import { LabelLog } from '../../lib/seed/labels.js';

const episode = (id: number, kind: Episode['kind'], note: string): Episode => ({
  id,
  kind,
  day: 0,
  size: 1,
  span: 0,
  shape: [],
  account: 0,
  note,
  totalCents: 0,
  shares: [],
  mules: [],
  country: -1,
});

describe('seed label log', () => {
  it('gives back every label in order, past its first capacity, with its episode kind and note', () => {
    const burst = episode(7, 'burst', '9 transfers within 4 minutes');
    const payroll = episode(8, 'decoy-payroll', 'payroll of 6 employees (legitimate)');
    const log = new LabelLog();
    for (let i = 0; i < 3_000; i++) log.add(5_000_000_000 + i, i % 3 === 0 ? payroll : burst);
    const rows = [...log.rows()];
    expect(rows).toHaveLength(3_000);
    expect(rows[0]).toEqual([5_000_000_000, 8, 'decoy-payroll', 0, 'payroll of 6 employees (legitimate)']);
    expect(rows[2_999]).toEqual([5_000_002_999, 7, 'burst', 1, '9 transfers within 4 minutes']);
  });

  it('numbers the rows from the id given', () => {
    const log = new LabelLog();
    log.add(11, episode(1, 'structuring', 'n'));
    log.add(12, episode(1, 'structuring', 'n'));
    expect([...log.rows(100)].map((r) => r[0])).toEqual([100, 101]);
  });

  it('is empty when nothing was labelled', () => {
    expect([...new LabelLog().rows(1)]).toEqual([]);
  });
});
