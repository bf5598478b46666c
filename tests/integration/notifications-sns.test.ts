/**
 * Delivery to SNS through a real local SNS (the server serverless-offline-sns runs under `npm start`), beside a
 * webhook: the topic's HTTP subscriber gets the notification with its id (as JSON, and as text for e-mail), and a destination that took a notification
 * is not sent it again when another one failed and the round is retried.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { SNSClient, SubscribeCommand } from '@aws-sdk/client-sns';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Config, getConfig } from '../../lib/config.js';
import { query } from '../../lib/db/pool.js';
import { publishPending } from '../../lib/notify/publisher.js';
import { freePort } from '../../scripts/local/database.js';
import { startReceiver } from '../helpers/webhook-receiver.js';
import { attach, makeAlert, makeClient } from './cases-fixture.js';

const TOPIC = 'arn:aws:sns:us-east-1:123456789012:financial-monitor-test-notifications';
const SECRET = 'test-webhook-secret-0123456789';

interface LocalSns {
  start(): Promise<unknown>;
  stop(): Promise<unknown>;
}

let endpoint: string;
let sns: LocalSns;
/** What the topic's HTTP subscriber received: SNS envelopes. */
const envelopes: Array<{ Message: string }> = [];
const subscriber = createServer((req, res) => {
  const chunks: Buffer[] = [];
  req.on('data', (c: Buffer) => chunks.push(c));
  req.on('end', () => {
    envelopes.push(JSON.parse(Buffer.concat(chunks).toString('utf8')));
    res.writeHead(200).end();
  });
});

beforeAll(async () => {
  const port = await freePort();
  // The plugin ships no types; it is started as serverless offline starts it (its `start`).
  const { default: Plugin } = (await import('serverless-offline-sns' as string)) as {
    default: new (serverless: unknown, options: unknown) => LocalSns;
  };
  sns = new Plugin(
    {
      service: {
        service: 'financial-monitor',
        custom: { 'serverless-offline-sns': { port, host: '127.0.0.1', autoSubscribe: false } },
        provider: { region: 'us-east-1', stage: 'test', environment: {} },
        functions: {},
        resources: {},
      },
      config: { servicePath: process.cwd() },
      cli: { log: () => undefined },
    },
    {},
  );
  await sns.start();
  endpoint = `http://127.0.0.1:${port}`;
  await new Promise<void>((resolve) => subscriber.listen(0, '127.0.0.1', resolve));
  const client = new SNSClient({ region: 'us-east-1', endpoint });
  await client.send(
    new SubscribeCommand({
      TopicArn: TOPIC,
      Protocol: 'http',
      Endpoint: `http://127.0.0.1:${(subscriber.address() as AddressInfo).port}/sns`,
    }),
  );
  client.destroy();
});

afterAll(async () => {
  await sns.stop();
  subscriber.closeAllConnections();
  await new Promise((resolve) => subscriber.close(resolve));
});

async function highCase(): Promise<number> {
  const { accountId } = await makeClient();
  const [now] = await query<{ t: string }>('SELECT NOW() - INTERVAL 1 HOUR AS t');
  const { alertId } = await makeAlert(accountId, { risk: 'High', booked: String(now?.t) });
  return Number((await attach([alertId])).touched[0]);
}

describe('delivery to SNS', () => {
  it('publishes to the topic with the notification id, and never sends a destination one it already took', async () => {
    const caseId = await highCase();
    const [n] = await query<{ id: number }>('SELECT id FROM notifications WHERE case_id = ?', [caseId]);
    const id = Number(n?.id);
    const hook = await startReceiver({ secret: SECRET });
    const config = (snsEndpoint: string): Config => ({
      ...getConfig(),
      NOTIFY_TOPIC_ARN: TOPIC,
      SNS_ENDPOINT: snsEndpoint,
      NOTIFY_WEBHOOKS: [{ name: 'siem', url: hook.url }],
      NOTIFY_WEBHOOK_SECRET: SECRET,
      NOTIFY_RETRY_BASE_MS: 20,
      NOTIFY_RETRY_MAX_MS: 50,
      NOTIFY_TIMEOUT_MS: 2_000,
    });
    try {
      // SNS down: the webhook takes it, SNS fails, the notification waits for another round.
      const down = `http://127.0.0.1:${await freePort()}`;
      expect(await publishPending({ budgetMs: 10, config: config(down) })).toMatchObject({ retried: 1 });
      const [afterFirst] = await query<{ status: string; last_error: string }>(
        'SELECT status, last_error FROM notifications WHERE id = ?',
        [id],
      );
      expect(afterFirst).toMatchObject({ status: 'pending', last_error: expect.stringMatching(/^sns: /) });
      expect(afterFirst?.last_error).not.toContain(down);

      // SNS back: only SNS is sent it this round.
      await new Promise((r) => setTimeout(r, 100));
      expect(await publishPending({ budgetMs: 2_000, config: config(endpoint) })).toMatchObject({ sent: 1 });
      await new Promise((r) => setTimeout(r, 200)); // the local SNS delivers to its subscriber after answering
      expect(hook.requests).toBe(1);
      // The message holds one text per protocol: `default` (HTTPS, email-json) is the JSON, `email` a few lines.
      const structure = (e: (typeof envelopes)[number]) =>
        JSON.parse(e.Message) as { default: string; email: string };
      const mine = envelopes.filter((e) => JSON.parse(structure(e).default).id === id);
      expect(mine).toHaveLength(1);
      // The `notification_id` message attribute is not checked: serverless-offline-sns drops the attributes of a
      // message with a per-protocol structure (its parseMessageAttributes); AWS keeps them.
      const sent = structure(mine[0] as (typeof envelopes)[number]);
      expect(JSON.parse(sent.default)).toMatchObject({ id, kind: 'case_high', case: { case_id: caseId } });
      expect(sent.email).toMatch(
        new RegExp(`^High-risk case ${caseId}: High, .*\\n\\nNotification ${id} \\(case_high\\)`),
      );
      const deliveries = await query(
        'SELECT destination, status, attempts FROM notification_deliveries WHERE notification_id = ? ORDER BY destination',
        [id],
      );
      expect(deliveries).toEqual([
        { destination: 'sns', status: 'sent', attempts: 2 },
        { destination: 'webhook:siem', status: 'sent', attempts: 1 },
      ]);
    } finally {
      await hook.stop();
    }
  });
});
