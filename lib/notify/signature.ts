/**
 * Webhook signatures: `X-FM-Signature: t=<unix seconds>,v1=<hex>`, where v1 is HMAC-SHA256 with the webhook's
 * secret over `${t}.${body}` (the raw body as sent). A receiver recomputes it over the raw bytes it got, compares in
 * constant time and refuses a timestamp older than a few minutes (a replayed request). Pure: no I/O.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';

export const SIGNATURE_HEADER = 'x-fm-signature';

/** The signature header's value for `body` sent at `unixSeconds`. */
export function signBody(body: string, secret: string, unixSeconds: number): string {
  const v1 = createHmac('sha256', secret).update(`${unixSeconds}.${body}`).digest('hex');
  return `t=${unixSeconds},v1=${v1}`;
}

/**
 * True when `header` signs `body` with `secret` and its timestamp is within `toleranceSeconds` of `nowSeconds`.
 *
 * @example verifySignature(req.headers['x-fm-signature'], rawBody, secret) // true / false
 */
export function verifySignature(
  header: string | undefined,
  body: string,
  secret: string,
  toleranceSeconds = 300,
  nowSeconds = Math.floor(Date.now() / 1000),
): boolean {
  const match = /^t=(\d{1,12}),v1=([0-9a-f]{64})$/.exec(header ?? '');
  if (!match) return false;
  const t = Number(match[1]);
  if (Math.abs(nowSeconds - t) > toleranceSeconds) return false;
  const expected = createHmac('sha256', secret).update(`${t}.${body}`).digest();
  return timingSafeEqual(expected, Buffer.from(match[2] as string, 'hex'));
}
