/**
 * The Mersenne Twister (MT19937) that faker draws from, drawing the very same numbers as faker's own
 * (`generateMersenne53Randomizer`: 53-bit floats from pairs of 32-bit outputs), but re-seeded about ten times faster.
 *
 * The seeder re-seeds faker once per client and table (so each client's name and street depend on nothing but the
 * run seed and the client's index): 100,000 re-seeds for 50,000 clients. faker rebuilds its 624-word state in a
 * fresh untyped array on every seed, which was a quarter of all the generation time (bench/seed-notes.md); here the
 * state is one Int32Array, rebuilt in place. Every step is 32-bit integer arithmetic, as in faker's, so a word kept
 * as a signed 32-bit integer gives the same bits faker gets from its doubles — the unit tests compare the two
 * generators draw for draw.
 */
import type { Randomizer } from '@faker-js/faker';

const N = 624;
const M = 397;
// The masks as signed 32-bit values (`| 0`): V8 then keeps every step in integer registers, three times faster than
// with constants above 2^31, which are doubles.
const MATRIX_A = 0x9908b0df | 0;
const UPPER_MASK = 0x80000000 | 0;
const LOWER_MASK = 0x7fffffff;
const TEMPER_B = 0x9d2c5680 | 0;
const TEMPER_C = 0xefc60000 | 0;
/** 2^-53: a 53-bit integer to a float in [0, 1). */
const TWO_POW_MINUS_53 = 1.1102230246251565e-16;

/** MT19937's reference seeding from one number (init_genrand). */
function initGenrand(mt: Int32Array, seed: number): void {
  mt[0] = seed;
  for (let i = 1; i < N; i++) {
    const prev = mt[i - 1] as number;
    mt[i] = Math.imul(1812433253, prev ^ (prev >>> 30)) + i;
  }
}

/** MT19937's reference seeding from a list of numbers (init_by_array). */
function initByArray(mt: Int32Array, key: readonly number[]): void {
  initGenrand(mt, 19650218);
  let i = 1;
  let j = 0;
  for (let k = Math.max(N, key.length); k > 0; k--) {
    const prev = mt[i - 1] as number;
    // Stored as ToInt32 of the sum: truncated, then modulo 2^32, as faker's truncated double reads in every later step.
    mt[i] = ((mt[i] as number) ^ Math.imul(prev ^ (prev >>> 30), 1664525)) + (key[j] as number) + j;
    i++;
    j++;
    if (i >= N) {
      mt[0] = mt[N - 1] as number;
      i = 1;
    }
    if (j >= key.length) j = 0;
  }
  for (let k = N - 1; k > 0; k--) {
    const prev = mt[i - 1] as number;
    mt[i] = ((mt[i] as number) ^ Math.imul(prev ^ (prev >>> 30), 1566083941)) - i;
    i++;
    if (i >= N) {
      mt[0] = mt[N - 1] as number;
      i = 1;
    }
  }
  mt[0] = UPPER_MASK;
}

/** One word of the next state: the top bit of word `i`, the low bits of `next`, mixed into word `far`. */
function mix(mt: Int32Array, i: number, next: number, far: number): void {
  const y = ((mt[i] as number) & UPPER_MASK) | ((mt[next] as number) & LOWER_MASK);
  mt[i] = (mt[far] as number) ^ (y >>> 1) ^ (-(y & 1) & MATRIX_A);
}

/** The next 624 words of the sequence, in place (three loops, so no index wraps: this runs once per re-seed). */
function twist(mt: Int32Array): void {
  let i = 0;
  for (; i < N - M; i++) mix(mt, i, i + 1, i + M);
  for (; i < N - 1; i++) mix(mt, i, i + 1, i + M - N);
  mix(mt, N - 1, 0, M - 1);
}

/**
 * A faker Randomizer: pass it to `new Faker({ locale, randomizer })`; `faker.seed(n)` then seeds it.
 *
 * @example const randomizer = new Mersenne53(); randomizer.seed(42); randomizer.next() // as faker.seed(42) gives
 */
export class Mersenne53 implements Randomizer {
  private readonly mt = new Int32Array(N);
  private index = N;

  constructor(seed = 0) {
    this.seed(seed);
  }

  seed(seed: number | number[]): void {
    if (typeof seed === 'number') initGenrand(this.mt, seed);
    else initByArray(this.mt, seed);
    twist(this.mt);
    this.index = 0;
  }

  /** The next tempered 32-bit output, unsigned. */
  private nextUint32(): number {
    let y = this.mt[this.index] as number;
    y ^= y >>> 11;
    y ^= (y << 7) & TEMPER_B;
    y ^= (y << 15) & TEMPER_C;
    y ^= y >>> 18;
    if (++this.index >= N) {
      twist(this.mt);
      this.index = 0;
    }
    return y >>> 0;
  }

  /**
   * A float in [0, 1) from 53 random bits (27 of one output, 26 of the next), as faker's default randomizer. An arrow
   * function: faker calls it detached from the object.
   */
  readonly next = (): number => {
    const high = this.nextUint32() >>> 5;
    const low = this.nextUint32() >>> 6;
    return (high * 67108864 + low) * TWO_POW_MINUS_53;
  };
}
