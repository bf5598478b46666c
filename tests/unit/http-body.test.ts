import { describe, expect, it } from 'vitest';
import { ValidationError } from '../../lib/errors.js';
import { MAX_BODY_BYTES, parseJsonBody, UnsupportedMediaTypeError } from '../../lib/http/handler.js';

const event = (body: string | undefined, headers: Record<string, string> = {}, isBase64Encoded = false) => ({
  body,
  headers: { 'content-type': 'application/json', ...headers },
  isBase64Encoded,
});

describe('parseJsonBody', () => {
  it('parses JSON, also base64-encoded and with a charset', () => {
    expect(parseJsonBody(event('{"a":1}'), MAX_BODY_BYTES)).toEqual({ a: 1 });
    expect(parseJsonBody(event(Buffer.from('[1]').toString('base64'), {}, true), MAX_BODY_BYTES)).toEqual([
      1,
    ]);
    expect(
      parseJsonBody(event('{}', { 'content-type': 'application/json; charset=utf-8' }), MAX_BODY_BYTES),
    ).toEqual({});
    expect(
      parseJsonBody(event('{}', { 'content-type': 'application/merge-patch+json' }), MAX_BODY_BYTES),
    ).toEqual({});
    expect(parseJsonBody({ body: '{}', headers: {}, isBase64Encoded: false }, MAX_BODY_BYTES)).toEqual({});
  });

  it.each([
    ['missing', undefined, /required/],
    ['empty', '', /required/],
    ['malformed', '{"a":', /not valid JSON/],
    ['too large', `{"a":"${'x'.repeat(MAX_BODY_BYTES)}"}`, /at most 16384 bytes/],
  ])('rejects a %s body with a ValidationError on field body', (_what, body, message) => {
    try {
      parseJsonBody(event(body), MAX_BODY_BYTES);
      throw new Error('expected a ValidationError');
    } catch (error) {
      expect(error).toBeInstanceOf(ValidationError);
      expect((error as ValidationError).problems[0]?.field).toBe('body');
      expect((error as Error).message).toMatch(message);
    }
  });

  it('counts bytes, not characters', () => {
    const body = JSON.stringify({ a: 'ż'.repeat(MAX_BODY_BYTES / 2) });
    expect(() => parseJsonBody(event(body), MAX_BODY_BYTES)).toThrow(/at most/);
  });

  it('rejects invalid UTF-8 and does not echo the input', () => {
    const body = Buffer.from([0x7b, 0xff, 0x7d]).toString('base64');
    expect(() => parseJsonBody(event(body, {}, true), MAX_BODY_BYTES)).toThrow(/not valid JSON \(UTF-8\)$/);
    expect(() => parseJsonBody(event('{"secret-input'), MAX_BODY_BYTES)).toThrow(
      /^Invalid body: not valid JSON/,
    );
  });

  it('answers 415 for a body that declares another media type', () => {
    expect(() =>
      parseJsonBody(event('a=1', { 'content-type': 'application/x-www-form-urlencoded' }), 100),
    ).toThrow(UnsupportedMediaTypeError);
    expect(() => parseJsonBody(event('{}', { 'content-type': 'text/plain' }), 100)).toThrow(
      UnsupportedMediaTypeError,
    );
  });
});
