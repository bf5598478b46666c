/**
 * gzip on several cores, the way pigz does it: the input is cut into blocks, each block is compressed on libuv's
 * thread pool as its own gzip member, and the members are emitted in input order. Concatenated gzip members are one
 * valid gzip file (RFC 1952 §2.2): gunzip, zcat, the mysql restore path (Node's gunzip) all read it whole.
 *
 * Why: single-threaded deflate is the slowest stage of a backup (mysqldump produces ~3× faster than gzip -6
 * consumes). Memory stays bounded: at most `concurrency` blocks in flight plus one being filled.
 */
import { availableParallelism } from 'node:os';
import { Transform, type TransformCallback } from 'node:stream';
import { promisify } from 'node:util';
import { gzip as gzipCallback } from 'node:zlib';

const gzip = promisify(gzipCallback);

export interface ParallelGzipOptions {
  level: number;
  /** Input bytes per gzip member (1 MiB: the ratio loss from resetting the dictionary is well under 1%). */
  blockSize?: number;
  /** Blocks compressed at once; defaults to the cores available (at most 4, the thread pool's default size). */
  concurrency?: number;
}

export class ParallelGzip extends Transform {
  private readonly level: number;
  private readonly blockSize: number;
  private readonly concurrency: number;
  private pending: Buffer[] = [];
  private pendingBytes = 0;
  private readonly inFlight: Promise<Buffer>[] = [];

  constructor({ level, blockSize = 1024 * 1024, concurrency }: ParallelGzipOptions) {
    super({ readableHighWaterMark: 1024 * 1024 });
    this.level = level;
    this.blockSize = blockSize;
    this.concurrency = Math.max(1, Math.min(4, concurrency ?? availableParallelism()));
  }

  private submit(): void {
    if (this.pendingBytes === 0) return;
    const block = this.pending.length === 1 ? (this.pending[0] as Buffer) : Buffer.concat(this.pending);
    this.pending = [];
    this.pendingBytes = 0;
    const compressed = gzip(block, { level: this.level });
    compressed.catch(() => undefined); // surfaced in order by drain()
    this.inFlight.push(compressed);
  }

  /** Pushes finished members, oldest first, until at most `keep` are still in flight. */
  private async drain(keep: number): Promise<void> {
    while (this.inFlight.length > keep) {
      const next = this.inFlight.shift() as Promise<Buffer>;
      this.push(await next);
    }
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    this.pending.push(chunk);
    this.pendingBytes += chunk.length;
    if (this.pendingBytes < this.blockSize) {
      callback();
      return;
    }
    this.submit();
    this.drain(this.concurrency - 1).then(() => callback(), callback);
  }

  override _flush(callback: TransformCallback): void {
    this.submit();
    this.drain(0).then(() => callback(), callback);
  }
}
