/**
 * A real HTTP webhook receiver for the notification tests and the bench: it checks each request's signature
 * (X-FM-Signature over timestamp and raw body) and that its Idempotency-Key is the body's id, fails every `failEvery`th
 * request with a 500 when asked, and keeps the ids it accepted — as a receiver that dedupes by id does.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { SIGNATURE_HEADER, verifySignature } from '../../lib/notify/signature.js';

export interface Receiver {
  url: string;
  /** Times each id was accepted (answered 2xx for the first time: 1; a later repeat counts in `duplicates`). */
  accepted: Map<number, number>;
  /** Requests that carried an id already accepted (answered 200, not kept again). */
  duplicates: number;
  /** Requests answered 500 on purpose. */
  failed: number;
  /** Requests refused for a bad or missing signature, or an Idempotency-Key that is not the body's id. */
  refused: number;
  requests: number;
  stop(): Promise<void>;
}

export async function startReceiver(options: { secret: string; failEvery?: number }): Promise<Receiver> {
  const { secret, failEvery = 0 } = options;
  const receiver = {
    accepted: new Map<number, number>(),
    duplicates: 0,
    failed: 0,
    refused: 0,
    requests: 0,
  };
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      receiver.requests++;
      const body = Buffer.concat(chunks).toString('utf8');
      const signature = req.headers[SIGNATURE_HEADER] as string | undefined;
      let id: number | undefined;
      try {
        id = Number((JSON.parse(body) as { id: unknown }).id);
      } catch {
        id = undefined;
      }
      if (!verifySignature(signature, body, secret) || !id || req.headers['idempotency-key'] !== String(id)) {
        receiver.refused++;
        res.writeHead(401).end();
        return;
      }
      if (failEvery > 0 && receiver.requests % failEvery === 0) {
        receiver.failed++;
        res.writeHead(500).end();
        return;
      }
      if (receiver.accepted.has(id)) receiver.duplicates++;
      else receiver.accepted.set(id, 1);
      res.writeHead(200, { 'content-type': 'application/json' }).end('{"ok":true}');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return Object.assign(receiver, {
    url: `http://127.0.0.1:${port}/hook`,
    stop: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  });
}
