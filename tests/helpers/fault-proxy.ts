/**
 * A TCP proxy the fault tests put in front of the real database or S3-compatible server, to make it fail the way
 * networks do: `refuse` (nothing listens: connections are refused), `blackhole` (connections are accepted and never
 * answered), `freeze` (open connections stop moving bytes mid-conversation, new ones are black-holed), `kill` (every
 * open connection is reset, new ones pass), and `pass` (back to normal: frozen bytes flow again). `refuse` resets the
 * open connections too, as a stopped server does.
 *
 * @example const proxy = await startFaultProxy(3306); proxy.set('blackhole'); … proxy.set('pass'); await proxy.close();
 */
import net from 'node:net';

export type Fault = 'pass' | 'refuse' | 'blackhole' | 'freeze' | 'kill';

export interface FaultProxy {
  /** The port it listens on (127.0.0.1). */
  port: number;
  readonly fault: Fault;
  set(fault: Fault): Promise<void>;
  close(): Promise<void>;
}

interface Pair {
  client: net.Socket;
  upstream: net.Socket | undefined;
}

export async function startFaultProxy(targetPort: number, targetHost = '127.0.0.1'): Promise<FaultProxy> {
  const pairs = new Set<Pair>();
  let fault: Fault = 'pass';
  let server = net.createServer(accept);
  let port = 0;

  function connectUpstream(pair: Pair): void {
    const upstream = net.connect(targetPort, targetHost);
    pair.upstream = upstream;
    pair.client.pipe(upstream);
    upstream.pipe(pair.client);
    upstream.on('error', () => pair.client.destroy());
    upstream.on('close', () => pair.client.destroy());
  }

  function accept(client: net.Socket): void {
    const pair: Pair = { client, upstream: undefined };
    pairs.add(pair);
    client.on('error', () => pair.upstream?.destroy());
    client.on('close', () => {
      pair.upstream?.destroy();
      pairs.delete(pair);
    });
    // Black-holed or frozen: accepted, never answered (the client's bytes are read and dropped until it gives up).
    if (fault === 'blackhole' || fault === 'freeze') client.resume();
    else connectUpstream(pair);
  }

  async function listen(at: number): Promise<void> {
    server = net.createServer(accept);
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(at, '127.0.0.1', () => resolve());
    });
    port = (server.address() as net.AddressInfo).port;
  }

  await listen(0);

  return {
    get port() {
      return port;
    },
    get fault() {
      return fault;
    },
    async set(next: Fault) {
      const was = fault;
      fault = next;
      if (next === 'refuse' || next === 'kill') {
        for (const pair of pairs) {
          pair.client.resetAndDestroy();
          pair.upstream?.destroy();
        }
      }
      // (server.close waits for open connections: the refused ones are reset first.)
      if (next === 'refuse' && server.listening) await new Promise<void>((r) => server.close(() => r()));
      if (next !== 'refuse' && !server.listening) await listen(port);
      for (const pair of pairs) {
        const { client, upstream } = pair;
        if (!upstream) continue;
        if (next === 'freeze') {
          client.unpipe(upstream);
          upstream.unpipe(client);
          client.pause();
          upstream.pause();
        } else if (was === 'freeze') {
          client.pipe(upstream);
          upstream.pipe(client);
        }
      }
    },
    async close() {
      for (const pair of pairs) {
        pair.client.destroy();
        pair.upstream?.destroy();
      }
      if (server.listening) await new Promise<void>((r) => server.close(() => r()));
    },
  };
}
