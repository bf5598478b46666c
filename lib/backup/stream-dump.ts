/**
 * Where the backup streams to S3: mysqldump's stdout → gzip → sha256 + byte count → an S3 multipart upload.
 * Nothing is held whole in memory or on disk: at most `queueSize` parts of `partSize` bytes are buffered.
 *
 * The upload is only allowed to complete once mysqldump has exited 0 and its output ended with the
 * `-- Dump completed` line: the last stream stage holds back its end-of-stream until then. A killed mysqldump
 * still produces a well-formed gzip of a truncated dump; this is what stops such a dump from becoming an object.
 * Any failure — non-zero exit, signal, missing trailer, S3 error, timeout, abort — errors the body stream, cancels
 * the upload's requests in flight, kills mysqldump, aborts the multipart upload (no parts left behind, no object
 * created; S3 gets `cleanupTimeoutMs` to answer, since S3 may be what failed) and rejects with the tool's stderr.
 */
import { type ChildProcessByStdio, spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { type Readable, Transform, type TransformCallback } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import {
  AbortMultipartUploadCommand,
  CreateMultipartUploadCommand,
  DeleteObjectCommand,
  type S3Client,
} from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import { DumpFailedError } from './errors.js';
import { TailBuffer } from './mysql-tools.js';
import { ParallelGzip } from './parallel-gzip.js';
import { describeS3Error } from './store.js';

const TRAILER = '-- Dump completed';
const MB = 1024 * 1024;
const DEFAULT_CLEANUP_TIMEOUT_MS = 10_000;

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
  /** After a failure, how long S3 gets to abort the multipart upload (default 10 s). */
  cleanupTimeoutMs?: number;
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

/**
 * The upload's requests, under the backup's control. lib-storage passes no signal of its own, so a part stuck on a
 * dead connection would hold the upload until that part's retries ran out (lib-storage waits for every part in
 * flight before it gives up); through {@link UploadRequests.client} every request is cancelled on {@link stop},
 * and the first request that fails for itself is reported at once. A CreateMultipartUpload already sent is let
 * finish until the cleanup's time is up: its answer carries the id needed to abort the upload S3 may have created.
 */
class UploadRequests {
  readonly client: S3Client;
  /** Aborts the upload's requests. */
  private readonly cancel = new AbortController();
  /** Aborts what is still going `cleanupMs` after stop(): the in-flight CreateMultipartUpload, the cleanup. */
  private readonly cleanup = new AbortController();
  /** A CreateMultipartUpload cut by the end of the cleanup time: S3 may hold an upload whose id we never got. */
  createCut = false;

  constructor(
    s3: S3Client,
    private readonly cleanupMs: number,
    onFailure: (operation: string, error: Error) => void,
  ) {
    const { cancel, cleanup } = this;
    this.client = new Proxy(s3, {
      get: (target, property, receiver) => {
        if (property !== 'send') return Reflect.get(target, property, receiver);
        return (command: Parameters<S3Client['send']>[0], options?: Parameters<S3Client['send']>[1]) => {
          const creating = command instanceof CreateMultipartUploadCommand && !cancel.signal.aborted;
          const abortSignal = creating ? cleanup.signal : cancel.signal;
          return target.send(command, { ...options, abortSignal }).catch((error: Error) => {
            if (creating && cleanup.signal.aborted) this.createCut = true;
            if (!cancel.signal.aborted) onFailure(command.constructor.name.replace(/Command$/, ''), error);
            throw error;
          });
        };
      },
    });
  }

  /** Cancels the requests in flight and starts the cleanup's clock. */
  stop(reason: Error): void {
    if (this.cancel.signal.aborted) return;
    this.cancel.abort(reason);
    setTimeout(() => this.cleanup.abort(), this.cleanupMs).unref();
  }

  /**
   * Aborts the multipart upload `uploadId`, if one was started, within what is left of the cleanup time (S3 may be
   * what failed). Returns what is left behind, if anything.
   */
  async abortUpload(s3: S3Client, bucket: string, key: string, uploadId: string | undefined) {
    const leftover = `S3 keeps the parts, invisible, until the bucket's lifecycle rule removes them (AbortIncompleteMultipartUpload, 1 day)`;
    if (!uploadId)
      return this.createCut
        ? `S3 did not answer CreateMultipartUpload within ${this.cleanupMs} ms of the failure; if it created the upload, ${leftover}`
        : undefined;
    const signal = this.cleanup.signal;
    try {
      await s3.send(new AbortMultipartUploadCommand({ Bucket: bucket, Key: key, UploadId: uploadId }), {
        abortSignal: signal,
      });
      return undefined;
    } catch (error) {
      const why = signal.aborted ? `no answer within ${this.cleanupMs} ms` : describeS3Error(error);
      return `its multipart upload ${uploadId} could not be aborted (${why}): ${leftover}`;
    }
  }

  /** What is left of the cleanup time, for removing an object that must not outlive the failure. */
  get cleanupSignal(): AbortSignal {
    return this.cleanup.signal;
  }
}

/** The multipart upload of `body` through `client`, counting the parts it sends. */
function startUpload(options: StreamDumpOptions, client: S3Client, body: HashingGate, tap: DumpTap) {
  const upload = new Upload({
    client,
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
 * After a failed dump or upload: stops the upload's requests, removes an object that completed anyway (an abort that
 * raced the last request), aborts the multipart upload, and returns the error to throw (saying what S3 kept, if
 * anything).
 */
async function cleanUpFailedUpload(
  { s3, bucket, key }: StreamDumpOptions,
  requests: UploadRequests,
  uploadId: string | undefined,
  completed: boolean,
  failure: { error: Error; stderr: string },
): Promise<DumpFailedError> {
  requests.stop(failure.error);
  if (completed) {
    await s3
      .send(new DeleteObjectCommand({ Bucket: bucket, Key: key }), { abortSignal: requests.cleanupSignal })
      .catch(() => undefined);
  }
  const leftover = completed ? undefined : await requests.abortUpload(s3, bucket, key, uploadId);
  const error =
    failure.error instanceof DumpFailedError
      ? failure.error
      : new DumpFailedError(`backup stream failed: ${failure.error.message}`, failure.stderr, {
          cause: failure.error,
        });
  if (leftover) error.message += `; ${leftover}`;
  return error;
}

/** Fails the dump when `signal` aborts (the run's time limit); returns how to stop watching. */
function failOnAbort(
  signal: AbortSignal | undefined,
  fail: (error: Error) => void,
  stderr: { toString(): string },
): () => void {
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
  return () => signal?.removeEventListener('abort', onAbort);
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

  // The upload failed on its own (S3 unreachable, not answering, access denied …): stop the dump too.
  const uploadFailed = (operation: string, error: Error) =>
    fail(
      new DumpFailedError(
        `upload to s3://${bucket}/${key} failed (${operation}): ${describeS3Error(error)}`,
        '',
        {
          cause: error,
        },
      ),
    );
  const requests = new UploadRequests(
    s3,
    options.cleanupTimeoutMs ?? DEFAULT_CLEANUP_TIMEOUT_MS,
    uploadFailed,
  );
  const fail = (error: Error) => {
    if (failure) return;
    failure = error;
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    gate.destroy(error); // the upload's body errors: no more parts, and no CompleteMultipartUpload
    requests.stop(error);
  };
  const unwatch = failOnAbort(signal, fail, stderr);

  const plumbing = pipeline(child.stdout, tap, gzip, gate).catch((error: Error) => {
    fail(error);
    throw error;
  });
  const { upload, counter } = startUpload(options, requests.client, gate, tap);

  const [uploaded, piped, ended] = await Promise.allSettled([
    upload.done().catch((error: Error) => {
      uploadFailed('upload', error); // lib-storage's own failures (no request failed)
      throw failure;
    }),
    plumbing,
    exited,
  ]);
  unwatch();

  const firstError = firstErrorOf(failure, [ended, piped, uploaded]);
  if (firstError) {
    throw await cleanUpFailedUpload(options, requests, upload.uploadId, uploaded.status === 'fulfilled', {
      error: firstError,
      stderr: stderr.toString(),
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
