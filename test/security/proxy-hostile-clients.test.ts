import { afterEach, describe, expect, it } from '@jest/globals';
import { connect, type Socket } from 'node:net';
import { waitFor } from '../cluster/helpers.js';
import {
  simpleConfig,
  startProxy,
  startUpstream,
  type TestProxy,
  type TestUpstream,
} from '../proxy/helpers/harness.js';

/**
 * The data plane's proxy against hostile clients over raw sockets: slow headers (slowloris), slow
 * bodies, idle keep-alive connections, request smuggling shapes, hop-by-hop headers. Timeouts are set
 * small here (the defaults are nginx's 60 s) and the tests wait for the close event, never a sleep.
 */

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

interface Rig {
  proxy: TestProxy;
  upstream: TestUpstream;
  /** Requests the upstream received (counted at the request event, before any body). */
  requests(): number;
  port: number;
}

async function rig(options: Parameters<typeof startProxy>[0]['options'] = {}): Promise<Rig> {
  let requests = 0;
  const upstream = await startUpstream('up');
  upstream.server.prependListener('request', () => requests++);
  cleanups.push(() => upstream.close());
  const proxy = await startProxy({ config: simpleConfig(upstream.port), options });
  cleanups.push(() => proxy.close());
  return { proxy, upstream, requests: () => requests, port: Number(new URL(proxy.url).port) };
}

/** A raw client: what it received, and when the proxy closed it. */
function raw(port: number): Promise<{ sock: Socket; data: () => string; closed: Promise<number> }> {
  return new Promise((resolve, reject) => {
    let data = '';
    const sock = connect({ host: '127.0.0.1', port });
    sock.setEncoding('latin1');
    sock.on('data', (d: string) => (data += d));
    sock.on('error', () => undefined);
    const closed = new Promise<number>((r) => sock.once('close', () => r(Date.now())));
    cleanups.push(() => void sock.destroy());
    sock.once('connect', () => resolve({ sock, data: () => data, closed }));
    sock.once('error', reject);
  });
}

/** Writes `bytes` one at a time every `everyMs` until the socket closes. */
function drip(sock: Socket, bytes: string, everyMs: number): void {
  let i = 0;
  const timer = setInterval(() => {
    if (sock.destroyed || i >= bytes.length) return clearInterval(timer);
    sock.write(bytes[i++]!);
  }, everyMs);
  cleanups.push(() => clearInterval(timer));
}

describe('proxy: slow clients', () => {
  it('closes a slowloris connection (headers one byte at a time) after client_header_timeout with 408', async () => {
    const r = await rig({ clientHeaderTimeoutMs: 1000 });
    const c = await raw(r.port);
    const started = Date.now();
    drip(c.sock, 'GET / HTTP/1.1\r\nHost: example.test\r\nX-Slow: ' + 'a'.repeat(200), 100);
    const closedAt = await c.closed;
    expect(closedAt - started).toBeGreaterThanOrEqual(1000);
    expect(closedAt - started).toBeLessThan(4000);
    expect(c.data()).toMatch(/^HTTP\/1\.1 408 /);
    expect(r.requests()).toBe(0);
  });

  it('closes a connection whose body stalls for client_body_timeout, before anything reaches the upstream', async () => {
    const r = await rig({ clientBodyTimeoutMs: 800 });
    const c = await raw(r.port);
    c.sock.write('POST / HTTP/1.1\r\nHost: example.test\r\nContent-Length: 100\r\n\r\n0123456789');
    const started = Date.now();
    const closedAt = await c.closed;
    expect(closedAt - started).toBeGreaterThanOrEqual(700);
    expect(closedAt - started).toBeLessThan(4000);
    expect(r.requests()).toBe(0);
  });

  it('lets a slow but steady body through (the body timeout is between reads, not in total)', async () => {
    const r = await rig({ clientBodyTimeoutMs: 800 });
    const c = await raw(r.port);
    c.sock.write('POST / HTTP/1.1\r\nHost: example.test\r\nContent-Length: 8\r\nConnection: close\r\n\r\n');
    // 8 bytes, 250 ms apart: 2 s in total, never 800 ms silent.
    drip(c.sock, 'abcdefgh', 250);
    await c.closed;
    expect(c.data()).toMatch(/^HTTP\/1\.1 200 /);
    expect(r.upstream.seen.map((s) => s.body)).toEqual(['abcdefgh']);
  });

  it('closes an idle keep-alive connection after keepalive_timeout', async () => {
    const r = await rig({ keepaliveTimeoutMs: 500 });
    const c = await raw(r.port);
    c.sock.write('GET / HTTP/1.1\r\nHost: example.test\r\n\r\n');
    // Content-Length or chunked: complete once the JSON body (and the last chunk, if any) arrived.
    await waitFor(() => /"upstream":"up".*\}(\r\n0\r\n\r\n)?$/s.test(c.data()), 'the first response');
    const answeredAt = Date.now();
    const closedAt = await c.closed;
    expect(c.data()).toMatch(/^HTTP\/1\.1 200 /);
    expect(closedAt - answeredAt).toBeGreaterThanOrEqual(400);
    expect(closedAt - answeredAt).toBeLessThan(3000);
  });
});

const SMUGGLING: [string, string][] = [
  [
    'Content-Length with Transfer-Encoding',
    'POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 6\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\nGET /smuggled HTTP/1.1\r\nHost: x\r\n\r\n',
  ],
  [
    'two different Content-Length values',
    'POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 4\r\nContent-Length: 40\r\n\r\nabcdGET /smuggled HTTP/1.1\r\nHost: x\r\n\r\n',
  ],
  [
    'Transfer-Encoding: chunked, identity',
    'POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked, identity\r\n\r\n0\r\n\r\n',
  ],
  [
    'a space before the colon of Transfer-Encoding',
    'POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding : chunked\r\n\r\n0\r\n\r\n',
  ],
  [
    'Transfer-Encoding: xchunked',
    'POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: xchunked\r\n\r\n0\r\n\r\n',
  ],
  ['bare LF line endings', 'POST / HTTP/1.1\nHost: x\nContent-Length: 0\n\n'],
  [
    'a chunk size that overflows',
    'POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nFFFFFFFFFFFFFFFFF1\r\nabc\r\n0\r\n\r\n',
  ],
];

describe('proxy: request smuggling', () => {
  it.each(SMUGGLING)('refuses %s with 400, closes, forwards nothing', async (_name, request) => {
    const r = await rig();
    const c = await raw(r.port);
    c.sock.write(request);
    await c.closed;
    expect(c.data()).toMatch(/^HTTP\/1\.1 400 /);
    expect(c.data()).not.toMatch(/HTTP\/1\.1 200/);
    expect(r.requests()).toBe(0);
  });
});

describe('proxy: hop-by-hop headers', () => {
  it('strips hop-by-hop headers, and those named in Connection, in both directions', async () => {
    let requests = 0;
    const upstream = await startUpstream('up', (_req, res) => {
      res.writeHead(200, {
        connection: 'keep-alive, x-resp-hop',
        'x-resp-hop': 'secret',
        'keep-alive': 'timeout=5',
        'proxy-connection': 'keep-alive',
        trailer: 'x-t',
        upgrade: 'h2c',
        'x-resp-end': 'kept',
        'content-type': 'text/plain',
      });
      res.end('ok');
      return true;
    });
    upstream.server.prependListener('request', () => requests++);
    cleanups.push(() => upstream.close());
    const proxy = await startProxy({ config: simpleConfig(upstream.port) });
    cleanups.push(() => proxy.close());
    const c = await raw(Number(new URL(proxy.url).port));
    c.sock.write(
      'GET / HTTP/1.1\r\nHost: x\r\nConnection: close, x-req-hop\r\nX-Req-Hop: secret\r\nKeep-Alive: timeout=5\r\n' +
        'Proxy-Connection: keep-alive\r\nTE: trailers\r\nTrailer: x-t\r\nX-Req-End: kept\r\n\r\n',
    );
    await c.closed;
    expect(requests).toBe(1);
    const seen = upstream.seen[0]!.headers;
    for (const h of ['x-req-hop', 'keep-alive', 'proxy-connection', 'te', 'trailer'])
      expect(seen[h]).toBeUndefined();
    expect(seen['x-req-end']).toBe('kept');
    const head = c.data().split('\r\n\r\n')[0]!.toLowerCase();
    expect(head).toMatch(/^http\/1\.1 200 /);
    for (const h of ['x-resp-hop', 'keep-alive', 'proxy-connection', 'trailer', 'upgrade'])
      expect(head).not.toMatch(new RegExp(`\\r\\n${h}:`));
    expect(head).toMatch(/\r\nx-resp-end: kept/);
  });
});
