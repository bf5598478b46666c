/**
 * A real S3-compatible server (s3rver) on a free loopback port, storing objects in a temporary folder. Used by the
 * tests' global setup and by `npm start` when no S3_ENDPOINT is configured. It speaks the S3 REST API, multipart
 * uploads included; it does not implement bucket lifecycle rules (the backup job's app-level prune covers that).
 */
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import S3rver from 's3rver';

export const LOCAL_S3_CREDENTIALS = { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' } as const;

export interface LocalS3 {
  endpoint: string;
  directory: string;
  stop(): Promise<void>;
}

export async function startLocalS3({
  port = 0,
  buckets = [],
  directory,
}: {
  port?: number;
  buckets?: string[];
  directory?: string;
} = {}): Promise<LocalS3> {
  const dir = directory ?? (await mkdtemp(path.join(os.tmpdir(), 'fm-s3-')));
  const server = new S3rver({
    port,
    address: '127.0.0.1',
    silent: true,
    directory: dir,
    configureBuckets: buckets.map((name) => ({ name, configs: [] })),
  });
  const address = (await server.run()) as { port: number };
  return {
    endpoint: `http://127.0.0.1:${address.port}`,
    directory: dir,
    async stop() {
      await server.close();
      if (!directory) await rm(dir, { recursive: true, force: true });
    },
  };
}
