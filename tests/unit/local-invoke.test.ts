import { describe, expect, it } from 'vitest';
import { isLocalInvoke } from '../../lib/local-invoke.js';

describe('isLocalInvoke', () => {
  it('is true in the process of `serverless invoke local`, which sets IS_LOCAL', () => {
    expect(isLocalInvoke({ IS_LOCAL: 'true' })).toBe(true);
  });

  it('is false in Lambda, where neither flag is set', () => {
    expect(isLocalInvoke({})).toBe(false);
  });

  it('is false under serverless offline, whose warm handlers serve many requests', () => {
    expect(isLocalInvoke({ IS_LOCAL: 'true', IS_OFFLINE: 'true' })).toBe(false);
  });
});
