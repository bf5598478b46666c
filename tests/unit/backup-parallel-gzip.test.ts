import { randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import { buffer } from 'node:stream/consumers';
import { gunzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { ParallelGzip } from '../../lib/backup/parallel-gzip.js';

async function compress(input: Buffer, options: { blockSize: number; concurrency: number }) {
  const chunks = [];
  for (let at = 0; at < input.length; at += 7_777) chunks.push(input.subarray(at, at + 7_777));
  return buffer(Readable.from(chunks).pipe(new ParallelGzip({ level: 6, ...options })));
}

describe('parallel gzip', () => {
  it('produces one gzip stream (several members) that gunzips to the input, in order', async () => {
    const text = Buffer.from(
      Array.from({ length: 20_000 }, (_, i) => `INSERT INTO t VALUES (${i}, 'row ${i}');\n`).join(''),
    );
    const input = Buffer.concat([text, randomBytes(100_000), text]);
    const output = await compress(input, { blockSize: 64 * 1024, concurrency: 3 });
    expect(output.subarray(0, 2)).toEqual(Buffer.from([0x1f, 0x8b]));
    expect(gunzipSync(output).equals(input)).toBe(true);
    expect(output.length).toBeLessThan(input.length);
  });

  it('handles an input smaller than one block', async () => {
    const input = Buffer.from('-- Dump completed on 2026-11-24\n');
    expect(gunzipSync(await compress(input, { blockSize: 1024 * 1024, concurrency: 2 })).toString()).toBe(
      input.toString(),
    );
  });
});
