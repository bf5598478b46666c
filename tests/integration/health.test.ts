import { CreateBucketCommand, DeleteBucketCommand } from '@aws-sdk/client-s3';
import type { Context } from 'aws-lambda';
import { describe, expect, it } from 'vitest';
import { handler } from '../../functions/health.js';
import { getConfig } from '../../lib/config.js';
import { getS3 } from '../../lib/s3/client.js';
import event from '../events/http-get-health.json' with { type: 'json' };

const context = { awsRequestId: 'test-request', functionName: 'health' } as Context;

async function invoke() {
  const result = await handler(event as never, context);
  return { status: result.statusCode, body: JSON.parse(result.body ?? '{}') };
}

describe('GET /health', () => {
  it('answers 503 and says which dependency is down when the bucket does not exist', async () => {
    const { status, body } = await invoke();
    expect(status).toBe(503);
    expect(body.status).toBe('degraded');
    expect(body.db.ok).toBe(true);
    expect(body.s3).toMatchObject({ ok: false, bucket: getConfig().BACKUP_BUCKET });
  });

  it('answers 200 with the DB version, schema version and S3 status when both answer', async () => {
    await getS3().send(new CreateBucketCommand({ Bucket: getConfig().BACKUP_BUCKET }));
    try {
      const { status, body } = await invoke();
      expect(status).toBe(200);
      expect(body).toMatchObject({ status: 'ok', db: { ok: true }, s3: { ok: true } });
      expect(body.db.version).toMatch(/\d+\.\d+/);
      expect(body.db.schemaVersion).toMatch(/^\d{4}_/);
      expect(JSON.stringify(body)).not.toMatch(/password|mysql:\/\//i);
    } finally {
      await getS3().send(new DeleteBucketCommand({ Bucket: getConfig().BACKUP_BUCKET }));
    }
  });
});
