/**
 * Where notifications go: the SNS topic (NOTIFY_TOPIC_ARN; its e-mail and HTTPS subscribers are set up in
 * serverless.yml) and each configured webhook (NOTIFY_WEBHOOKS). Every message carries its notification id; a
 * webhook gets it as the Idempotency-Key header too, a JSON body, and a signature over timestamp and body
 * (./signature.ts) with the webhook's secret — from Secrets Manager (secret_id) or NOTIFY_WEBHOOK_SECRET, never
 * logged. A failure is a DeliveryError whose message names what happened (a status, a timeout), never a URL or a
 * secret: it is stored and shown by GET /notifications.
 */
import { PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import { type Config, ConfigError, getConfig, type Webhook } from '../config.js';
import { readSecretString } from '../secrets.js';
import type { NotificationKind } from './outbox.js';
import { signBody } from './signature.js';

/** A notification as it goes out. */
export interface OutgoingNotification {
  id: number;
  kind: NotificationKind;
  created_at: string;
  summary: string;
  case: Record<string, unknown>;
}

export interface Destination {
  /** `sns` or `webhook:<name>`: the key of its outcome in notification_deliveries. */
  name: string;
  deliver(message: OutgoingNotification): Promise<void>;
}

/** A delivery that did not succeed; its message is safe to store and show. */
export class DeliveryError extends Error {
  override name = 'DeliveryError';
}

/** Says why a fetch or SDK call failed without echoing URLs or bodies. */
function failure(error: unknown, timeoutMs: number): DeliveryError {
  const e = error as { name?: string; code?: string; cause?: { code?: string } };
  if (e.name === 'TimeoutError' || e.name === 'AbortError')
    return new DeliveryError(`no answer within ${timeoutMs} ms`);
  const code = e.cause?.code ?? e.code;
  return new DeliveryError(code ? `connection failed (${code})` : `failed (${e.name ?? 'error'})`);
}

/** One client per endpoint (AWS, or a local SNS), kept for the container's life. */
const snsClients = new Map<string, SNSClient>();

/** The notification as an e-mail subscriber of the topic reads it. */
export function emailText(message: OutgoingNotification): string {
  return [
    message.summary,
    '',
    `Notification ${message.id} (${message.kind}) at ${message.created_at}.`,
    `Open the case: GET /cases/${message.case.case_id} (or the dashboard's case page).`,
    'Sent by Financial Monitor; the notification id identifies this message if it arrives twice.',
  ].join('\n');
}

/** Publishes to the topic; the id is the message's `notification_id` attribute and part of its JSON. */
function snsDestination(topicArn: string, cfg: Config): Destination {
  const key = cfg.SNS_ENDPOINT ?? 'aws';
  const client =
    snsClients.get(key) ??
    new SNSClient({
      region: cfg.AWS_REGION,
      ...(cfg.SNS_ENDPOINT ? { endpoint: cfg.SNS_ENDPOINT } : {}),
      maxAttempts: 1, // the outbox retries, with backoff
      requestHandler: { requestTimeout: cfg.NOTIFY_TIMEOUT_MS, connectionTimeout: cfg.NOTIFY_TIMEOUT_MS },
    });
  snsClients.set(key, client);
  return {
    name: 'sns',
    async deliver(message) {
      try {
        await client.send(
          new PublishCommand({
            TopicArn: topicArn,
            Subject: `[Financial Monitor] ${message.summary}`.slice(0, 100),
            // E-mail subscribers get a few lines of text; HTTPS (and email-json) subscribers the JSON.
            MessageStructure: 'json',
            Message: JSON.stringify({ default: JSON.stringify(message), email: emailText(message) }),
            MessageAttributes: {
              notification_id: { DataType: 'String', StringValue: String(message.id) },
              kind: { DataType: 'String', StringValue: message.kind },
            },
          }),
        );
      } catch (error) {
        throw failure(error, cfg.NOTIFY_TIMEOUT_MS);
      }
    },
  };
}

/** POSTs the JSON body, signed, with the notification id as Idempotency-Key; any 2xx is delivered. */
function webhookDestination(webhook: Webhook, secret: string, timeoutMs: number): Destination {
  return {
    name: `webhook:${webhook.name}`,
    async deliver(message) {
      const body = JSON.stringify(message);
      let response: Response;
      try {
        response = await fetch(webhook.url, {
          method: 'POST',
          headers: {
            'content-type': 'application/json',
            'idempotency-key': String(message.id),
            'x-fm-notification-id': String(message.id),
            'x-fm-signature': signBody(body, secret, Math.floor(Date.now() / 1000)),
            'user-agent': 'financial-monitor-notifications',
          },
          body,
          redirect: 'manual',
          signal: AbortSignal.timeout(timeoutMs),
        });
        await response.arrayBuffer(); // drain, so the connection is reused
      } catch (error) {
        throw failure(error, timeoutMs);
      }
      if (response.status < 200 || response.status > 299)
        throw new DeliveryError(`answered HTTP ${response.status}`);
    },
  };
}

/** The webhook's signing secret: its Secrets Manager secret, else NOTIFY_WEBHOOK_SECRET. */
async function webhookSecret(webhook: Webhook, cfg: Config): Promise<string> {
  if (webhook.secret_id) return readSecretString(webhook.secret_id, `the secret of webhook ${webhook.name}`);
  if (cfg.NOTIFY_WEBHOOK_SECRET) return cfg.NOTIFY_WEBHOOK_SECRET;
  throw new ConfigError([
    `NOTIFY_WEBHOOKS: webhook ${webhook.name} has no secret_id and NOTIFY_WEBHOOK_SECRET is unset`,
  ]);
}

/** The configured destinations (secrets read now; Secrets Manager values are cached for SECRETS_MAX_AGE_SECONDS). */
export async function configuredDestinations(cfg: Config = getConfig()): Promise<Destination[]> {
  const destinations: Destination[] = [];
  if (cfg.NOTIFY_TOPIC_ARN) destinations.push(snsDestination(cfg.NOTIFY_TOPIC_ARN, cfg));
  for (const webhook of cfg.NOTIFY_WEBHOOKS) {
    destinations.push(webhookDestination(webhook, await webhookSecret(webhook, cfg), cfg.NOTIFY_TIMEOUT_MS));
  }
  return destinations;
}
