import { describe, expect, it } from 'vitest';
import { codiceFiscale, decodePesel, nationalId, pesel } from '../../lib/seed/national-id.js';
import { Random } from '../../lib/seed/random.js';

describe('seed national ids', () => {
  it('decodes a published PESEL: 44051401359 is a man born 1944-05-14', () => {
    expect(decodePesel('44051401359')).toEqual({ birth: { year: 1944, month: 5, day: 14 }, gender: 'M' });
    expect(decodePesel('44051401358')).toBeNull();
  });

  it('makes PESELs whose checksum, birth date (all centuries) and gender decode back', () => {
    const rng = new Random(3);
    for (let i = 0; i < 2_000; i++) {
      const year = rng.int(1850, 2099);
      const month = rng.int(1, 12);
      const day = rng.int(1, 28);
      const gender = rng.chance(0.5) ? 'M' : 'F';
      const value = pesel({ year, month, day }, gender, rng);
      expect(value).toMatch(/^\d{11}$/);
      expect(decodePesel(value)).toEqual({ birth: { year, month, day }, gender });
    }
  });

  it('encodes a 2000s birth with month + 20', () => {
    expect(pesel({ year: 2004, month: 2, day: 29 }, 'F', new Random(1)).slice(0, 6)).toBe('042229');
  });

  it('builds the codice fiscale of the textbook example', () => {
    // Mario Rossi, male, born 1980-01-01 in Roma (H501): RSSMRA80A01H501U
    expect(codiceFiscale('Mario', 'Rossi', { year: 1980, month: 1, day: 1 }, 'M', 'H501')).toBe(
      'RSSMRA80A01H501U',
    );
  });

  it('gives each country an id in its own format', () => {
    const rng = new Random(4);
    const birth = { year: 1985, month: 11, day: 3 };
    const input = { birth, gender: 'F' as const, firstName: 'Anna', lastName: 'Berg' };
    const formats: Record<string, RegExp> = {
      PL: /^\d{11}$/,
      SE: /^851103-\d{3}\d$/,
      FR: /^2851\d{11}$/,
      AT: /^\d{4}031185$/,
      IT: /^BRGNNA85S43H501[A-Z]$/,
      ES: /^\d{8}[A-Z]$/,
      NL: /^\d{9}$/,
      DE: /^[1-9]\d{10}$/,
      GB: /^[A-Z]{2}\d{6}[A-D]$/,
    };
    for (const [country, format] of Object.entries(formats))
      expect(nationalId({ ...input, country }, rng), country).toMatch(format);
  });
});
