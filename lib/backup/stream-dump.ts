/**
 * Where the backup streams to S3: mysqldump's stdout → gzip → sha256 + byte count → an S3 multipart upload.
 * Nothing is held whole in memory or on disk: at most `queueSize` parts of `partSize` bytes are buffered.
 *
 * The upload is only allowed to complete once mysqldump has exited 0 and its output ended with the
 * `-- Dump completed` line: the last stream stage holds back its end-of-stream until then. A killed mysqldump
 * still produces a well-formed gzip of a truncated dump; this is what stops such a dump from becoming an object.
 * Any failure — non-zero exit, signal, missing trailer, S3 error, timeout, abort — errors the body stream, which
 * makes lib-storage abort the multipart upload (no parts left behind, no object created), kills mysqldump and
 * rejects with the tool's stderr.
 */
import { type ChildProcessByStdio, spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { type Readable, Transform, type TransformCallback } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { DeleteObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import { DumpFailedError } from './errors.js';
import { TailBuffer } from './mysql-tools.js';
import { ParallelGzip } from './parallel-gzip.js';
import { describeS3Error } from './store.js';

const TRAILER = '-- Dump completed';
const MB = 1024 * 1024;

export interface StreamDumpOptions {
  s3: S3Client;
  bucket: string;
  key: string;
  /** mysqldump (or a stand-in), and its arguments. */
  command: string;
  args: string[];
  gzipLevel: number;
  /** Blocks compressed at once (default: the cores available). */
  gzipConcurrency?: number;
  /** Aborts the whole backup (timeout, Lambda about to time out, Ctrl-C). */
  signal?: AbortSignal;
  /** S3 part size (≥ 5 MB). */
  partSize?: number;
  /** Parts uploaded in parallel. */
  queueSize?: number;
  /** Object metadata known at start (S3 fixes it when the upload begins). */
  metadata?: Record<string, string>;
  onProgress?: (progress: { dumpBytes: number; bytes: number }) => void;
}

export interface StreamDumpResult {
  sha256: string;
  /** Bytes stored (compressed). */
  bytes: number;
  /** Bytes mysqldump wrote. */
  dumpBytes: number;
  /** Multipart when at least one part was uploaded separately. */
  parts: number;
  stderr: string;
}

/** Counts mysqldump's bytes and keeps the last few hundred, to check the closing comment. */
class DumpTap extends Transform {
  bytes = 0;
  private tail: Buffer = Buffer.alloc(0);
  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    this.bytes += chunk.length;
    this.tail =
      chunk.length >= 256
        ? chunk.subarray(chunk.length - 256)
        : Buffer.concat([this.tail, chunk]).subarray(-256);
    callback(null, chunk);
  }
  get completed(): boolean {
    // The trailer is the last line: "-- Dump completed on 2026-11-24  1:15:00\n".
    const text = this.tail.toString('latin1').trimEnd();
    return text.slice(text.lastIndexOf('\n') + 1).startsWith(TRAILER);
  }
}

/**
 * Hashes and counts what is uploaded, and holds back its own end (so the upload cannot complete) until `gate`
 * resolves; if `gate` rejects, the stream errors instead of ending.
 */
class HashingGate extends Transform {
  bytes = 0;
  private readonly hash = createHash('sha256');
  digest = '';
  constructor(private readonly gate: () => Promise<void>) {
    super();
  }
  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    this.hash.update(chunk);
    this.bytes += chunk.length;
    callback(null, chunk);
  }
  override _flush(callback: TransformCallback): void {
    this.gate().then(
      () => {
        this.digest = this.hash.digest('hex');
        callback();
      },
      (error: Error) => callback(error),
    );
  }
}

/** mysqldump running, its stderr's tail, and a promise of its exit (rejects unless it exits 0). */
interface RunningDump {
  child: ChildProcessByStdio<null, Readable, Readable>;
  stderr: TailBuffer;
  exited: Promise<void>;
}

function spawnDump(command: string, args: string[]): RunningDump {
  const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  const stderr = new TailBuffer();
  child.stderr.on('data', (chunk: Buffer) => stderr.push(chunk));
  const exited = new Promise<void>((resolve, reject) => {
    child.once('error', (error: NodeJS.ErrnoException) =>
      reject(
        new DumpFailedError(
          error.code === 'ENOENT'
            ? `${command} not found (set MYSQLDUMP_PATH)`
            : `${command} failed to start`,
          '',
          { cause: error },
        ),
      ),
    );
    child.once('close', (code, exitSignal) => {
      if (code === 0) resolve();
      else
        reject(
          new DumpFailedError(
            exitSignal ? `mysqldump was killed by ${exitSignal}` : `mysqldump exited with code ${code}`,
            stderr.toString(),
          ),
        );
    });
  });
  exited.catch(() => undefined); // observed through the gate and by the caller
  return { child, stderr, exited };
}

/** The multipart upload of `body`, counting the parts it sends. */
function startUpload(options: StreamDumpOptions, body: HashingGate, tap: DumpTap) {
  const upload = new Upload({
    client: options.s3,
    params: {
      Bucket: options.bucket,
      Key: options.key,
      Body: body,
      ContentType: 'application/gzip',
      ...(options.metadata ? { Metadata: options.metadata } : {}),
    },
    partSize: Math.max(5 * MB, options.partSize ?? 8 * MB),
    queueSize: options.queueSize ?? 2,
    leavePartsOnError: false,
  });
  const counter = { parts: 0 };
  upload.on('httpUploadProgress', (progress) => {
    counter.parts = Math.max(counter.parts, progress.part ?? 0);
    options.onProgress?.({ dumpBytes: tap.bytes, bytes: body.bytes });
  });
  return { upload, counter };
}

/** The error that ends the backup: the first recorded failure, else mysqldump's, the stream's, the upload's. */
function firstErrorOf(
  failure: Error | undefined,
  settled: PromiseSettledResult<unknown>[],
): Error | undefined {
  if (failure) return failure;
  const rejected = settled.find((r) => r.status === 'rejected') as PromiseRejectedResult | undefined;
  return rejected?.reason as Error | undefined;
}

/**
 * Runs `command args`, gzips its stdout into `s3://bucket/key`, and resolves only when the object is complete and
 * the command exited 0 with a complete dump. On any failure no object exists afterwards.
 *
 * @example await streamDumpToS3({ s3, bucket, key, command: 'mysqldump', args, gzipLevel: 6 })
 */
export async function streamDumpToS3(options: StreamDumpOptions): Promise<StreamDumpResult> {
  const { s3, bucket, key, gzipLevel, signal } = options;
  signal?.throwIfAborted();
  const { child, stderr, exited } = spawnDump(options.command, options.args);

  let failure: Error | undefined;
  const tap = new DumpTap({ highWaterMark: 256 * 1024 });
  // Deflate runs on libuv's thread pool, on as many cores as there are, so the event loop stays free for the
  // upload and gzip stops being the slowest stage.
  const gzip = new ParallelGzip({ level: gzipLevel, concurrency: options.gzipConcurrency });
  const gate = new HashingGate(async () => {
    await exited;
    if (!tap.completed)
      throw new DumpFailedError(
        `mysqldump exited 0 but its output lacks the final "${TRAILER}" line`,
        stderr.toString(),
      );
  });

  const fail = (error: Error) => {
    if (failure) return;
    failure = error;
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    gate.destroy(error); // the upload's body errors → lib-storage aborts the multipart upload
  };
  const onAbort = () => {
    const reason = signal?.reason;
    fail(
      new DumpFailedError(
        reason instanceof Error ? `backup aborted: ${reason.message}` : 'backup aborted (timeout)',
        stderr.toString(),
      ),
    );
  };
  signal?.addEventListener('abort', onAbort, { once: true });

  const plumbing = pipeline(child.stdout, tap, gzip, gate).catch((error: Error) => {
    fail(error);
    throw error;
  });
  const { upload, counter } = startUpload(options, gate, tap);

  const [uploaded, piped, ended] = await Promise.allSettled([
    upload.done().catch((error: Error) => {
      // The upload failed on its own (S3 unreachable, access denied …): stop the dump too.
      const wrapped =
        failure ??
        new DumpFailedError(`upload to s3://${bucket}/${key} failed: ${describeS3Error(error)}`, '', {
          cause: error,
        });
      fail(wrapped);
      throw wrapped;
    }),
    plumbing,
    exited,
  ]);
  signal?.removeEventListener('abort', onAbort);

  const firstError = firstErrorOf(failure, [ended, piped, uploaded]);
  if (firstError) {
    if (uploaded.status === 'fulfilled') {
      // Only reachable when an abort raced the upload's last request: the object must not outlive the failure.
      await s3.send(new DeleteObjectCommand({ Bucket: bucket, Key: key })).catch(() => undefined);
    }
    if (firstError instanceof DumpFailedError) throw firstError;
    throw new DumpFailedError(`backup stream failed: ${firstError.message}`, stderr.toString(), {
      cause: firstError,
    });
  }
  return {
    sha256: gate.digest,
    bytes: gate.bytes,
    dumpBytes: tap.bytes,
    parts: counter.parts,
    stderr: stderr.toString(),
  };
}
