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
    const first = to('mt84 malt 0110 0001 2345 mtlc ast0 01s', { amount: -50 });
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
      countriesUsed: [],
      habitual: false,
      large: false,
      countryRiskLists: [],
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

  describe("the client's habit, the amount and the country-risk lists", () => {
    const foreign = ['FR', 'IT', 'ES', 'NL', 'AT', 'BE', 'PL'];
    const ibanOf = (c: string) => `${c}00TEST0000000000000001`;
    /** One payment of 50 to each of `countries`, `gapDays` apart, ending 100 days before T0 (so none is recent). */
    const paidTo = (countries: string[], gapDays = 30) =>
      countries.map((c, i) =>
        txn({
          amount: -50,
          recipient: ibanOf(c),
          recipientCountry: c,
          days: -100 - gapDays * (countries.length - i),
        }),
      );
    const scoreOf = (txns: ReturnType<typeof txn>[], last: ReturnType<typeof txn>) =>
      findingsOf('unusual-location', timeline([...txns, last]), cfg).find((f) => f.transactionId === last.id);

    it(`scores a new country low (habitualScore) for a client paying ${cfg.manyCountries} foreign countries, not one less`, () => {
      const many = paidTo(foreign.slice(0, cfg.manyCountries));
      const habitual = scoreOf([...domestic(10), ...many], to('SE4550000000058398257466', { amount: -50 }));
      expect(habitual?.score).toBe(cfg.habitualScore);
      expect(habitual?.evidence).toMatchObject({ habitual: true });
      const fewer = paidTo(foreign.slice(0, cfg.manyCountries - 1));
      const usual = scoreOf([...domestic(10), ...fewer], to('SE4550000000058398257466', { amount: -50 }));
      expect(usual?.score).toBe(cfg.score);
    });

    it(`is habitual after ${cfg.frequentAdds} new countries within ${cfg.addWindowDays} days`, () => {
      const adds = paidTo(foreign.slice(0, cfg.frequentAdds), 10).map((t) => ({
        ...t,
        time: t.time + 90 * DAYS,
      }));
      const f = scoreOf([...domestic(10), ...adds], to('SE4550000000058398257466', { amount: -50 }));
      expect(f?.score).toBe(cfg.habitualScore);
      expect(f?.evidence).toMatchObject({ newCountriesAddedInLookback: cfg.frequentAdds });
    });

    it(`adds amountBonus at exactly ${cfg.amountFactor}× the client's median debit (when above its largest), not below`, () => {
      const base = domestic(10);
      const large = scoreOf(base, to('SE4550000000058398257466', { amount: -50 * cfg.amountFactor }));
      expect(large?.score).toBe(cfg.score + cfg.amountBonus);
      expect(large?.evidence).toMatchObject({ large: true, clientMedianDebit: 50 });
      const below = scoreOf(base, to('SE4550000000058398257466', { amount: -(50 * cfg.amountFactor - 1) }));
      expect(below?.score).toBe(cfg.score);
    });

    it("raises a payment to a country on a risk list by that list's bonus, and names the list with its date", () => {
      const [blackList] = cfg.countryRisk;
      const f = scoreOf(domestic(10), to('IR000000000000000000000001', { amount: -50 }));
      expect(f?.score).toBe(cfg.score + (blackList?.bonus ?? Number.NaN));
      expect(f?.evidence.countryRiskLists).toEqual([`${blackList?.name} (taken ${blackList?.takenOn})`]);
      const own = {
        ...cfg,
        countryRisk: [{ name: 'bank list', takenOn: '2026-01-01', bonus: 7, codes: ['SE'] }],
      };
      const listed = findingsOf(
        'unusual-location',
        timeline([...domestic(10), to('SE4550000000058398257466', { amount: -50 })]),
        own,
      );
      expect(listed[0]?.score).toBe(cfg.score + 7);
    });
  });
});
