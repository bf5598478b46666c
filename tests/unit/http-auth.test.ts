import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../lib/config.js';
import { AuthError, ForbiddenError } from '../../lib/errors.js';
import {
  can,
  casePeople,
  LOCAL_DEV_KEYS,
  loadApiKeys,
  matchKey,
  presentedKey,
  sha256Hex,
} from '../../lib/http/auth.js';

const entries = [
  { name: 'ops', role: 'viewer' as const, sha256: sha256Hex('viewer-secret') },
  { name: 'ana', role: 'analyst' as const, sha256: sha256Hex('analyst-secret') },
];

describe('API keys', () => {
  it('hashes keys with SHA-256 (lowercase hex)', () => {
    expect(sha256Hex('abc')).toBe('ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
  });

  it('matches a presented key to its entry, by hash', () => {
    expect(matchKey('analyst-secret', entries)).toEqual({ name: 'ana', role: 'analyst' });
    expect(matchKey('viewer-secret', entries)).toEqual({ name: 'ops', role: 'viewer' });
    expect(matchKey('viewer-secreT', entries)).toBeUndefined();
    expect(matchKey('', entries)).toBeUndefined();
    expect(matchKey('analyst-secret', [])).toBeUndefined();
  });

  it('reads x-api-key first, then a Bearer token', () => {
    expect(presentedKey({ 'x-api-key': ' k1 ' })).toBe('k1');
    expect(presentedKey({ authorization: 'Bearer k2' })).toBe('k2');
    expect(presentedKey({ authorization: 'bearer   k3' })).toBe('k3');
    expect(presentedKey({ authorization: 'Basic a2V5' })).toBeUndefined();
    expect(presentedKey({ 'x-api-key': '', authorization: 'Bearer k4' })).toBe('k4');
    expect(presentedKey(undefined)).toBeUndefined();
  });

  it('gives viewers read, analysts read and write, and leads also the lead’s permission', () => {
    expect([
      can('viewer', 'read'),
      can('viewer', 'write'),
      can('analyst', 'read'),
      can('analyst', 'write'),
      can('analyst', 'lead'),
      can('lead', 'write'),
      can('lead', 'lead'),
      can('viewer', 'lead'),
    ]).toEqual([true, false, true, true, false, true, true, false]);
  });

  it('lists the people who may be assigned cases: analyst and lead keys, not viewers', async () => {
    expect([...(await casePeople())].sort()).toEqual(['local-analyst', 'local-lead']);
  });

  it('falls back to the development keys on stage local only', async () => {
    const keys = await loadApiKeys(parseConfig({}));
    expect(keys.map((k) => k.name)).toEqual(LOCAL_DEV_KEYS.map((k) => k.name));
    expect(JSON.stringify(keys)).not.toContain(LOCAL_DEV_KEYS[0]?.key);
  });

  it('has distinct error types for 401 and 403', () => {
    expect(new AuthError('x').status).toBe(401);
    expect(new ForbiddenError('x').status).toBe(403);
  });
});

describe('API_KEYS configuration', () => {
  it('parses a JSON array of hashed keys', () => {
    const config = parseConfig({ API_KEYS: JSON.stringify(entries) });
    expect(config.API_KEYS).toEqual(entries);
  });

  it.each([
    ['not JSON', 'viewer:secret', /API_KEYS expects a JSON array/],
    ['an empty array', '[]', /API_KEYS expects at least one key/],
    ['a clear-text key', JSON.stringify([{ name: 'a', role: 'viewer', key: 'secret' }]), /API_KEYS\.0/],
    ['a short hash', JSON.stringify([{ name: 'a', role: 'viewer', sha256: 'abc' }]), /sha256 expects/],
    [
      'an unknown role',
      JSON.stringify([{ name: 'a', role: 'admin', sha256: sha256Hex('x') }]),
      /role expects viewer, analyst or lead/,
    ],
  ])('refuses %s, without echoing the value', (_what, value, message) => {
    expect(() => parseConfig({ API_KEYS: value })).toThrow(message);
    try {
      parseConfig({ API_KEYS: value });
    } catch (error) {
      expect((error as Error).message).not.toContain('secret');
    }
  });
});
