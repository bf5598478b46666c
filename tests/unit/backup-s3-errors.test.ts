import { describe, expect, it } from 'vitest';
import { describeS3Error } from '../../lib/backup/store.js';

/** Errors shaped as the AWS SDK throws them once its retries are spent. */
const sdkError = (fields: Record<string, unknown>, attempts = 3) =>
  Object.assign(new Error(String(fields.message ?? '')), fields, {
    $metadata: { attempts, ...(fields.$metadata ?? {}) },
  });

describe('describeS3Error', () => {
  it('names the timeout that ran out, its value and the setting behind it', () => {
    const connect = sdkError({
      name: 'TimeoutError',
      message:
        '@smithy/node-http-handler - the request socket did not establish a connection with the server within the configured timeout of 500 ms.',
    });
    expect(describeS3Error(connect)).toBe('no connection within 500 ms (S3_CONNECT_TIMEOUT_MS), 3 attempts');
    const idle = sdkError({
      name: 'TimeoutError',
      message:
        '@smithy/node-http-handler - the request socket timed out after 30000 ms of inactivity (configured by client requestHandler).',
    });
    expect(describeS3Error(idle)).toBe(
      'nothing sent or received for 30000 ms (S3_REQUEST_TIMEOUT_MS), 3 attempts',
    );
  });

  it('gives the network error code, or the S3 error and its HTTP status, and the tries only when several', () => {
    expect(describeS3Error(sdkError({ code: 'ECONNREFUSED' }, 1))).toBe('ECONNREFUSED');
    expect(describeS3Error(sdkError({ name: 'SlowDown', $metadata: { httpStatusCode: 503 } }))).toBe(
      'SlowDown (HTTP 503), 3 attempts',
    );
  });

  it('says a request cut by the caller (time limit, Ctrl-C) had no answer yet', () => {
    expect(describeS3Error(Object.assign(new Error('Request aborted'), { name: 'AbortError' }))).toBe(
      'cancelled before S3 answered',
    );
  });
});
