import { describe, expect, it } from 'vitest';
import { recipientKey } from '../../lib/rules/stats.js';
import { ActiveSuppressions } from '../../lib/suppressions/active.js';

const LANDLORD = 'DE89370400440532013000';
const rows = [
  { id: 1, client_id: 7, rule_id: 'high-amount', counterparty: LANDLORD, country: null },
  { id: 2, client_id: 7, rule_id: 'structuring', counterparty: null, country: 'MT' },
  { id: 3, client_id: 7, rule_id: 'velocity', counterparty: null, country: null },
  { id: 4, client_id: 8, rule_id: 'high-amount', counterparty: null, country: null },
];
const tx = (recipient: string | null) => ({
  recipient,
  recipientCountry: recipient ? recipient.slice(0, 2) : null,
});

describe('the active suppressions a scan matches findings against', () => {
  const active = new ActiveSuppressions(rows);

  it('covers a finding of the rule for the client, narrowed to its counterparty or country when it says so', () => {
    expect(active.covering(7, 'velocity', undefined)).toBe(3);
    expect(active.covering(7, 'high-amount', tx(LANDLORD))).toBe(1);
    expect(active.covering(7, 'high-amount', tx('DE44500105175407324931'))).toBeUndefined();
    expect(active.covering(7, 'structuring', tx('MT84MALT011000012345MTLCAST001S'))).toBe(2);
    expect(active.covering(7, 'structuring', tx(LANDLORD))).toBeUndefined();
    expect(active.covering(7, 'structuring', tx(null))).toBeUndefined();
  });

  it('matches a counterparty by its hash where the full scan keeps only that', () => {
    const hashed = { recipient: null, recipientKey: recipientKey(LANDLORD), recipientCountry: 'DE' };
    expect(active.covering(7, 'high-amount', hashed)).toBe(1);
    expect(
      active.covering(7, 'high-amount', { ...hashed, recipientKey: recipientKey('DE00') }),
    ).toBeUndefined();
  });

  it('needs the transaction to judge a narrowed one, and covers nothing of other rules or clients', () => {
    expect(active.covering(7, 'high-amount', undefined)).toBeUndefined();
    expect(active.covering(7, 'fan-in', tx(LANDLORD))).toBeUndefined();
    expect(active.covering(9, 'high-amount', tx(LANDLORD))).toBeUndefined();
    expect(active.covering(8, 'high-amount', tx(null))).toBe(4);
    expect(active.forClient(9)).toBeUndefined();
    expect(active.clients).toBe(2);
  });
});
