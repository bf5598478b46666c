import { describe, expect, it } from 'vitest';
import { evidenceInWords, relatedIds } from '../../lib/dashboard/page/evidence.js';

describe('evidenceInWords', () => {
  it('says what a fan-in saw and how the risk was scored', () => {
    const words = evidenceInWords('fan-in', {
      rule: 'fan-in',
      recipient: 'AE354118089679918760032',
      recipientIsOurs: false,
      newSenders: 5,
      transfers: 5,
      knownSenders: 0,
      totals: { EUR: 9328.01, SEK: 9711.07 },
      from: '2026-01-12 10:06:02',
      to: '2026-01-14 09:00:16',
      relatedTransactionIds: [5741, 5834],
      risk: { score: 100, level: 'High', rules: ['fan-in', 'high-amount'] },
    });
    expect(words).toEqual([
      '5 new senders (0 known) paid AE354118089679918760032 5 times from 2026-01-12 10:06:02 to 2026-01-14 09:00:16: 9,328.01 EUR + 9,711.07 SEK.',
      'Risk High (score 100) from fan-in, high-amount.',
    ]);
  });

  it('quotes the percentiles and the account’s own history of a high amount, and a mitigation', () => {
    const words = evidenceInWords('high-amount', {
      amount: -10018.31,
      currency: 'EUR',
      direction: 'debit',
      percentile: 'p99',
      thresholds: {
        p95: 2238.73,
        p99: 7585.78,
        comparable: 2022,
        window: { from: '2025-10', to: '2025-12' },
      },
      ownHistory: { debits: 10, medianDebit: 457.12, ratio: 21.92 },
      risk: { score: 30, level: 'Low', rules: ['high-amount'], mitigation: 'amount rules only' },
    });
    expect(words[0]).toBe(
      '10,018.31 EUR is above the p99 of 2,022 comparable debit transactions (p95 2,238.73, p99 7,585.78, months 2025-10 to 2025-12).',
    );
    expect(words[1]).toBe("It is 21.92× the account's median debit of 457.12 (over its last 10 debits).");
    expect(words[2]).toBe('Risk Low (score 30) from high-amount; kept lower: amount rules only.');
  });

  it('says when the client baseline fell back to the population for a short history', () => {
    const words = evidenceInWords('client-baseline', {
      amount: -9219.98,
      currency: 'EUR',
      baseline: {
        debits: 1,
        lookbackDays: 365,
        historySize: 50,
        largest: 296.21,
        fallback: 'short history: above the population p95 and several times the largest past debit',
      },
      ratioToLargest: 31.13,
      thresholds: { p95: 2238.73, p99: 7585.78 },
    });
    expect(words).toEqual([
      '9,219.98 EUR with only 1 past debit in 365 days — short history: above the population p95 and several times the largest past debit (p95 2,238.73, p99 7,585.78).',
      'It is 31.13× the largest of them (296.21).',
    ]);
  });

  it('lists the facts of a rule it has no sentences for, without bookkeeping', () => {
    expect(
      evidenceInWords('new-rule', {
        someCount: 3,
        flagged: true,
        relatedTransactionIds: [1],
        thresholds: {},
      }),
    ).toEqual(['some count: 3', 'flagged: yes']);
  });

  it('says an analyst flag or an empty evidence for what it is', () => {
    expect(evidenceInWords(null, null)).toEqual(['Flagged by an analyst; see the alert’s notes.']);
    expect(evidenceInWords('velocity', null)).toEqual(['The rule recorded no evidence.']);
  });

  it('marks a missing field with a question mark, never undefined', () => {
    for (const s of evidenceInWords('rapid-transfers', {})) expect(s).not.toMatch(/undefined|NaN/);
  });
});

describe('relatedIds', () => {
  it('reads the related transaction ids, ignoring anything else', () => {
    expect(relatedIds({ relatedTransactionIds: [3, 'x', 4] })).toEqual([3, 4]);
    expect(relatedIds(null)).toEqual([]);
  });
});
