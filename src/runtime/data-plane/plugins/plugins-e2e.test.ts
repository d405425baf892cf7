/**
 * The bundled plugins through the real data plane (startDataPlane): a real proxy listener, a real
 * upstream on loopback, config applied through the engine as the CP or declarative loader would.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { request } from 'undici';
import { startTestDataPlane, type TestDataPlane } from './test-data-plane.js';

interface Seen {
  method: string;
  url: string;
  headers: http.IncomingHttpHeaders;
  body: string;
}

let upstream: http.Server;
let upstreamPort = 0;
const seen: Seen[] = [];
let dp: TestDataPlane;
let proxy = '';

beforeAll(async () => {
  upstream = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      seen.push({
        method: req.method ?? '',
        url: req.url ?? '',
        headers: req.headers,
        body: Buffer.concat(chunks).toString(),
      });
      res.writeHead(200, { 'content-type': 'application/json', 'x-upstream': 'yes' });
      res.end(JSON.stringify({ hello: 'world', secret: 's' }));
    });
  });
  await new Promise<void>((r) => upstream.listen(0, '127.0.0.1', r));
  upstreamPort = (upstream.address() as AddressInfo).port;
  dp = await startTestDataPlane(['bundled']);
  proxy = dp.proxyUrl;
  const applied = await dp.dp.engine.apply({
    services: [{ id: 's1', name: 'svc', host: '127.0.0.1', port: upstreamPort, protocol: 'http' }],
    routes: [
      { id: 'r-auth', name: 'auth', paths: ['/auth'], service: { id: 's1' } },
      { id: 'r-open', name: 'open', paths: ['/open'], service: { id: 's1' } },
      { id: 'r-items', name: 'items', paths: ['~/items/(?<item>[a-z0-9]+)$'], service: { id: 's1' } },
    ],
    consumers: [{ id: 'c1', username: 'alice' }],
    keyauth_credentials: [{ id: 'k1', key: 'alice-key', consumer: { id: 'c1' } }],
    plugins: [
      { id: 'p-ka', name: 'key-auth', route: { id: 'r-auth' }, config: { hide_credentials: true } },
      {
        id: 'p-rl',
        name: 'rate-limiting',
        route: { id: 'r-auth' },
        config: { minute: 2, limit_by: 'consumer' },
      },
      {
        id: 'p-cors',
        name: 'cors',
        route: { id: 'r-open' },
        config: { origins: ['https://app.test'], max_age: 60 },
      },
      {
        id: 'p-rt',
        name: 'request-transformer',
        route: { id: 'r-open' },
        config: { add: { headers: ['x-added:1'] } },
      },
      {
        id: 'p-rst',
        name: 'response-transformer',
        route: { id: 'r-open' },
        config: { remove: { json: ['secret'] } },
      },
      { id: 'p-cid', name: 'correlation-id', config: { echo_downstream: true } },
      {
        id: 'p-items',
        name: 'request-transformer',
        route: { id: 'r-items' },
        config: { http_method: 'PUT', add: { headers: ['x-item:$(uri_captures.item)'] } },
      },
      {
        id: 'p-prom',
        name: 'prometheus',
        route: { id: 'r-items' },
        config: { bandwidth_metrics: true, status_code_metrics: true },
      },
    ],
  });
  expect(applied.applied).toBe(true);
});

afterAll(async () => {
  await dp?.close();
  upstream.closeAllConnections();
  await new Promise<void>((r) => upstream.close(() => r()));
});

async function call(path: string, opts: { method?: string; headers?: Record<string, string> } = {}) {
  const r = await request(`${proxy}${path}`, {
    method: (opts.method ?? 'GET') as 'GET',
    headers: opts.headers ?? {},
  });
  return { status: r.statusCode, headers: r.headers, text: await r.body.text() };
}

describe('bundled plugins through the proxy', () => {
  it('key-auth rejects, then authenticates and identifies the consumer upstream; rate-limiting counts', async () => {
    const none = await call('/auth/x');
    expect(none.status).toBe(401);
    expect(JSON.parse(none.text)).toEqual({ message: 'No API key found in request' });
    expect(none.headers['www-authenticate']).toBe('Key realm="kong"');

    const before = seen.length;
    const ok = await call('/auth/x', { headers: { apikey: 'alice-key' } });
    expect(ok.status).toBe(200);
    const up = seen[before]!;
    expect(up.headers['x-consumer-username']).toBe('alice');
    expect(up.headers['x-consumer-id']).toBe('c1');
    expect(up.headers.apikey).toBeUndefined();
    expect(ok.headers['x-ratelimit-limit-minute']).toBe('2');
    expect(ok.headers['x-ratelimit-remaining-minute']).toBe('1');
    expect(ok.headers['kong-request-id']).toBeDefined();

    expect((await call('/auth/x', { headers: { apikey: 'alice-key' } })).status).toBe(200);
    const limited = await call('/auth/x', { headers: { apikey: 'alice-key' } });
    expect(limited.status).toBe(429);
    expect(JSON.parse(limited.text)).toEqual({ message: 'API rate limit exceeded' });
    expect(Number(limited.headers['retry-after'])).toBeGreaterThan(0);
  });

  it('cors answers preflights without reaching the upstream', async () => {
    const before = seen.length;
    const pre = await call('/open/x', {
      method: 'OPTIONS',
      headers: { origin: 'https://app.test', 'access-control-request-method': 'PUT' },
    });
    expect(pre.status).toBe(200);
    expect(pre.headers['access-control-allow-origin']).toBe('https://app.test');
    expect(pre.headers['access-control-max-age']).toBe('60');
    expect(seen.length).toBe(before);
  });

  it('transforms the upstream request and the JSON response, with CORS headers on the response', async () => {
    const before = seen.length;
    const r = await call('/open/x', { headers: { origin: 'https://app.test' } });
    expect(r.status).toBe(200);
    expect(seen[before]!.headers['x-added']).toBe('1');
    expect(JSON.parse(r.text)).toEqual({ hello: 'world' });
    expect(r.headers['access-control-allow-origin']).toBe('https://app.test');
    expect(r.headers['x-upstream']).toBe('yes');
  });

  it('hands the proxy a changed method and the route regex captures, and serves the prometheus plugin metrics', async () => {
    const before = seen.length;
    const r = await request(`${proxy}/items/abc42`, { method: 'POST', body: 'twelve bytes' });
    await r.body.text();
    expect(r.statusCode).toBe(200);
    const upstreamSaw = seen[before]!;
    expect(upstreamSaw.method).toBe('PUT');
    expect(upstreamSaw.headers['x-item']).toBe('abc42');
    const metrics = await (await request(`${dp.statusUrl}/metrics`)).body.text();
    expect(metrics).toMatch(/kong_http_requests_total\{[^}]*route="items"[^}]*\} 1/);
    expect(metrics).toMatch(/kong_bandwidth_bytes\{[^}]*direction="ingress"[^}]*\} 12/);
  });
});
