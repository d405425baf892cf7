import { afterEach, describe, expect, it } from '@jest/globals';
import http from 'node:http';
import net from 'node:net';
import type { AddressInfo } from 'node:net';
import { startProxy, startUpstream, simpleConfig, type TestProxy } from './helpers/harness.js';

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  while (cleanups.length > 0) await cleanups.pop()!();
});

/** A request with the path sent exactly as given (URL parsers would resolve dots and slashes). */
function rawRequest(
  port: number,
  path: string,
  opts: { method?: string; body?: (req: http.ClientRequest) => void } = {},
): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = http.request(
      { host: '127.0.0.1', port, path, method: opts.method ?? 'GET', agent: false },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString() }));
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    if (opts.body !== undefined) opts.body(req);
    else req.end();
  });
}

const portOf = (p: TestProxy): number => Number(new URL(p.url).port);

describe('request path normalisation before routing (Kong 3.x)', () => {
  it('routes escaped, doubled-slash and dot-segment forms of a path as the path itself', async () => {
    const admin = await startUpstream('admin');
    const pub = await startUpstream('public');
    cleanups.push(
      () => admin.close(),
      () => pub.close(),
    );
    const config = simpleConfig(admin.port, { paths: ['/admin'] });
    config.services!.push({ id: 's2', name: 'pub', host: '127.0.0.1', port: pub.port, protocol: 'http' });
    config.routes!.push({
      id: 'r2',
      name: 'pub',
      paths: ['/public'],
      strip_path: false,
      service: { id: 's2' },
    });
    const p = await startProxy({ config });
    cleanups.push(() => p.close());
    for (const path of [
      '/%61dmin/x',
      '//admin/x',
      '/public/../admin/x',
      '/public/%2e%2E/admin/x',
      '/admin/./x',
    ]) {
      const r = await rawRequest(portOf(p), path);
      expect({
        path,
        status: r.status,
        upstream: (JSON.parse(r.body) as { upstream: string }).upstream,
      }).toEqual({
        path,
        status: 200,
        upstream: 'admin',
      });
    }
    // The upstream receives the normalised path (what was routed), the query untouched.
    expect(admin.seen.map((s) => s.url)).toEqual([
      '/admin/x',
      '/admin/x',
      '/admin/x',
      '/admin/x',
      '/admin/x',
    ]);
    const q = await rawRequest(portOf(p), '/public/x%2fy?a=%2e');
    expect(q.status).toBe(200);
    expect(pub.seen.at(-1)!.url).toBe('/public/x%2Fy?a=%2e');
  });

  it('answers 400 to a malformed percent-escape', async () => {
    const up = await startUpstream();
    cleanups.push(() => up.close());
    const p = await startProxy({ config: simpleConfig(up.port) });
    cleanups.push(() => p.close());
    const r = await rawRequest(portOf(p), '/a%zz');
    expect(r.status).toBe(400);
    expect(JSON.parse(r.body)).toEqual({ message: 'Bad request' });
    expect(up.seen).toHaveLength(0);
  });
});

describe('write_timeout on streamed request bodies', () => {
  /** Streams `total` bytes (chunked) until the response arrives; resolves with it. */
  function streamBody(port: number, total: number, pauseAfter?: { bytes: number; ms: number }) {
    return rawRequest(port, '/upload', {
      method: 'POST',
      body: (req) => {
        const chunk = Buffer.alloc(64 * 1024, 0x61);
        let sent = 0;
        let paused = false;
        let done = false;
        req.on('response', () => (done = true));
        const pump = (): void => {
          while (!done && sent < total) {
            if (pauseAfter !== undefined && !paused && sent >= pauseAfter.bytes) {
              paused = true;
              // A slow client, not a stalled upstream: the gap must not count as a write timeout.
              setTimeout(pump, pauseAfter.ms);
              return;
            }
            sent += chunk.length;
            if (!req.write(chunk)) return void req.once('drain', pump);
          }
          if (!done) req.end();
        };
        pump();
      },
    });
  }

  it('gives 504 when the upstream stops taking the body for write_timeout ms', async () => {
    const sockets = new Set<net.Socket>();
    // Accepts and never reads: its receive window fills, then ours, then the timer runs.
    const stalled = net.createServer((s) => {
      sockets.add(s);
      s.on('error', () => undefined);
      s.pause();
    });
    await new Promise<void>((r) => stalled.listen(0, '127.0.0.1', r));
    cleanups.push(
      () =>
        new Promise<void>((r) => {
          for (const s of sockets) s.destroy();
          stalled.close(() => r());
        }),
    );
    const port = (stalled.address() as AddressInfo).port;
    const p = await startProxy({
      config: simpleConfig(port, {}, { write_timeout: 300, read_timeout: 30_000, retries: 0 }),
    });
    cleanups.push(() => p.close());
    const started = Date.now();
    const r = await streamBody(portOf(p), 512 * 1024 * 1024);
    expect(r.status).toBe(504);
    expect(JSON.parse(r.body)).toEqual({ message: 'The upstream server is timed out' });
    // After write_timeout and well before read_timeout: the write side decided.
    const elapsed = Date.now() - started;
    expect(elapsed).toBeGreaterThanOrEqual(300);
    expect(elapsed).toBeLessThan(20_000);
  }, 30_000);

  it('does not count a slow client against write_timeout', async () => {
    const up = await startUpstream();
    cleanups.push(() => up.close());
    const p = await startProxy({ config: simpleConfig(up.port, {}, { write_timeout: 150 }) });
    cleanups.push(() => p.close());
    const total = 4 * 64 * 1024;
    const r = await streamBody(portOf(p), total, { bytes: 2 * 64 * 1024, ms: 400 });
    expect(r.status).toBe(200);
    expect(up.seen.at(-1)!.body.length).toBe(total);
  });
});
