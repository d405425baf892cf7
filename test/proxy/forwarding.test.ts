import http from 'node:http';
import { afterEach, describe, expect, it } from '@jest/globals';
import {
  startProxy,
  startUpstream,
  simpleConfig,
  type TestProxy,
  type TestUpstream,
} from './helpers/harness.js';

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  while (cleanups.length > 0) await cleanups.pop()!();
});

async function upstream(name?: string, handler?: Parameters<typeof startUpstream>[1]): Promise<TestUpstream> {
  const u = await startUpstream(name, handler);
  cleanups.push(() => u.close());
  return u;
}

async function proxy(opts: Parameters<typeof startProxy>[0]): Promise<TestProxy> {
  const p = await startProxy(opts);
  cleanups.push(() => p.close());
  return p;
}

describe('proxy forwarding', () => {
  it('answers 404 in Kong form while no config is applied', async () => {
    const p = await proxy({});
    const r = await p.fetch('/anything');
    expect(r.status).toBe(404);
    expect(r.json()).toEqual({ message: 'no Route matched with those values' });
    expect(r.headers['content-type']).toMatch(/application\/json/);
    expect(r.headers.server).toMatch(/^hybridgate\//);
  });

  it('forwards method, path, query, body and Kong forwarding headers', async () => {
    const u = await upstream();
    const p = await proxy({
      config: simpleConfig(u.port, { paths: ['/api'], strip_path: true }, { path: '/base' }),
    });
    const r = await p.fetch('/api/items?x=1', {
      method: 'POST',
      headers: { 'content-type': 'text/plain', 'x-forwarded-for': '10.0.0.9' },
      body: 'hello',
    });
    expect(r.status).toBe(200);
    const seen = u.seen[0]!;
    expect(seen.method).toBe('POST');
    expect(seen.url).toBe('/base/items?x=1');
    expect(seen.body).toBe('hello');
    expect(seen.headers.host).toBe(`127.0.0.1:${u.port}`);
    expect(seen.headers['x-forwarded-for']).toBe('10.0.0.9, 127.0.0.1');
    expect(seen.headers['x-forwarded-proto']).toBe('http');
    expect(seen.headers['x-forwarded-host']).toBe('127.0.0.1');
    expect(seen.headers['x-forwarded-port']).toBe(new URL(p.url).port);
    expect(seen.headers['x-forwarded-path']).toBe('/api/items');
    expect(seen.headers['x-forwarded-prefix']).toBe('/api');
    expect(seen.headers['x-real-ip']).toBe('127.0.0.1');
    expect(seen.headers.via).toMatch(/^1\.1 hybridgate\//);
    expect(r.headers.via).toMatch(/^1\.1 hybridgate\//);
    expect(Number(r.headers['x-hybridgate-upstream-latency'])).toBeGreaterThanOrEqual(0);
    expect(Number(r.headers['x-hybridgate-proxy-latency'])).toBeGreaterThanOrEqual(0);
  });

  it('drops hop-by-hop headers, including those named in Connection', async () => {
    const u = await upstream();
    const p = await proxy({ config: simpleConfig(u.port) });
    const { port } = new URL(p.url);
    const status = await new Promise<number>((resolve, reject) => {
      const rq = http.request(
        {
          host: '127.0.0.1',
          port,
          path: '/',
          headers: { connection: 'keep-alive, x-drop', 'x-drop': '1', te: 'trailers', 'x-keep': '2' },
        },
        (res) => {
          res.resume();
          res.on('end', () => resolve(res.statusCode ?? 0));
        },
      );
      rq.on('error', reject);
      rq.end();
    });
    expect(status).toBe(200);
    expect(u.seen[0]!.headers['x-drop']).toBeUndefined();
    expect(u.seen[0]!.headers.te).toBeUndefined();
    expect(u.seen[0]!.headers['x-keep']).toBe('2');
  });

  it('trusts incoming X-Forwarded-* and the real IP header only from trusted_ips', async () => {
    const u = await upstream();
    const headers = {
      'x-forwarded-proto': 'https',
      'x-forwarded-host': 'public.test',
      'x-real-ip': '203.0.113.7',
    };
    const untrusted = await proxy({ config: simpleConfig(u.port) });
    await untrusted.fetch('/', { headers });
    expect(u.seen[0]!.headers['x-forwarded-proto']).toBe('http');
    expect(u.seen[0]!.headers['x-real-ip']).toBe('127.0.0.1');
    const trusted = await proxy({ config: simpleConfig(u.port), options: { trustedIps: ['127.0.0.0/8'] } });
    await trusted.fetch('/', { headers });
    expect(u.seen[1]!.headers['x-forwarded-proto']).toBe('https');
    expect(u.seen[1]!.headers['x-forwarded-host']).toBe('public.test');
    expect(u.seen[1]!.headers['x-real-ip']).toBe('203.0.113.7');
  });

  it('sends the client Host with preserve_host and omits tokens when headers conf is off', async () => {
    const u = await upstream();
    const p = await proxy({
      config: simpleConfig(u.port, { preserve_host: true }),
      options: { serverTokens: false, latencyTokens: false },
    });
    const r = await p.fetch('/', { headers: { host: 'client.example:8080' } });
    expect(u.seen[0]!.headers.host).toBe('client.example:8080');
    expect(u.seen[0]!.headers.via).toBeUndefined();
    expect(r.headers.via).toBeUndefined();
    expect(r.headers['x-hybridgate-upstream-latency']).toBeUndefined();
  });

  it('streams a large chunked response and a large request body', async () => {
    const big = Buffer.alloc(3 << 20, 97);
    const u = await upstream('big', (req, res, body) => {
      if (req.url === '/download') {
        res.writeHead(200);
        for (let i = 0; i < 48; i++) res.write(big.subarray(0, 65536));
        res.end();
        return true;
      }
      res.end(String(body.length));
      return true;
    });
    const p = await proxy({ config: simpleConfig(u.port) });
    const down = await p.fetch('/download');
    expect(down.text.length).toBe(48 * 65536);
    const up = await p.fetch('/upload', { method: 'PUT', body: big });
    expect(up.text).toBe(String(big.length));
  });

  it('answers 413, 414 and 431 for oversized input', async () => {
    const u = await upstream();
    const p = await proxy({ config: simpleConfig(u.port), options: { maxBodySize: 1000 } });
    expect((await p.fetch('/', { method: 'POST', body: Buffer.alloc(2000) })).status).toBe(413);
    const longUri = await p.fetch('/' + 'a'.repeat(9000));
    expect(longUri.status).toBe(414);
    expect(longUri.json()).toEqual({ message: 'Request-URI Too Long' });
    const hugeHeader = await p.fetch('/', { headers: { 'x-big': 'b'.repeat(20000) } }).catch((e: Error) => e);
    expect(hugeHeader instanceof Error ? 'error' : hugeHeader.status).toBe(431);
    expect(u.seen).toHaveLength(0);
  });

  it('redirects or refuses plain http on https-only routes', async () => {
    const u = await upstream();
    const p = await proxy({ config: simpleConfig(u.port, { protocols: ['https'] }) });
    const r = await p.fetch('/x');
    expect(r.status).toBe(426);
    expect(r.json()).toEqual({ message: 'Please use HTTPS protocol' });
    await p.engine.apply(simpleConfig(u.port, { protocols: ['https'], https_redirect_status_code: 301 }));
    const moved = await p.fetch('/x?q=1', { headers: { host: 'site.test:8000' } });
    expect(moved.status).toBe(301);
    expect(moved.headers.location).toBe('https://site.test/x?q=1');
  });
});
