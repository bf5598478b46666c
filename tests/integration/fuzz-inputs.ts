/**
 * Hostile inputs shared by the API fuzz tests (alerts and cases): injection strings, huge numbers, odd unicode,
 * path traversal; a deterministic PRNG so a failure reproduces; and what a response must never leak.
 */
export const HOSTILE: string[] = [
  "'",
  '"',
  "' OR '1'='1",
  '1; DROP TABLE alerts; --',
  '1 UNION SELECT identifier FROM clients',
  "1' AND SLEEP(5) -- ",
  '../../etc/passwd',
  '..%2F..%2Fetc%2Fpasswd',
  '%00',
  '\u0000',
  '\uFFFF',
  '\uD800',
  '𝕳𝖎𝖌𝖍',
  '\u202Eevil',
  'Ｈｉｇｈ',
  'High\u200B',
  '<script>alert(1)</script>',
  // biome-ignore lint/suspicious/noTemplateCurlyInString: a log4shell-style probe, sent literally
  '${jndi:ldap://x/a}',
  '{{7*7}}',
  '__proto__',
  'constructor',
  '-0',
  'NaN',
  'Infinity',
  '1e309',
  '9'.repeat(400),
  '0x7fffffff',
  '',
  ' ',
  'null',
  'true',
  '[]',
  '{}',
  '\r\nX-Injected: 1',
  'a'.repeat(5000),
];

/** A small deterministic PRNG so a failure reproduces. */
export function prng(seed: number) {
  let s = seed >>> 0;
  return () => {
    s = (s * 1664525 + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

/** What a response must never contain: driver errors, SQL, stack frames, source paths. */
export const LEAKS = /ER_[A-Z_]{3,}|sqlMessage|\bat \S+ \(|\.ts:\d+|node_modules|INSERT INTO|FROM alerts/;
