import { CreateBucketCommand } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { getConfig } from '../../lib/config.js';
import { getS3 } from '../../lib/s3/client.js';
import { type Offline, startOffline } from '../helpers/offline.js';

let offline: Offline;

beforeAll(async () => {
  await getS3().send(new CreateBucketCommand({ Bucket: getConfig().BACKUP_BUCKET }));
  offline = await startOffline();
});

afterAll(async () => {
  await offline?.stop();
});

describe('serverless offline', () => {
  it('registers the HTTP routes', () => {
    expect(offline.output()).toMatch(/GET\s+\|\s+http:\/\/localhost:\d+\/health/);
  });

  it('serves GET /health with the database and S3 status', async () => {
    const response = await fetch(`${offline.url}/health`);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/application\/json/);
    const body = await response.json();
    expect(body).toMatchObject({
      status: 'ok',
      db: { ok: true },
      s3: { ok: true, bucket: getConfig().BACKUP_BUCKET },
    });
  });

  it('answers an unknown route with 404, not a crash', async () => {
    const response = await fetch(`${offline.url}/no-such-route`);
    expect(response.status).toBe(404);
  });
});
