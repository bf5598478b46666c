/**
 * National identifiers per country, consistent with the client's birth date and gender where the real scheme
 * encodes them: PL PESEL (checksum, century-coded month, gender digit), SE personnummer (Luhn, gender digit),
 * FR NIR (gender, year, month, key mod 97), AT social insurance number (check digit, birth date), ES DNI (mod-23
 * letter), NL BSN (11-proof), GB National Insurance number (valid prefix letters), DE tax id (ISO 7064 mod 11,10),
 * IT codice fiscale (name letters, birth date, gender, check letter). Pure; randomness from the caller.
 */
import type { Random } from './random.js';

export type Gender = 'M' | 'F';

/** Birth date parts (UTC calendar). */
export interface BirthDate {
  year: number;
  month: number; // 1-12
  day: number;
}

const pad2 = (n: number) => String(n).padStart(2, '0');
const PESEL_WEIGHTS = [1, 3, 7, 9, 1, 3, 7, 9, 1, 3];

function peselCheck(ten: string): number {
  let sum = 0;
  for (let i = 0; i < 10; i++) sum += Number(ten[i]) * (PESEL_WEIGHTS[i] as number);
  return (10 - (sum % 10)) % 10;
}

/**
 * A valid PESEL for the birth date and gender.
 *
 * @example pesel({ year: 1990, month: 5, day: 17 }, 'F', rng) // '900517' + 3 serial digits + even digit + check
 */
export function pesel(birth: BirthDate, gender: Gender, rng: Random): string {
  const centuryOffset =
    birth.year >= 2200 ? 60 : birth.year >= 2100 ? 40 : birth.year >= 2000 ? 20 : birth.year >= 1900 ? 0 : 80;
  const serial = String(rng.int(0, 999)).padStart(3, '0');
  const genderDigit = gender === 'M' ? rng.int(0, 4) * 2 + 1 : rng.int(0, 4) * 2;
  const ten = `${pad2(birth.year % 100)}${pad2(birth.month + centuryOffset)}${pad2(birth.day)}${serial}${genderDigit}`;
  return `${ten}${peselCheck(ten)}`;
}

/** Decodes a PESEL: null when its checksum or date is invalid. */
export function decodePesel(value: string): { birth: BirthDate; gender: Gender } | null {
  if (!/^\d{11}$/.test(value) || peselCheck(value.slice(0, 10)) !== Number(value[10])) return null;
  const yy = Number(value.slice(0, 2));
  const mm = Number(value.slice(2, 4));
  const day = Number(value.slice(4, 6));
  const century = [1900, 2000, 2100, 2200, 1800][Math.floor(mm / 20)];
  const month = mm % 20;
  if (century === undefined || month < 1 || month > 12) return null;
  const year = century + yy;
  const date = new Date(Date.UTC(year, month - 1, day));
  if (date.getUTCMonth() !== month - 1 || date.getUTCDate() !== day) return null;
  return { birth: { year, month, day }, gender: Number(value[9]) % 2 === 1 ? 'M' : 'F' };
}

function luhnDigit(s: string): number {
  let sum = 0;
  for (let i = 0; i < s.length; i++) {
    let d = Number(s[i]) * (i % 2 === 0 ? 2 : 1);
    if (d > 9) d -= 9;
    sum += d;
  }
  return (10 - (sum % 10)) % 10;
}

const NINO_FIRST = 'ABCEGHJKLMNOPRSTWXYZ';
const NINO_SECOND = 'ABCEGHJKLMNPRSTWXYZ';
const NINO_SUFFIX = 'ABCD';
const NINO_NOT_ISSUED = new Set(['BG', 'GB', 'KN', 'NK', 'NT', 'TN', 'ZZ']);
const DNI_LETTERS = 'TRWAGMYFPDXBNJZSQVHLCKE';
const CF_MONTHS = 'ABCDEHLMPRST';
const CF_ODD = [1, 0, 5, 7, 9, 13, 15, 17, 19, 21, 2, 4, 18, 20, 11, 3, 6, 8, 12, 14, 16, 10, 22, 25, 24, 23];

function consonantsOf(name: string): { consonants: string; vowels: string } {
  const clean = name
    .normalize('NFD')
    .replace(/[^A-Za-z]/g, '')
    .toUpperCase();
  return { consonants: clean.replace(/[AEIOU]/g, ''), vowels: clean.replace(/[^AEIOU]/g, '') };
}

function cfPart(name: string, isFirstName: boolean): string {
  const { consonants, vowels } = consonantsOf(name);
  if (isFirstName && consonants.length >= 4) return `${consonants[0]}${consonants[2]}${consonants[3]}`;
  return `${consonants}${vowels}XXX`.slice(0, 3);
}

/** Italian codice fiscale (16 chars); `placeCode` is the Belfiore code of the birth municipality. */
export function codiceFiscale(
  firstName: string,
  lastName: string,
  birth: BirthDate,
  gender: Gender,
  placeCode: string,
): string {
  const day = gender === 'F' ? birth.day + 40 : birth.day;
  const body = `${cfPart(lastName, false)}${cfPart(firstName, true)}${pad2(birth.year % 100)}${CF_MONTHS[birth.month - 1]}${pad2(day)}${placeCode}`;
  let sum = 0;
  for (let i = 0; i < body.length; i++) {
    const ch = body.charCodeAt(i);
    const v = ch >= 65 ? ch - 65 : ch - 48;
    sum += i % 2 === 0 ? (CF_ODD[v] as number) : v;
  }
  return `${body}${String.fromCharCode(65 + (sum % 26))}`;
}

/** German tax identification number: 11 digits, ISO 7064 MOD 11,10 check digit. */
function germanTaxId(rng: Random): string {
  let ten = String(rng.int(1, 9));
  for (let i = 0; i < 9; i++) ten += rng.int(0, 9);
  let product = 10;
  for (const ch of ten) {
    let sum = (Number(ch) + product) % 10;
    if (sum === 0) sum = 10;
    product = (sum * 2) % 11;
  }
  const check = 11 - product === 10 ? 0 : 11 - product;
  return `${ten}${check}`;
}

/** Dutch BSN: 9 digits passing the 11-proof. */
function bsn(rng: Random): string {
  for (;;) {
    let s = String(rng.int(1, 9));
    for (let i = 0; i < 7; i++) s += rng.int(0, 9);
    let sum = 0;
    for (let i = 0; i < 8; i++) sum += Number(s[i]) * (9 - i);
    const last = sum % 11;
    if (last <= 9) return `${s}${last}`;
  }
}

/** Austrian social insurance number: 3-digit serial, check digit, DDMMYY. */
function austrianSvnr(birth: BirthDate, rng: Random): string {
  const date = `${pad2(birth.day)}${pad2(birth.month)}${pad2(birth.year % 100)}`;
  const w = [3, 7, 9, 5, 8, 4, 2, 1, 6];
  for (;;) {
    const serial = String(rng.int(100, 999));
    const digitsNoCheck = `${serial}${date}`;
    let sum = 0;
    for (let i = 0; i < 9; i++) sum += Number(digitsNoCheck[i]) * (w[i] as number);
    const check = sum % 11;
    if (check < 10) return `${serial}${check}${date}`;
  }
}

/** French NIR (social security number) with its 2-digit key. */
function frenchNir(birth: BirthDate, gender: Gender, rng: Random): string {
  const dept = pad2(rng.int(1, 95));
  const body = `${gender === 'M' ? 1 : 2}${pad2(birth.year % 100)}${pad2(birth.month)}${dept}${String(rng.int(1, 990)).padStart(3, '0')}${String(rng.int(1, 999)).padStart(3, '0')}`;
  const key = 97 - Number(BigInt(body) % 97n);
  return `${body}${pad2(key)}`;
}

/** Swedish personnummer YYMMDD-NNNC (gender in the third serial digit, Luhn check). */
function personnummer(birth: BirthDate, gender: Gender, rng: Random): string {
  const date = `${pad2(birth.year % 100)}${pad2(birth.month)}${pad2(birth.day)}`;
  const serial = `${pad2(rng.int(0, 99))}${gender === 'M' ? rng.int(0, 4) * 2 + 1 : rng.int(0, 4) * 2}`;
  return `${date}-${serial}${luhnDigit(`${date}${serial}`)}`;
}

export interface IdentityInput {
  country: string;
  birth: BirthDate;
  gender: Gender;
  firstName: string;
  lastName: string;
  /** Belfiore code for Italian clients. */
  placeCode?: string;
}

/** The national identifier a client of `country` would show. */
export function nationalId(input: IdentityInput, rng: Random): string {
  const { country, birth, gender } = input;
  switch (country) {
    case 'PL':
      return pesel(birth, gender, rng);
    case 'SE':
      return personnummer(birth, gender, rng);
    case 'FR':
      return frenchNir(birth, gender, rng);
    case 'AT':
      return austrianSvnr(birth, rng);
    case 'IT':
      return codiceFiscale(input.firstName, input.lastName, birth, gender, input.placeCode ?? 'H501');
    case 'ES': {
      const n = rng.int(10_000_000, 79_999_999);
      return `${n}${DNI_LETTERS[n % 23]}`;
    }
    case 'NL':
      return bsn(rng);
    case 'DE':
      return germanTaxId(rng);
    case 'GB': {
      let prefix: string;
      do prefix = `${rng.pick([...NINO_FIRST])}${rng.pick([...NINO_SECOND])}`;
      while (NINO_NOT_ISSUED.has(prefix));
      return `${prefix}${String(rng.int(0, 999_999)).padStart(6, '0')}${rng.pick([...NINO_SUFFIX])}`;
    }
    default:
      throw new Error(`no national id scheme for ${country}`);
  }
}
