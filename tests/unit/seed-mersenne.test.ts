import { generateMersenne53Randomizer } from '@faker-js/faker';
import { faker as fakerPL } from '@faker-js/faker/locale/pl';
import { describe, expect, it } from 'vitest';
import { Mersenne53 } from '../../lib/seed/mersenne.js';
import { mixSeed } from '../../lib/seed/random.js';

/** `count` draws of each generator after seeding both with `seed`. */
function drawsAfter(seed: number | number[], count: number): { ours: number[]; fakers: number[] } {
  const ours = new Mersenne53();
  const fakers = generateMersenne53Randomizer();
  ours.seed(seed);
  fakers.seed(seed);
  return {
    ours: Array.from({ length: count }, () => ours.next()),
    fakers: Array.from({ length: count }, () => fakers.next()),
  };
}

describe('seed Mersenne53', () => {
  it("draws exactly faker's numbers after a numeric seed, past several re-twists of the state", () => {
    // 0, the reference seed, the seeder's 32-bit stream keys (many above 2^31), negative and fractional seeds.
    const seeds = [
      0,
      5489,
      2 ** 31,
      2 ** 32 - 1,
      -7,
      123.75,
      ...Array.from({ length: 50 }, (_, i) => mixSeed(2024, 2, i)),
    ];
    for (const seed of seeds) {
      const { ours, fakers } = drawsAfter(seed, 1_000); // 2,000 outputs: the 624-word state is rebuilt 3 times
      expect(ours, `seed ${seed}`).toEqual(fakers);
    }
  });

  it("draws exactly faker's numbers after a seed given as a list", () => {
    for (const seed of [
      [],
      [42],
      [42, 13.37],
      [-1, 2 ** 32 + 5, 7],
      Array.from({ length: 700 }, (_, i) => i * 97),
    ]) {
      const { ours, fakers } = drawsAfter(seed, 700);
      expect(ours, `seed [${seed.slice(0, 3)}…] (${seed.length})`).toEqual(fakers);
    }
  });

  it('draws floats in [0, 1) and the same sequence again after the same seed', () => {
    const randomizer = new Mersenne53();
    randomizer.seed(99);
    const first = Array.from({ length: 500 }, () => randomizer.next());
    randomizer.seed(99);
    expect(Array.from({ length: 500 }, () => randomizer.next())).toEqual(first);
    expect(first.every((x) => x >= 0 && x < 1)).toBe(true);
    expect(new Set(first).size).toBe(first.length);
  });

  it('gives a faker built on it the very names and streets of the stock faker with the same seed', () => {
    const SameFaker = fakerPL.constructor as new (options: object) => typeof fakerPL;
    const ours = new SameFaker({ locale: fakerPL.rawDefinitions, randomizer: new Mersenne53() });
    for (let i = 0; i < 200; i++) {
      const seed = mixSeed(7, 4, i);
      ours.seed(seed);
      fakerPL.seed(seed);
      expect([
        ours.person.firstName('female'),
        ours.person.lastName('female'),
        ours.location.street(),
      ]).toEqual([
        fakerPL.person.firstName('female'),
        fakerPL.person.lastName('female'),
        fakerPL.location.street(),
      ]);
    }
  });
});
