import { describe, expect, it } from 'vitest';
import { maskEmail, maskIdentifier, maskPhone, piiFor } from '../../lib/alerts/masking.js';

describe('masking a client’s personal data', () => {
  it.each([
    ['85010112345', '********345'],
    ['QQ123456C', '******56C'],
    ['19900101-1234', '*********1234'],
    ['AB', '**'],
    ['', ''],
  ])('masks the identifier %j as %j', (value, masked) => {
    expect(maskIdentifier(value)).toBe(masked);
  });

  it.each([
    ['anna.nowak@example.pl', 'a***@example.pl'],
    ['x@y.z', 'x***@y.z'],
    ['no-at-sign', '***'],
    ['@example.com', '***'],
    [null, null],
  ])('masks the e-mail %j as %j', (value, masked) => {
    expect(maskEmail(value)).toBe(masked);
  });

  it.each([
    ['+48 601 234 567', '+** *** *** *67'],
    ['07700900123', '*********23'],
    ['12', '12'],
    [null, null],
  ])('masks the phone %j as %j', (value, masked) => {
    expect(maskPhone(value)).toBe(masked);
  });

  const client = {
    id: 1,
    identifier: '85010112345',
    email: 'a@b.pl',
    phone: '+48 601 234 567',
    first_name: 'Anna',
  };

  it('shows analysts everything', () => {
    expect(piiFor(client, 'analyst')).toEqual(client);
  });

  it('masks identifier, e-mail and phone for viewers, and nothing else', () => {
    expect(piiFor(client, 'viewer')).toEqual({
      id: 1,
      first_name: 'Anna',
      identifier: '********345',
      email: 'a***@b.pl',
      phone: '+** *** *** *67',
    });
  });
});
