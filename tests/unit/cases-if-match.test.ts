import { describe, expect, it } from 'vitest';
import { etag, versionFromIfMatch } from '../../lib/cases/update.js';
import { PreconditionRequiredError } from '../../lib/errors.js';

describe('If-Match for cases', () => {
  it('reads the version from the ETag as sent, quoted or bare', () => {
    expect(versionFromIfMatch('"7"')).toBe(7);
    expect(versionFromIfMatch(' 12 ')).toBe(12);
    expect(versionFromIfMatch(etag(3))).toBe(3);
  });

  it.each([undefined, '', '*', 'W/"7"', '"7", "8"', '"-1"', '"1e3"', '"9999999999"'])(
    'requires a version it can read (428), not %j',
    (header) => {
      expect(() => versionFromIfMatch(header)).toThrow(PreconditionRequiredError);
    },
  );
});
