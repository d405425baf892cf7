/**
 * Passive health checks through the real data plane: a target that answers 500 is taken out of the
 * rotation by the proxy's reports, and the status API's /upstreams/{u}/health shows it.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { request } from 'undici';
import { startTestDataPlane, type TestDataPlane } from '../plugins/test-data-plane.js';

const servers: http.Server[] = [];
let dp: TestDataPlane;

async function server(status: number, name: string): Promise<number> {
  const s = http.createServer((_req, res) => res.writeHead(status, { 'x-target': name }).end(name));
  servers.push(s);
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  return (s.address() as AddressInfo).port;
}

beforeAll(async () => {
  dp = await startTestDataPlane([]);
});

afterAll(async () => {
  await dp?.close();
  for (const s of servers) s.closeAllConnections();
  await Promise.all(servers.map((s) => new Promise<void>((r) => s.close(() => r()))));
});

describe('passive health checks through the proxy', () => {
  it('stops sending traffic to a target after its failures and reports it unhealthy', async () => {
    const good = await server(200, 'good');
    const bad = await server(500, 'bad');
    const applied = await dp.dp.engine.apply({
      services: [{ id: 's1', name: 'svc', host: 'pool', port: 80, protocol: 'http', retries: 0 }],
      routes: [{ id: 'r1', paths: ['/'], service: { id: 's1' } }],
      upstreams: [
        {
          id: 'u1',
          name: 'pool',
          healthchecks: { passive: { unhealthy: { http_failures: 2, http_statuses: [500] } } },
        },
      ],
      targets: [
        { id: 't-good', target: `127.0.0.1:${good}`, weight: 100, upstream: { id: 'u1' } },
        { id: 't-bad', target: `127.0.0.1:${bad}`, weight: 100, upstream: { id: 'u1' } },
      ],
    });
    expect(applied.applied).toBe(true);
    const proxy = dp.proxyUrl;
    const seen: string[] = [];
    for (let i = 0; i < 12; i++) {
      const r = await request(`${proxy}/x`);
      await r.body.text();
      seen.push(String(r.headers['x-target']));
    }
    // Round-robin alternates, so "bad" answers twice and is then out for good.
    expect(seen.filter((t) => t === 'bad')).toHaveLength(2);
    expect(seen.slice(4).every((t) => t === 'good')).toBe(true);

    const status = dp.statusUrl;
    const health = await request(`${status}/upstreams/pool/health`);
    const body = (await health.body.json()) as { data: { id: string; health: string }[] };
    expect(health.statusCode).toBe(200);
    const byId = Object.fromEntries(body.data.map((t) => [t.id, t.health]));
    expect(byId).toEqual({ 't-good': 'HEALTHY', 't-bad': 'UNHEALTHY' });
  });
});
