import { createServer, request, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/** A response read to the end. */
export interface HttpResult {
  status: number;
  headers: IncomingHttpHeaders;
  body: string;
}

/**
 * One HTTP/1.1 request to 127.0.0.1:`port` without a pooled agent: no keep-alive socket outlives the
 * call, so a test never holds a connection to a node it is about to kill or stop.
 */
export function httpRequest(
  port: number,
  method: string,
  path: string,
  opts: { headers?: Record<string, string>; body?: unknown; form?: string; timeoutMs?: number } = {},
): Promise<HttpResult> {
  // `body` goes as JSON, `form` as an urlencoded string (what `curl -d` sends).
  const json = opts.body === undefined ? undefined : JSON.stringify(opts.body);
  const payload = opts.form ?? json;
  const headers: Record<string, string | number> = { ...opts.headers };
  if (payload !== undefined) {
    headers['content-type'] =
      opts.form !== undefined ? 'application/x-www-form-urlencoded' : 'application/json';
    headers['content-length'] = Buffer.byteLength(payload);
  }
  return new Promise((resolve, reject) => {
    const req = request(
      { host: '127.0.0.1', port, method, path, headers, agent: false, timeout: opts.timeoutMs ?? 10_000 },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('error', reject);
        res.on('end', () =>
          resolve({
            status: res.statusCode ?? 0,
            headers: res.headers,
            body: Buffer.concat(chunks).toString(),
          }),
        );
      },
    );
    req.on('timeout', () => req.destroy(new Error(`${method} ${path} on port ${port} timed out`)));
    req.on('error', reject);
    req.end(payload);
  });
}

/** An Admin API call that must succeed (2xx); returns the parsed JSON body (null for 204). */
export async function adminCall<T = Record<string, unknown>>(
  port: number,
  method: string,
  path: string,
  body?: unknown,
): Promise<T> {
  const res = await httpRequest(port, method, path, { body, timeoutMs: 30_000 });
  if (res.status < 200 || res.status > 299) {
    throw new Error(`${method} ${path} answered ${res.status}: ${res.body.slice(0, 500)}`);
  }
  return (res.body ? JSON.parse(res.body) : null) as T;
}

/**
 * Polls `fn` every `intervalMs` until it returns a truthy value, then returns it. Errors thrown by
 * `fn` count as "not yet" (a listener not up, a connection refused); the last one is reported on
 * timeout together with `what`.
 */
export async function pollUntil<T>(
  fn: () => Promise<T> | T,
  what: string,
  opts: { timeoutMs?: number; intervalMs?: number } = {},
): Promise<NonNullable<T>> {
  const deadline = Date.now() + (opts.timeoutMs ?? 15_000);
  for (;;) {
    let last: unknown;
    try {
      const v = await fn();
      if (v) return v as NonNullable<T>;
      last = v;
    } catch (err) {
      last = err;
    }
    if (Date.now() > deadline) {
      const detail = last instanceof Error ? last.message : JSON.stringify(last);
      throw new Error(`timed out waiting for ${what} (last: ${detail})`);
    }
    await new Promise((r) => setTimeout(r, opts.intervalMs ?? 50));
  }
}

/** A real upstream on loopback that answers every request with JSON naming itself and the path. */
export interface Upstream {
  readonly name: string;
  readonly port: number;
  /** `http://127.0.0.1:<port>`, for a service's url. */
  readonly url: string;
  /** Requests served so far. */
  readonly hits: () => number;
  close(): Promise<void>;
}

/** Starts an upstream on 127.0.0.1:0. */
export async function startUpstream(name: string): Promise<Upstream> {
  let hits = 0;
  const server: Server = createServer((req, res) => {
    hits++;
    req.resume();
    const body = JSON.stringify({ upstream: name, method: req.method, url: req.url });
    res.writeHead(200, { 'content-type': 'application/json' }).end(body);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  return {
    name,
    port,
    url: `http://127.0.0.1:${port}`,
    hits: () => hits,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
