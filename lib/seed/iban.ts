/**
 * IBANs in each country's own format (ISO 13616 BBAN structure and length), with valid ISO 7064 mod-97 check
 * digits and — where a country has one — a valid national check inside the BBAN (PL bank code, FR RIB key,
 * ES control digits, IT CIN). Pure functions; randomness comes from the caller's seeded Random.
 */
import { Random } from './random.js';

const DIGITS = '0123456789';
const LETTERS = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ';

function digits(rng: Random, n: number): string {
  let s = '';
  for (let i = 0; i < n; i++) s += DIGITS[rng.int(0, 9)];
  return s;
}

function letters(rng: Random, n: number): string {
  let s = '';
  for (let i = 0; i < n; i++) s += LETTERS[rng.int(0, 25)];
  return s;
}

/** Remainder of a long digit/letter string modulo 97, letters as 10..35 (ISO 7064 MOD 97-10). */
export function mod97(value: string): number {
  let remainder = 0;
  for (const ch of value) {
    const code = ch.charCodeAt(0);
    const n = code >= 65 ? code - 55 : code - 48;
    remainder = n >= 10 ? (remainder * 100 + n) % 97 : (remainder * 10 + n) % 97;
  }
  return remainder;
}

/** The two IBAN check digits for a country and BBAN. */
export function ibanCheckDigits(country: string, bban: string): string {
  const check = 98 - mod97(`${bban}${country}00`);
  return String(check).padStart(2, '0');
}

/** Assembles an IBAN (electronic format, no spaces). */
export function makeIban(country: string, bban: string): string {
  return `${country}${ibanCheckDigits(country, bban)}${bban}`;
}

/** Expected total IBAN length per country (ISO 13616 registry). */
export const IBAN_LENGTHS: Readonly<Record<string, number>> = {
  PL: 28,
  GB: 22,
  DE: 22,
  FR: 27,
  ES: 24,
  IT: 27,
  NL: 18,
  SE: 24,
  AT: 20,
  LT: 20,
  LV: 21,
  CY: 28,
  MT: 31,
  RO: 24,
  BG: 22,
  HR: 21,
  AE: 23,
  TR: 26,
  CH: 21,
};

/** True when the IBAN has its country's length, only A-Z0-9, and passes mod-97. */
export function isValidIban(iban: string): boolean {
  if (!/^[A-Z]{2}\d{2}[A-Z0-9]+$/.test(iban)) return false;
  const length = IBAN_LENGTHS[iban.slice(0, 2)];
  if (length !== undefined && iban.length !== length) return false;
  return mod97(iban.slice(4) + iban.slice(0, 4)) === 1;
}

/** Polish bank sort code: 7 digits + check digit (weights 3,9,7,1,3,9,7). */
export function polishSortCode(seven: string): string {
  const w = [3, 9, 7, 1, 3, 9, 7];
  let sum = 0;
  for (let i = 0; i < 7; i++) sum += Number(seven[i]) * (w[i] as number);
  return `${seven}${(10 - (sum % 10)) % 10}`;
}

/** French RIB key for bank (5), branch (5) and a numeric account (11). */
export function ribKey(bank: string, branch: string, account: string): string {
  const r = (89 * (Number(bank) % 97) + 15 * (Number(branch) % 97) + 3 * (Number(account) % 97)) % 97;
  return String(97 - r).padStart(2, '0');
}

/** Spanish "dígitos de control" for bank (4), branch (4) and account (10). */
export function spanishControl(bank: string, branch: string, account: string): string {
  const w = [1, 2, 4, 8, 5, 10, 9, 7, 3, 6];
  const digit = (s: string) => {
    let sum = 0;
    for (let i = 0; i < s.length; i++) sum += Number(s[i]) * (w[i] as number);
    const d = 11 - (sum % 11);
    return d === 11 ? 0 : d === 10 ? 1 : d;
  };
  return `${digit(`00${bank}${branch}`)}${digit(account)}`;
}

const CIN_ODD = [
  1, 0, 5, 7, 9, 13, 15, 17, 19, 21, 2, 4, 18, 20, 11, 3, 6, 8, 12, 14, 16, 10, 22, 25, 24, 23,
];

/** Italian CIN letter for ABI (5) + CAB (5) + account (12). */
export function italianCin(abi: string, cab: string, account: string): string {
  const s = `${abi}${cab}${account}`;
  let sum = 0;
  for (let i = 0; i < s.length; i++) {
    const ch = s.charCodeAt(i);
    const v = ch >= 65 ? ch - 65 : ch - 48;
    sum += i % 2 === 0 ? (CIN_ODD[v] as number) : v;
  }
  return LETTERS[sum % 26] as string;
}

/** The bank's own bank/branch codes per country (its accounts), and other banks' codes (domestic recipients). */
const OWN_BANK: Readonly<Record<string, string>> = {
  PL: polishSortCode('1160202'),
  GB: 'FMBK404785',
  DE: '50070024',
  FR: '3000400828',
  ES: '21000418',
  IT: '0306909606',
  NL: 'FMBK',
  SE: '500',
  AT: '20111',
};

const OTHER_BANKS: Readonly<Record<string, readonly string[]>> = {
  PL: ['1020102', '1050109', '1140200', '1240100', '1090101', '1320101', '1870101'].map(polishSortCode),
  GB: ['NWBK601613', 'BARC200000', 'LOYD309634', 'HBUK401276', 'MIDL400515', 'NAIA070116'],
  DE: ['10070000', '37040044', '20041133', '50010517', '70020270', '60050101', '12030000'],
  FR: ['3000300001', '1027800001', '2004100001', '1820600001', '1751500001'],
  ES: ['00491500', '21008000', '01820100', '00810200', '20380300', '14650100'],
  IT: ['0306901000', '0200801600', '0503401700', '0569603200', '0311101600'],
  NL: ['ABNA', 'INGB', 'RABO', 'SNSB', 'TRIO', 'KNAB', 'BUNQ', 'ASNB'],
  SE: ['600', '800', '300', '500', '900', '950'],
  AT: ['12000', '14000', '20111', '32000', '19043', '15000'],
};

/** Builds the BBAN for `country` from a bank/branch prefix and a numeric account serial of the right length. */
function bbanOf(country: string, bank: string, rng: Random, serial?: string): string {
  const acc = (n: number) => (serial ?? digits(rng, n)).padStart(n, '0').slice(-n);
  switch (country) {
    case 'PL':
      return `${bank}${acc(16)}`;
    case 'GB':
      return `${bank}${acc(8)}`;
    case 'DE':
      return `${bank}${acc(10)}`;
    case 'FR': {
      const account = acc(11);
      return `${bank}${account}${ribKey(bank.slice(0, 5), bank.slice(5), account)}`;
    }
    case 'ES': {
      const account = acc(10);
      return `${bank}${spanishControl(bank.slice(0, 4), bank.slice(4), account)}${account}`;
    }
    case 'IT': {
      const account = acc(12);
      return `${italianCin(bank.slice(0, 5), bank.slice(5), account)}${bank}${account}`;
    }
    case 'NL':
      return `${bank}${acc(10)}`;
    case 'SE':
      return `${bank}${acc(17)}`;
    case 'AT':
      return `${bank}${acc(11)}`;
    case 'LT':
      return `${digits(rng, 5)}${digits(rng, 11)}`;
    case 'LV':
      return `${letters(rng, 4)}${digits(rng, 13)}`;
    case 'CY':
      return `${digits(rng, 8)}${digits(rng, 16)}`;
    case 'MT':
      return `${letters(rng, 4)}${digits(rng, 5)}${digits(rng, 18)}`;
    case 'RO':
      return `${letters(rng, 4)}${digits(rng, 16)}`;
    case 'BG':
      return `${letters(rng, 4)}${digits(rng, 6)}${digits(rng, 8)}`;
    case 'HR':
      return `${digits(rng, 7)}${digits(rng, 10)}`;
    case 'AE':
      return `${digits(rng, 3)}${digits(rng, 16)}`;
    case 'TR':
      return `${digits(rng, 5)}0${digits(rng, 16)}`;
    case 'CH':
      return `${digits(rng, 5)}${digits(rng, 12)}`;
    default:
      throw new Error(`no IBAN format for country ${country}`);
  }
}

/** Countries whose IBANs appear only as foreign counterparties (never as the bank's own accounts). */
export const FOREIGN_IBAN_COUNTRIES = ['LT', 'LV', 'CY', 'MT', 'RO', 'BG', 'HR', 'AE', 'TR', 'CH'] as const;

const PERMUTATION = 7_654_321; // coprime with 10, so `id * P mod 10^k` is a bijection: serials never repeat

/**
 * The IBAN of the bank's own account number `id` in `country`: the serial is a bijection of the id, so two
 * accounts never share an IBAN (within a country up to 10^8 accounts), yet consecutive ids do not look consecutive.
 *
 * @example ownIban('PL', 1, rng) // 'PL..11602022' + 16 digits, passes mod-97
 */
export function ownIban(country: string, id: number, rng: Random): string {
  return ownIbanOf(country, id, ownIbanDraw(country, rng));
}

/** What an own IBAN draws at random: 9 digits before the serial (none in GB), as a number (-1: none). */
function ownIbanDraw(country: string, rng: Random): number {
  return country === 'GB' ? -1 : Number(digits(rng, 9));
}

/** Only the foreign formats draw from it, and an own IBAN is never one: its serial is given. */
const NEVER_DRAWN = new Random(0);

function ownIbanOf(country: string, id: number, drawn: number): string {
  const bank = OWN_BANK[country];
  if (!bank) throw new Error(`the bank has no branch in ${country}`);
  const serial = String((id * PERMUTATION + 104_729) % 100_000_000).padStart(8, '0');
  const prefix = drawn < 0 ? '' : String(drawn).padStart(9, '0');
  return makeIban(country, bbanOf(country, bank, NEVER_DRAWN, `${prefix}${serial}`));
}

/** An IBAN at another bank in `country` (a domestic or foreign counterparty). */
export function otherIban(country: string, rng: Random): string {
  const banks = OTHER_BANKS[country];
  const bank = banks ? rng.pick(banks) : '';
  return makeIban(country, bbanOf(country, bank, rng));
}

/**
 * The bank's own IBANs, kept as what each drew at random (4 bytes an account, outside the JS heap) and rebuilt when
 * asked for: a string each costs about 100 bytes of heap (a rope of template parts), and the garbage collector lets
 * its heap grow to a multiple of what it keeps alive, so a per-account string array made the seeder's peak memory
 * grow with the bank.
 *
 * @example const book = new IbanBook(1, 1); book.draw(0, 'PL', rng); book.get(0) // as ownIban('PL', 1, rng)
 */
export class IbanBook {
  private readonly countries: string[] = [];
  private readonly country: Uint8Array;
  private readonly drawn: Int32Array;

  constructor(
    count: number,
    private readonly firstId: number,
  ) {
    this.country = new Uint8Array(count);
    this.drawn = new Int32Array(count);
  }

  /** Gives account `k` (id firstId + k) its IBAN in `country`, drawing from `rng` as `ownIban` does. */
  draw(k: number, country: string, rng: Random): void {
    let index = this.countries.indexOf(country);
    if (index < 0) index = this.countries.push(country) - 1;
    this.country[k] = index;
    this.drawn[k] = ownIbanDraw(country, rng);
  }

  get(k: number): string {
    return ownIbanOf(
      this.countries[this.country[k] as number] as string,
      this.firstId + k,
      this.drawn[k] as number,
    );
  }
}
