/**
 * The backup bucket as the backup module sees it: list, read and write manifests, delete. Every call stays under
 * the backup prefix (IAM allows nothing else), and S3 failures become DependencyErrors that name the bucket and
 * the operation — never the credentials.
 */
import {
  DeleteObjectCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  type ListObjectsV2CommandOutput,
  PutObjectCommand,
  type S3Client,
} from '@aws-sdk/client-s3';
import { DependencyError } from '../errors.js';
import { databasePrefix, manifestKeyOf, parseBackupKey } from './keys.js';
import { type BackupManifest, manifestSchema } from './manifest.js';
import type { StoredObject } from './prune-plan.js';

export interface BackupStore {
  s3: S3Client;
  bucket: string;
  /** e.g. `backups/`. */
  prefix: string;
}

/**
 * A short, safe description of an S3 failure: the error and HTTP status, which timeout ran out, or the network
 * error's code; and how many tries were made when there were several.
 */
export function describeS3Error(error: unknown): string {
  const e = error as S3ErrorShape;
  const attempts = e.$metadata?.attempts ?? 1;
  return `${whatFailed(e)}${attempts > 1 ? `, ${attempts} attempts` : ''}`;
}

interface S3ErrorShape {
  name?: string;
  code?: string;
  message?: string;
  cause?: { code?: string };
  $metadata?: { httpStatusCode?: number; attempts?: number };
}

function whatFailed(e: S3ErrorShape): string {
  if (e.$metadata?.httpStatusCode) return `${e.name ?? 'S3Error'} (HTTP ${e.$metadata.httpStatusCode})`;
  if (e.name === 'AbortError') return 'cancelled before S3 answered';
  // The HTTP handler's TimeoutErrors say which limit ran out and its value.
  const connect = /within the configured timeout of (\d+) ms/.exec(e.message ?? '');
  if (connect) return `no connection within ${connect[1]} ms (S3_CONNECT_TIMEOUT_MS)`;
  const idle = /after (\d+) ms of inactivity/.exec(e.message ?? '');
  if (idle) return `nothing sent or received for ${idle[1]} ms (S3_REQUEST_TIMEOUT_MS)`;
  return e.code ?? e.cause?.code ?? e.name ?? e.message ?? 'error';
}

export function s3Failure(store: BackupStore, operation: string, error: unknown): DependencyError {
  return new DependencyError(`S3 ${operation} on bucket ${store.bucket} failed: ${describeS3Error(error)}`, {
    cause: error,
  });
}

/** Every object under `prefix` (paginated). `signal` cancels the listing (a time limit, Ctrl-C). */
export async function listObjects(
  store: BackupStore,
  prefix = store.prefix,
  signal?: AbortSignal,
): Promise<StoredObject[]> {
  const objects: StoredObject[] = [];
  let token: string | undefined;
  do {
    let page: ListObjectsV2CommandOutput;
    try {
      page = await store.s3.send(
        new ListObjectsV2Command({ Bucket: store.bucket, Prefix: prefix, ContinuationToken: token }),
        { abortSignal: signal },
      );
    } catch (error) {
      throw s3Failure(store, 'ListObjectsV2', error);
    }
    for (const item of page.Contents ?? []) {
      if (item.Key) objects.push({ key: item.Key, lastModified: item.LastModified, size: item.Size });
    }
    token = page.IsTruncated ? page.NextContinuationToken : undefined;
  } while (token);
  return objects;
}

export interface StoredBackup {
  key: string;
  database: string;
  takenAt: Date;
  /** Its manifest exists: a complete, good backup. */
  complete: boolean;
}

/** The dumps under the prefix (of one database when given), newest first. */
export async function listBackups(
  store: BackupStore,
  { database, signal }: { database?: string; signal?: AbortSignal } = {},
): Promise<StoredBackup[]> {
  const prefix = database ? databasePrefix(store.prefix, database) : store.prefix;
  const objects = await listObjects(store, prefix, signal);
  const keys = new Set(objects.map((o) => o.key));
  const backups: StoredBackup[] = [];
  for (const object of objects) {
    const parsed = parseBackupKey(store.prefix, object.key);
    if (parsed?.kind !== 'dump' || (database && parsed.database !== database)) continue;
    const complete = keys.has(manifestKeyOf(parsed.dumpKey));
    backups.push({ key: parsed.dumpKey, database: parsed.database, takenAt: parsed.takenAt, complete });
  }
  return backups.sort((a, b) => b.takenAt.getTime() - a.takenAt.getTime());
}

/** The newest dump of `database` that has a manifest (a complete, good backup), if any. */
export async function newestGoodBackup(store: BackupStore, database: string): Promise<string | undefined> {
  return (await listBackups(store, { database })).find((b) => b.complete)?.key;
}

/** Whether `key` exists (HeadObject; a 404 is `false`, any other failure throws). */
export async function objectExists(store: BackupStore, key: string, signal?: AbortSignal): Promise<boolean> {
  try {
    await store.s3.send(new HeadObjectCommand({ Bucket: store.bucket, Key: key }), { abortSignal: signal });
    return true;
  } catch (error) {
    const e = error as { name?: string; $metadata?: { httpStatusCode?: number } };
    if (e.name === 'NotFound' || e.$metadata?.httpStatusCode === 404) return false;
    throw s3Failure(store, 'HeadObject', error);
  }
}

export async function putManifest(
  store: BackupStore,
  manifest: BackupManifest,
  signal?: AbortSignal,
): Promise<void> {
  try {
    await store.s3.send(
      new PutObjectCommand({
        Bucket: store.bucket,
        Key: manifestKeyOf(manifest.key),
        Body: `${JSON.stringify(manifest, null, 2)}\n`,
        ContentType: 'application/json',
      }),
      { abortSignal: signal },
    );
  } catch (error) {
    throw s3Failure(store, 'PutObject (manifest)', error);
  }
}

/** Reads and validates `<dumpKey>.manifest.json`; `undefined` when there is none. */
export async function getManifest(
  store: BackupStore,
  dumpKey: string,
  signal?: AbortSignal,
): Promise<BackupManifest | undefined> {
  let text: string;
  try {
    const result = await store.s3.send(
      new GetObjectCommand({ Bucket: store.bucket, Key: manifestKeyOf(dumpKey) }),
      { abortSignal: signal },
    );
    text = (await result.Body?.transformToString('utf8')) ?? '';
  } catch (error) {
    const e = error as { name?: string; $metadata?: { httpStatusCode?: number } };
    if (e.name === 'NoSuchKey' || e.$metadata?.httpStatusCode === 404) return undefined;
    throw s3Failure(store, 'GetObject (manifest)', error);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw new DependencyError(`the manifest of ${dumpKey} is not JSON`);
  }
  const parsed = manifestSchema.safeParse(json);
  if (!parsed.success)
    throw new DependencyError(`the manifest of ${dumpKey} is not valid: ${parsed.error.message}`);
  return parsed.data;
}

export async function deleteObject(store: BackupStore, key: string, signal?: AbortSignal): Promise<void> {
  if (!key.startsWith(store.prefix)) throw new Error(`refusing to delete ${key}: outside ${store.prefix}`);
  try {
    await store.s3.send(new DeleteObjectCommand({ Bucket: store.bucket, Key: key }), { abortSignal: signal });
  } catch (error) {
    throw s3Failure(store, 'DeleteObject', error);
  }
}
