/**
 * Each network rule's declared short reach (NetworkRule.anyReachDays) holds: judging a transfer with a window that
 * holds every transfer within that reach before it, and beyond it only the transfers to and from the judged
 * transfers' own recipients and sending accounts — what the incremental scan reads back
 * (lib/scan/network-stage.ts) — emits exactly what the whole window does.
 */
import { describe, expect, it } from 'vitest';
import type { RulesConfig } from '../../lib/rules/config.js';
import { NetworkDetector, networkAnyReachDays, networkReachDays } from '../../lib/rules/network.js';
import type { Transfer } from '../../lib/rules/network-rule.js';
import { NETWORK_RULES } from '../../lib/rules/registry.js';
import type { Finding } from '../../lib/rules/types.js';
import { DAY, HOUR, only, T0 } from './network-helpers.js';

/** A small deterministic generator (mulberry32). */
function random(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

/** Outside IBANs: twenty of them, so most clients are new to most of them. */
const EXTERNAL = Array.from({ length: 20 }, (_, i) => `LT12100001110100${String(1000 + i)}`);

/**
 * Sixty days of transfers among thirty clients of ours (one account each) and a few outside IBANs, with amounts
 * near one another so chains and layers pass the tolerances, bursts of payments to one recipient, and payers that
 * paid the same recipients weeks before.
 */
function bank(seed: number): Transfer[] {
  const next = random(seed);
  const pick = <T>(items: readonly T[]): T => items[Math.floor(next() * items.length)] as T;
  const clients = Array.from({ length: 30 }, (_, i) => i + 1);
  const transfers: Transfer[] = [];
  for (let i = 0; i < 1_200; i++) {
    const client = pick(clients);
    const ours = next() < 0.7;
    const toClient = ours ? pick(clients.filter((c) => c !== client)) : 0;
    // Bursts: a third of the payments fall in one of a few busy days.
    const hours = next() < 0.33 ? pick([20, 21, 45, 46]) * 24 + next() * 60 : next() * 60 * 24;
    transfers.push({
      id: i + 1,
      time: T0 + Math.round(hours * HOUR),
      account: client * 10,
      client,
      from: `DE00OURS${client * 10}`,
      to: ours ? `DE00OURS${toClient * 10}` : pick(EXTERNAL),
      toAccount: toClient * 10,
      toClient,
      amount: pick([1_000, 1_020, 990, 1_050]),
      currency: 'EUR',
    });
  }
  return transfers.sort((a, b) => a.time - b.time || a.id - b.id);
}

/** Every finding emitted while judging the transfers booked at or after `since`, in order, from a window of `fed`. */
function emittedSince(rules: RulesConfig, fed: readonly Transfer[], since: number): Finding[] {
  const all: Finding[] = [];
  const d = new NetworkDetector(rules, (f) => {
    all.push(f);
    return true;
  });
  for (const t of fed) d.push(t, t.time >= since);
  return all;
}

/** What the incremental scan reads back for transfers judged from `since` on (see detectNetworkChunk). */
function narrowed(rules: RulesConfig, transfers: readonly Transfer[], since: number): Transfer[] {
  const anySince = since - networkAnyReachDays(rules) * DAY;
  const judged = transfers.filter((t) => t.time >= since);
  const ibans = new Set(judged.flatMap((t) => [t.to, t.from]));
  const accounts = new Set(judged.map((t) => t.account));
  return transfers.filter((t) => t.time >= anySince || ibans.has(t.to) || accounts.has(t.account));
}

/** Settings that let the random bank form each pattern often (known payers counted, few established payees). */
const LOOSE: { [Id in (typeof NETWORK_RULES)[number]['id']]: Partial<RulesConfig[Id]> } = {
  'fan-in': { minSenders: 3, maxKnownSenders: 6 },
  cycle: { hopTolerance: 0.1 },
  'scatter-gather': { minWidth: 2, maxKnownSenders: 6 },
  'gather-scatter': { minSenders: 2, minRecipients: 2, maxKnownSenders: 6 },
};

describe('network rules read no further than they declare', () => {
  for (const rule of NETWORK_RULES) {
    it(`${rule.id}: a window narrowed to its short reach and the judged transfers' keys emits the same`, () => {
      const rules = only(rule.id, LOOSE[rule.id] as never);
      expect(networkAnyReachDays(rules)).toBeLessThanOrEqual(networkReachDays(rules));
      let compared = 0;
      for (const seed of [1, 2, 3]) {
        const transfers = bank(seed);
        // A chunk: the transfers booked in its hours are judged, on top of everything booked before.
        for (let hours = 36 * 24 + 7; hours < 60 * 24; hours += 19) {
          const since = T0 + hours * HOUR;
          const upTo = transfers.filter((t) => t.time < since + 24 * HOUR);
          const whole = emittedSince(rules, upTo, since);
          expect(emittedSince(rules, narrowed(rules, upTo, since), since)).toEqual(whole);
          compared += whole.length;
        }
      }
      // Not vacuous: the bank forms the pattern within the judged days.
      expect(compared).toBeGreaterThan(0);
    });
  }
});
