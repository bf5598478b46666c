/**
 * `npm start`'s window on the local SNS topic: serverless-offline-sns accepts the publisher's messages but shows
 * none, so this small HTTP endpoint subscribes to the topic and prints each notification it is sent, one line each,
 * in the `npm start` console (the e-mails of SES have their own page).
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { SNSClient, SubscribeCommand } from '@aws-sdk/client-sns';

export interface SnsSink {
  url: string;
  stop(): Promise<void>;
}

/** A line for one SNS delivery (the envelope serverless-offline-sns posts), or why it could not be read. */
function describe(envelope: string): string {
  try {
    const sns = JSON.parse(envelope) as { Message?: string };
    // The local SNS passes the whole per-protocol structure on; AWS would send an HTTP subscriber `default` only.
    const structure = JSON.parse(sns.Message ?? '') as { default?: string };
    const message = JSON.parse(structure.default ?? '') as { id?: number; summary?: string };
    return `notification ${message.id}: ${message.summary}`;
  } catch {
    return `a message that is not a notification (${envelope.length} bytes)`;
  }
}

/** Starts the sink on a free port and subscribes it to `topicArn` on the local SNS at `endpoint`. */
export async function startSnsSink(options: {
  endpoint: string;
  topicArn: string;
  region: string;
  credentials: { accessKeyId: string; secretAccessKey: string };
  say: (line: string) => void;
}): Promise<SnsSink> {
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      options.say(`SNS → ${describe(Buffer.concat(chunks).toString('utf8'))}`);
      res.writeHead(200).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/sns`;
  const sns = new SNSClient({
    region: options.region,
    endpoint: options.endpoint,
    credentials: options.credentials,
  });
  await sns.send(new SubscribeCommand({ TopicArn: options.topicArn, Protocol: 'http', Endpoint: url }));
  sns.destroy();
  return {
    url,
    stop: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
