/**
 * What `npm start` puts in front of serverless offline, on HTTP_PORT: a gate that hands it at most `maxInFlight`
 * requests at once and answers the overflow with a clear 503 and `Retry-After`, instead of letting a burst pile up
 * until the functions' own timeouts fire. It also corrects serverless offline's answer to a function that failed or
 * timed out: for HTTP API routes (payload 2.0) serverless offline replies 200 with a JSON body holding the error
 * message and its stack trace; the gate replies 504 (timeout) or 502 (any other failure) with a JSON error instead,
 * and the stack trace stays in serverless offline's log. Everything else passes through untouched.
 */
import http from 'node:http';

export interface HttpGateOptions {
  /** Port to listen on, on localhost (0: any free port). */
  port: number;
  /** serverless offline's base URL, e.g. http://localhost:41234. */
  target: string;
  /** Requests handed to serverless offline at once (default 32). */
  maxInFlight?: number;
  /** Requests that may wait for a turn; the next one is answered 503 at once (default 1000). */
  maxQueue?: number;
  /** A request that has waited this long for a turn is answered 503 (default 5000 ms). */
  maxWaitMs?: number;
}

export interface HttpGate {
  url: string;
  /** Requests answered 503 so far because the gate was full or the wait too long. */
  shed(): number;
  stop(): Promise<void>;
}

/** Seconds a shed client is told to wait: a burst the gate cannot take drains in about that time. */
const RETRY_AFTER_SECONDS = 1;
const ERROR_HEADERS = { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store' };
/** Hop-by-hop headers: they describe one connection, not the request, so they are not forwarded. */
const HOP_BY_HOP = ['connection', 'keep-alive', 'proxy-connection', 'transfer-encoding', 'upgrade'];

function replyError(
  res: http.ServerResponse,
  status: number,
  code: string,
  message: string,
  headers: Record<string, string> = {},
): void {
  if (res.headersSent || res.destroyed) return;
  res.writeHead(status, { ...ERROR_HEADERS, ...headers });
  res.end(JSON.stringify({ error: { code, message } }));
}

/** A bounded set of turns with a FIFO queue of bounded length and bounded wait. */
class Turns {
  #busy = 0;
  readonly #waiting: Array<() => void> = [];

  constructor(
    private readonly size: number,
    private readonly maxQueue: number,
  ) {}

  /** Resolves true when it is the caller's turn; false when the queue is full, the wait ran out or `gone` fired. */
  take(maxWaitMs: number, gone: AbortSignal): Promise<boolean> {
    if (gone.aborted) return Promise.resolve(false);
    if (this.#busy < this.size) {
      this.#busy++;
      return Promise.resolve(true);
    }
    if (this.#waiting.length >= this.maxQueue) return Promise.resolve(false);
    return new Promise((resolve) => {
      const leave = () => {
        const at = this.#waiting.indexOf(turn);
        if (at >= 0) this.#waiting.splice(at, 1);
        clearTimeout(timer);
        resolve(false);
      };
      const turn = () => {
        clearTimeout(timer);
        gone.removeEventListener('abort', leave);
        resolve(true);
      };
      const timer = setTimeout(leave, maxWaitMs);
      gone.addEventListener('abort', leave, { once: true });
      this.#waiting.push(turn);
    });
  }

  /** Ends a turn: the longest-waiting request gets it. */
  give(): void {
    const next = this.#waiting.shift();
    if (next) next();
    else this.#busy--;
  }
}

/**
 * serverless offline's body for a failed invocation (`{errorMessage, errorType, stackTrace}`), mapped to what the
 * client should see; undefined for any other body.
 */
function lambdaFailure(body: Buffer): { status: number; code: string; message: string } | undefined {
  let parsed: unknown;
  try {
    parsed = JSON.parse(body.toString('utf8'));
  } catch {
    return undefined;
  }
  const e = parsed as { errorMessage?: unknown; errorType?: unknown; stackTrace?: unknown };
  if (
    typeof e?.errorMessage !== 'string' ||
    typeof e.errorType !== 'string' ||
    !Array.isArray(e.stackTrace)
  ) {
    return undefined;
  }
  if (e.errorType === 'LambdaTimeoutError' || e.errorMessage.includes('[504]')) {
    return {
      status: 504,
      code: 'function_timeout',
      message: 'The function did not answer within its timeout',
    };
  }
  return {
    status: 502,
    code: 'function_error',
    message: 'The function failed; the error is in the server log',
  };
}

function outgoingHeaders(headers: http.IncomingHttpHeaders): http.OutgoingHttpHeaders {
  const out: http.OutgoingHttpHeaders = { ...headers };
  for (const name of HOP_BY_HOP) delete out[name];
  return out;
}

/** The request as serverless offline gets it: uncompressed answers, so a failure dressed as a 200 can be read. */
function forwardedHeaders(headers: http.IncomingHttpHeaders): http.OutgoingHttpHeaders {
  const out = outgoingHeaders(headers);
  delete out['accept-encoding'];
  return out;
}

/** Passes serverless offline's response on; a JSON 200 is read whole first, to catch a failure dressed as a 200. */
function relay(up: http.IncomingMessage, res: http.ServerResponse, done: () => void): void {
  up.once('end', done);
  up.once('error', done);
  // A client that left stops the piping; the rest is read and dropped so the turn still ends.
  res.once('close', () => up.resume());
  const status = up.statusCode ?? 502;
  if (status !== 200 || !/^application\/json/i.test(up.headers['content-type'] ?? '')) {
    res.writeHead(status, outgoingHeaders(up.headers));
    up.pipe(res);
    return;
  }
  const chunks: Buffer[] = [];
  up.on('data', (chunk: Buffer) => chunks.push(chunk));
  up.once('end', () => {
    const body = Buffer.concat(chunks);
    const failure = lambdaFailure(body);
    if (failure) return replyError(res, failure.status, failure.code, failure.message);
    if (res.destroyed) return;
    res.writeHead(status, { ...outgoingHeaders(up.headers), 'content-length': body.length });
    res.end(body);
  });
}

/**
 * Starts the gate in front of serverless offline.
 *
 * @example const gate = await startHttpGate({ port: 3000, target: 'http://localhost:41234' });
 */
export async function startHttpGate(options: HttpGateOptions): Promise<HttpGate> {
  const { target, maxInFlight = 32, maxQueue = 1000, maxWaitMs = 5_000 } = options;
  const upstream = new URL(target);
  const agent = new http.Agent({ keepAlive: true, maxSockets: maxInFlight });
  const turns = new Turns(maxInFlight, maxQueue);
  let shed = 0;

  const server = http.createServer(async (req, res) => {
    const gone = new AbortController();
    res.once('close', () => gone.abort());
    if (!(await turns.take(maxWaitMs, gone.signal))) {
      shed++;
      return replyError(
        res,
        503,
        'overloaded',
        'The local stack is busy with other requests; try again shortly',
        { 'retry-after': String(RETRY_AFTER_SECONDS) },
      );
    }
    // The turn ends when serverless offline has answered, even if the client left: its function runs to the end.
    let ended = false;
    const done = () => {
      if (!ended) {
        ended = true;
        turns.give();
      }
    };
    const forward = http.request(
      {
        host: upstream.hostname,
        port: upstream.port,
        method: req.method,
        path: req.url,
        headers: forwardedHeaders(req.headers),
        agent,
      },
      (up) => relay(up, res, done),
    );
    forward.once('error', () => {
      done();
      replyError(res, 502, 'offline_unreachable', 'serverless offline did not answer');
    });
    req.pipe(forward);
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, 'localhost', () => {
      server.off('error', reject);
      resolve();
    });
  });
  const { port } = server.address() as { port: number };
  return {
    url: `http://localhost:${port}`,
    shed: () => shed,
    stop: () =>
      new Promise((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
        agent.destroy();
      }),
  };
}

/**
 * The HTTP routes serverless offline printed (`GET | http://localhost:3000/alerts/{id}`), path parameters as 0;
 * not the Lambda invoke URLs it lists beside them (`POST | …/2015-03-31/functions/<name>/invocations`).
 */
export function offlineRoutes(output: string): Array<{ method: string; path: string }> {
  const routes = new Map<string, { method: string; path: string }>();
  for (const [, method, path] of output.matchAll(
    /\b(GET|POST|PUT|PATCH|DELETE)\s+\|\s+https?:\/\/[^/\s]+(\/\S*)/g,
  )) {
    if (path?.startsWith('/2015-03-31/functions/')) continue;
    const route = { method: method as string, path: (path as string).replace(/\{[^}]+\}/g, '0') };
    routes.set(`${route.method} ${route.path}`, route);
  }
  return [...routes.values()];
}

/**
 * Calls every route once without an API key, so each function's module is loaded before the first real request:
 * the routes that need a key answer 401 before they read a body or the database, the public ones do their usual
 * work (GET /health probes the database and the bucket). Returns the routes that did not answer, with the reason.
 */
export async function warmUp(
  url: string,
  routes: Array<{ method: string; path: string }>,
): Promise<Array<{ route: string; problem: string }>> {
  const problems: Array<{ route: string; problem: string }> = [];
  for (const { method, path } of routes) {
    try {
      const response = await fetch(`${url}${path}`, { method, signal: AbortSignal.timeout(30_000) });
      await response.arrayBuffer();
      if (response.status >= 500 && path !== '/health') {
        problems.push({ route: `${method} ${path}`, problem: `answered ${response.status}` });
      }
    } catch (error) {
      problems.push({ route: `${method} ${path}`, problem: (error as Error).message });
    }
  }
  return problems;
}
