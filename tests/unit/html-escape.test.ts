import { describe, expect, it } from 'vitest';
import { escapeHtml } from '../../lib/html/escape.js';

describe('escapeHtml', () => {
  it('escapes the five characters that end text or an attribute value', () => {
    expect(escapeHtml(`<b title="x">Tom & Jerry's</b>`)).toBe(
      '&lt;b title=&quot;x&quot;&gt;Tom &amp; Jerry&#39;s&lt;/b&gt;',
    );
  });

  it('writes numbers as text and null or undefined as nothing', () => {
    expect(escapeHtml(12.5)).toBe('12.5');
    expect(escapeHtml(null)).toBe('');
    expect(escapeHtml(undefined)).toBe('');
  });
});
