import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { signBody, verifySignature } from '../../lib/notify/signature.js';

const SECRET = 'a-webhook-secret-of-some-length';
const BODY = '{"id":7,"kind":"case_high"}';

describe('webhook signatures', () => {
  it('signs <t>.<body> with HMAC-SHA256, as the docs tell a receiver to check', () => {
    const expected = createHmac('sha256', SECRET).update(`1700000000.${BODY}`).digest('hex');
    expect(signBody(BODY, SECRET, 1_700_000_000)).toBe(`t=1700000000,v1=${expected}`);
  });

  it('accepts its own signature within the tolerance', () => {
    const header = signBody(BODY, SECRET, 1_700_000_000);
    expect(verifySignature(header, BODY, SECRET, 300, 1_700_000_299)).toBe(true);
  });

  it('refuses an old or future timestamp, another body, another secret, or a malformed header', () => {
    const header = signBody(BODY, SECRET, 1_700_000_000);
    expect(verifySignature(header, BODY, SECRET, 300, 1_700_000_301)).toBe(false);
    expect(verifySignature(header, BODY, SECRET, 300, 1_699_999_699)).toBe(false);
    expect(verifySignature(header, BODY.replace('7', '8'), SECRET, 300, 1_700_000_000)).toBe(false);
    expect(verifySignature(header, BODY, `${SECRET}x`, 300, 1_700_000_000)).toBe(false);
    expect(
      verifySignature(header.replace('t=1700000000', 't=1700000001'), BODY, SECRET, 300, 1_700_000_000),
    ).toBe(false);
    expect(verifySignature(undefined, BODY, SECRET)).toBe(false);
    expect(verifySignature('v1=abc', BODY, SECRET)).toBe(false);
  });
});
