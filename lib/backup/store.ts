/**
 * The backup bucket as the backup module sees it: list, read and write manifests, delete. Every call stays under
 * the backup prefix (IAM allows nothing else), and S3 failures become DependencyErrors that name the bucket and
 * the operation — never the credentials.
 */
import {
  DeleteObjectCommand,
  GetObjectCommand,
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

/** A short, safe description of an S3 failure (code and HTTP status, or the network error code). */
export function describeS3Error(error: unknown): string {
  const e = error as {
    name?: string;
    code?: string;
    message?: string;
    $metadata?: { httpStatusCode?: number };
  };
  if (e.$metadata?.httpStatusCode) return `${e.name ?? 'S3Error'} (HTTP ${e.$metadata.httpStatusCode})`;
  const inner = (e as { cause?: { code?: string } }).cause?.code;
  return e.code ?? inner ?? e.name ?? e.message ?? 'error';
}

export function s3Failure(store: BackupStore, operation: string, error: unknown): DependencyError {
  return new DependencyError(`S3 ${operation} on bucket ${store.bucket} failed: ${describeS3Error(error)}`, {
    cause: error,
  });
}

/** Every object under `prefix` (paginated). */
export async function listObjects(store: BackupStore, prefix = store.prefix): Promise<StoredObject[]> {
  const objects: StoredObject[] = [];
  let token: string | undefined;
  do {
    let page: ListObjectsV2CommandOutput;
    try {
      page = await store.s3.send(
        new ListObjectsV2Command({ Bucket: store.bucket, Prefix: prefix, ContinuationToken: token }),
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

/** The newest dump of `database` that has a manifest (a complete, good backup), if any. */
export async function newestGoodBackup(store: BackupStore, database: string): Promise<string | undefined> {
  const objects = await listObjects(store, databasePrefix(store.prefix, database));
  const keys = new Set(objects.map((o) => o.key));
  return objects
    .map((o) => parseBackupKey(store.prefix, o.key))
    .filter((p) => p?.kind === 'dump' && p.database === database && keys.has(manifestKeyOf(p.dumpKey)))
    .sort((a, b) => (b?.takenAt.getTime() ?? 0) - (a?.takenAt.getTime() ?? 0))[0]?.dumpKey;
}

export async function putManifest(store: BackupStore, manifest: BackupManifest): Promise<void> {
  try {
    await store.s3.send(
      new PutObjectCommand({
        Bucket: store.bucket,
        Key: manifestKeyOf(manifest.key),
        Body: `${JSON.stringify(manifest, null, 2)}\n`,
        ContentType: 'application/json',
      }),
    );
  } catch (error) {
    throw s3Failure(store, 'PutObject (manifest)', error);
  }
}

/** Reads and validates `<dumpKey>.manifest.json`; `undefined` when there is none. */
export async function getManifest(store: BackupStore, dumpKey: string): Promise<BackupManifest | undefined> {
  let text: string;
  try {
    const result = await store.s3.send(
      new GetObjectCommand({ Bucket: store.bucket, Key: manifestKeyOf(dumpKey) }),
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

export async function deleteObject(store: BackupStore, key: string): Promise<void> {
  if (!key.startsWith(store.prefix)) throw new Error(`refusing to delete ${key}: outside ${store.prefix}`);
  try {
    await store.s3.send(new DeleteObjectCommand({ Bucket: store.bucket, Key: key }));
  } catch (error) {
    throw s3Failure(store, 'DeleteObject', error);
  }
}
