import { describe, expect, it } from 'vitest';
import { ValidationError } from '../../lib/errors.js';
import { parseSeedOptions, todayUtc } from '../../lib/seed/options.js';

describe('seed options', () => {
  it('defaults to the demo bank: 500 clients, 50 000 transactions, the year before today 00:00 UTC', () => {
    const o = parseSeedOptions({});
    expect(o).toMatchObject({
      clients: 500,
      transactions: 50_000,
      seed: 42,
      anomalyRate: 0.005,
      reset: false,
    });
    expect(o.to).toBe(todayUtc());
    expect(o.locales).toHaveLength(9);
    expect((Date.parse(o.to) - Date.parse(o.from)) / 86_400_000).toBe(365);
  });

  it('coerces CLI strings and splits locales', () => {
    const o = parseSeedOptions({
      clients: '20',
      transactions: '900',
      locales: 'pl_PL, de_AT',
      from: '2025-01-01',
      to: '2025-07-01',
    });
    expect(o).toMatchObject({ clients: 20, transactions: 900, locales: ['pl_PL', 'de_AT'] });
  });

  it.each([
    [{ clients: -5 }, 'clients must be a whole number from 1 to 2000000'],
    [{ clients: 1e9 }, 'clients must be a whole number'],
    [{ transactions: 'many' }, 'transactions must be a whole number'],
    [{ clients: 100, transactions: 100 }, 'at least 4 per client'],
    [{ locales: 'pl_PL,xx_XX' }, 'unknown locale "xx_XX"'],
    [{ from: '2025-02-30' }, 'from must be a real calendar date'],
    [{ from: '2025-06-01', to: '2025-01-01' }, 'from must be before to'],
    [{ anomalyRate: 0.5 }, 'anomaly-rate must be a number from 0 to 0.1'],
    [{ reset: true, append: true }, 'choose one of reset, append and if-empty'],
    [{ colour: 'red' }, 'unknown option(s): colour'],
  ])('rejects %j with a clear message', (input, message) => {
    expect(() => parseSeedOptions(input)).toThrow(ValidationError);
    expect(() => parseSeedOptions(input)).toThrow(message);
  });
});
