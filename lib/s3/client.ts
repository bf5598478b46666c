/**
 * One S3 client per container. With S3_ENDPOINT set (a local S3-compatible server, MinIO, another provider) it
 * uses path-style addressing and only sends checksums the API requires, which such servers understand; without
 * it, plain AWS with the default credential chain.
 */
import { S3Client } from '@aws-sdk/client-s3';
import { getConfig } from '../config.js';

let client: S3Client | undefined;

export function getS3(): S3Client {
  if (client) return client;
  const { AWS_REGION, S3_ENDPOINT } = getConfig();
  client = new S3Client({
    region: AWS_REGION,
    ...(S3_ENDPOINT
      ? {
          endpoint: S3_ENDPOINT,
          forcePathStyle: true,
          requestChecksumCalculation: 'WHEN_REQUIRED',
          responseChecksumValidation: 'WHEN_REQUIRED',
        }
      : {}),
    maxAttempts: 3,
  });
  return client;
}
