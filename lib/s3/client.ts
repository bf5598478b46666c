/**
 * One S3 client per container. With S3_ENDPOINT set (a local S3-compatible server, MinIO, another provider) it
 * uses path-style addressing and only sends checksums the API requires, which such servers understand; without
 * it, plain AWS with the default credential chain.
 *
 * Every request is bounded, so a server that accepts connections and never answers cannot hold a caller forever:
 * a connection not made within S3_CONNECT_TIMEOUT_MS, or a request during which no byte moves either way for
 * S3_REQUEST_TIMEOUT_MS, is abandoned and retried, at most S3_MAX_ATTEMPTS tries in all. The request timeout is
 * the HTTP handler's `socketTimeout` (inactivity), not its `requestTimeout`: the latter runs from the start of a
 * request to its response headers — the whole body of an 8 MB part included — by default only logs a warning, and
 * does not cover a response body (a download that stops mid-way); inactivity ends a dead call without cutting a
 * slow transfer that still moves. Inactivity is what the client can see: the clock restarts when a write completes
 * or bytes arrive, and a part's body (8 MB) goes to the socket in one write, so the timeout must exceed the time
 * the link takes to carry one part (30 s covers links faster than about 2.2 Mbit/s).
 */
import { S3Client } from '@aws-sdk/client-s3';
import { type Config, getConfig } from '../config.js';

export type S3Settings = Pick<
  Config,
  'AWS_REGION' | 'S3_ENDPOINT' | 'S3_CONNECT_TIMEOUT_MS' | 'S3_REQUEST_TIMEOUT_MS' | 'S3_MAX_ATTEMPTS'
>;

let client: S3Client | undefined;

/**
 * A client for `settings`; the process's own is {@link getS3}. Tests and benchmarks build one for another endpoint
 * or shorter timeouts.
 *
 * @example createS3Client({ ...getConfig(), S3_ENDPOINT: 'http://127.0.0.1:4569', S3_REQUEST_TIMEOUT_MS: 1_000 })
 */
export function createS3Client(settings: S3Settings): S3Client {
  const endpoint = settings.S3_ENDPOINT;
  return new S3Client({
    region: settings.AWS_REGION,
    ...(endpoint
      ? {
          endpoint,
          forcePathStyle: true,
          requestChecksumCalculation: 'WHEN_REQUIRED',
          responseChecksumValidation: 'WHEN_REQUIRED',
        }
      : {}),
    maxAttempts: settings.S3_MAX_ATTEMPTS,
    requestHandler: {
      connectionTimeout: settings.S3_CONNECT_TIMEOUT_MS,
      socketTimeout: settings.S3_REQUEST_TIMEOUT_MS,
    },
  });
}

export function getS3(): S3Client {
  client ??= createS3Client(getConfig());
  return client;
}
