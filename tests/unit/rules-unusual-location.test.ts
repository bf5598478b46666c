import { describe, expect, it } from 'vitest';
import { DEFAULT_RULES_CONFIG } from '../../lib/rules/config.js';
import { normaliseIban } from '../../lib/rules/stats.js';
import { DAYS, findingsOf, history, timeline, txn } from './rules-helpers.js';

const cfg = DEFAULT_RULES_CONFIG['unusual-location'];
const domestic = (n: number) =>
  history(n, 50, { recipient: 'DE89370400440532013000', recipientCountry: 'DE' });
const to = (iban: string, fields = {}) => {
  const recipient = normaliseIban(iban);
  return txn({ amount: -300, recipient, recipientCountry: recipient?.slice(0, 2) ?? null, ...fields });
};

describe('unusual-location', () => {
  it('finds nothing in an empty timeline or for domestic and missing recipients', () => {
    expect(findingsOf('unusual-location', timeline([]), cfg)).toEqual([]);
    const none = [...domestic(10), to('DE12500105170648489890'), txn({ amount: -5, recipient: null })];
    expect(findingsOf('unusual-location', timeline(none, { country: 'DE' }), cfg)).toEqual([]);
  });

  it('flags the first transfer to a foreign country once the client has a history, and not the second', () => {
    const first = to('mt84 malt 0110 0001 2345 mtlc ast0 01s');
    const second = to('MT84MALT011000012345MTLCAST001S', { minutes: 5 });
    const findings = findingsOf(
      'unusual-location',
      timeline([...domestic(cfg.minHistory), first, second]),
      cfg,
    );
    expect(findings.map((f) => f.transactionId)).toEqual([first.id]);
    expect(findings[0]?.score).toBe(cfg.score);
    expect(findings[0]?.evidence).toMatchObject({
      recipientCountry: 'MT',
      clientCountry: 'DE',
      countriesUsed: ['DE'],
    });
  });

  it('scores lower for a client with one row of history (everything is new)', () => {
    const [finding] = findingsOf(
      'unusual-location',
      timeline([...domestic(1), to('FR7630006000011234567890189')]),
      cfg,
    );
    expect(finding?.score).toBe(cfg.newClientScore);
  });

  it('counts a country as new again after the lookback', () => {
    const old = to('FR7630006000011234567890189', { days: -(cfg.lookbackDays + 1) });
    const again = to('FR7630006000011234567890189');
    const findings = findingsOf('unusual-location', timeline([old, ...domestic(10), again]), cfg);
    expect(findings.map((f) => f.transactionId)).toEqual([old.id, again.id]);
  });

  it('ignores credits and the legacy empty recipient', () => {
    expect(normaliseIban('')).toBeNull();
    const credit = txn({ amount: 300, recipient: 'FR7630006000011234567890189', recipientCountry: 'FR' });
    expect(findingsOf('unusual-location', timeline([...domestic(10), credit]), cfg)).toEqual([]);
  });

  it('looks across all the client’s accounts', () => {
    const first = to('IT60X0542811101000000123456', { accountId: 1, days: -3 });
    const other = to('IT60X0542811101000000123456', { accountId: 2 });
    const findings = findingsOf('unusual-location', timeline([...domestic(10), first, other]), cfg);
    expect(findings.map((f) => f.transactionId)).toEqual([first.id]);
    expect(DAYS).toBeGreaterThan(0);
  });
});
