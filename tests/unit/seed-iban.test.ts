import { describe, expect, it } from 'vitest';
import {
  FOREIGN_IBAN_COUNTRIES,
  IBAN_LENGTHS,
  IbanBook,
  isValidIban,
  italianCin,
  makeIban,
  mod97,
  otherIban,
  ownIban,
  polishSortCode,
  ribKey,
  spanishControl,
} from '../../lib/seed/iban.js';
import { Random } from '../../lib/seed/random.js';

const HOME = ['PL', 'GB', 'DE', 'FR', 'ES', 'IT', 'NL', 'SE', 'AT'];

describe('seed IBANs', () => {
  it('accepts published example IBANs and rejects a changed digit', () => {
    for (const iban of [
      'GB82WEST12345698765432',
      'DE89370400440532013000',
      'PL61109010140000071219812874',
      'FR1420041010050500013M02606',
      'ES9121000418450200051332',
      'IT60X0542811101000000123456',
      'NL91ABNA0417164300',
      'SE4550000000058398257466',
      'AT611904300234573201',
    ])
      expect(isValidIban(iban), iban).toBe(true);
    expect(isValidIban('GB82WEST12345698765433')).toBe(false);
    expect(isValidIban('DE8937040044053201300')).toBe(false); // one digit short for DE
  });

  it('computes check digits that make mod-97 equal 1', () => {
    const iban = makeIban('DE', '370400440532013000');
    expect(iban).toBe('DE89370400440532013000');
    expect(mod97(iban.slice(4) + iban.slice(0, 4))).toBe(1);
  });

  it('builds the national checks inside the BBAN like the published examples', () => {
    expect(polishSortCode('1090101')).toBe('10901014');
    expect(ribKey('20041', '01005', '0500013')).toMatch(/^\d{2}$/);
    expect(spanishControl('2100', '0418', '0200051332')).toBe('45');
    expect(italianCin('05428', '11101', '000000123456')).toBe('X');
  });

  it('gives every own account a valid IBAN of its country with the right length, never twice', () => {
    const rng = new Random(1);
    for (const country of HOME) {
      const seen = new Set<string>();
      for (let id = 1; id <= 1_000; id++) {
        const iban = ownIban(country, id, rng);
        expect(iban.length).toBe(IBAN_LENGTHS[country]);
        expect(isValidIban(iban)).toBe(true);
        seen.add(iban);
      }
      expect(seen.size).toBe(1_000);
    }
  });

  it('makes valid counterparty IBANs for home and foreign-only countries', () => {
    const rng = new Random(2);
    for (const country of [...HOME, ...FOREIGN_IBAN_COUNTRIES])
      for (let i = 0; i < 200; i++) {
        const iban = otherIban(country, rng);
        expect(iban.slice(0, 2)).toBe(country);
        expect(isValidIban(iban), iban).toBe(true);
      }
  });

  it("rebuilds the bank's own IBANs as ownIban draws them, in every home country", () => {
    const ibans = HOME.map((country, k) => ownIban(country, 1_000 + k, new Random(3, k)));
    const book = new IbanBook(HOME.length, 1_000);
    for (const [k, country] of HOME.entries()) book.draw(k, country, new Random(3, k));
    expect(HOME.map((_, k) => book.get(k))).toEqual(ibans);
  });
});
