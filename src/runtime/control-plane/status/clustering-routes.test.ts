import { describe, it, expect, afterEach } from '@jest/globals';
import Fastify, { type FastifyInstance } from 'fastify';
import { Registry } from 'prom-client';
import { createManualClock } from '../../protocol/clock.js';
import { createClusterMetrics } from './cluster-metrics.js';
import { registerClusteringRoutes } from './clustering-routes.js';
import { createDataPlaneRegistry, type DataPlaneRegistry } from './data-plane-registry.js';

let clock = createManualClock(1_700_000_000_000);
let registry: DataPlaneRegistry;
const apps: FastifyInstance[] = [];
afterEach(async () => {
  registry?.stop();
  await Promise.all(apps.splice(0).map((a) => a.close()));
});

// fastify's inject() cannot load under jest's ESM mode (light-my-request requires the ESM-only
// `cookie`), so the routes are exercised over a real loopback socket.
async function listen(app: FastifyInstance) {
  apps.push(app);
  const base = await app.listen({ port: 0, host: '127.0.0.1' });
  return async (opts: { url: string; method?: string }) => {
    const res = await fetch(base + opts.url, { method: opts.method ?? 'GET' });
    const text = await res.text();
    return { statusCode: res.status, headers: Object.fromEntries(res.headers), json: () => JSON.parse(text) };
  };
}

function setup(n: number) {
  clock = createManualClock(1_700_000_000_000);
  registry = createDataPlaneRegistry({ purgeDelaySeconds: 120, clock });
  for (let i = 0; i < n; i++) {
    registry.upsert(`00000000-0000-4000-8000-00000000000${i}`, {
      ip: '127.0.0.1',
      hostname: `dp-${i}`,
      version: '0.1.0',
      sync_status: 'normal',
      config_hash: 'b'.repeat(32),
    });
  }
  const app = Fastify();
  registerClusteringRoutes(app, { role: 'control_plane', dataPlanes: registry });
  return listen(app);
}

describe('/clustering routes', () => {
  it('lists data planes with ttl, status and pagination', async () => {
    const inject = await setup(3);
    clock.advance(10_000);
    const first = await inject({ url: '/clustering/data-planes?size=2' });
    expect(first.statusCode).toBe(200);
    const body = first.json();
    expect(body.data).toHaveLength(2);
    expect(body.data[0]).toMatchObject({
      hostname: 'dp-0',
      ttl: 110,
      status: 'connected',
      sync_status: 'normal',
      labels: {},
      cert_details: { expiry_timestamp: null },
    });
    expect(body.next).toBe(`/clustering/data-planes?offset=${body.offset}&size=2`);
    const second = (await inject({ url: body.next })).json();
    expect(second.data.map((r: { hostname: string }) => r.hostname)).toEqual(['dp-2']);
    expect(second.next).toBeNull();
  });

  it('answers bad size and offset with Kong error codes', async () => {
    const inject = await setup(1);
    expect((await inject({ url: '/clustering/data-planes?size=0' })).json()).toMatchObject({
      code: 9,
      name: 'invalid size',
    });
    expect((await inject({ url: '/clustering/data-planes?size=abc' })).statusCode).toBe(400);
    expect((await inject({ url: '/clustering/data-planes?offset=%%%' })).json()).toMatchObject({
      code: 7,
      name: 'invalid offset',
    });
  });

  it('serves the deprecated /clustering/status shape and deletes rows', async () => {
    const inject = await setup(1);
    const res = await inject({ url: '/clustering/status' });
    expect(res.headers.deprecation).toBe('true');
    expect(res.json()).toEqual({
      '00000000-0000-4000-8000-000000000000': {
        config_hash: 'b'.repeat(32),
        hostname: 'dp-0',
        ip: '127.0.0.1',
        last_seen: 1_700_000_000,
      },
    });
    expect(
      (
        await inject({
          method: 'DELETE',
          url: '/clustering/data-planes/00000000-0000-4000-8000-000000000000',
        })
      ).statusCode,
    ).toBe(204);
    expect(
      (
        await inject({
          method: 'DELETE',
          url: '/clustering/data-planes/00000000-0000-4000-8000-000000000000',
        })
      ).statusCode,
    ).toBe(404);
    expect((await inject({ url: '/clustering/data-planes' })).json()).toEqual({
      data: [],
      offset: null,
      next: null,
    });
  });

  it('answers 400 with Kong message on other roles', async () => {
    const app = Fastify();
    registerClusteringRoutes(app, { role: 'data_plane', dataPlanes: null });
    const inject = await listen(app);
    for (const url of ['/clustering/data-planes', '/clustering/status']) {
      const res = await inject({ url });
      expect(res.statusCode).toBe(400);
      expect(res.json().message).toMatch(/only available when Kong is configured to run as Control Plane/);
    }
  });
});

describe('data plane registry', () => {
  it('purges disconnected rows after the purge delay, never connected ones', async () => {
    await setup(2);
    registry.upsert('00000000-0000-4000-8000-000000000000', { status: 'disconnected' });
    clock.advance(119_000);
    expect(registry.purge()).toBe(0);
    clock.advance(1_000);
    expect(registry.purge()).toBe(1);
    expect(registry.list().map((r) => r.hostname)).toEqual(['dp-1']);
  });

  it('keeps the latest errors and clears one when the DP reports that hash', async () => {
    await setup(1);
    const id = '00000000-0000-4000-8000-000000000000';
    registry.recordError(id, {
      name: 'declarative configuration parse failure',
      message: 'bad',
      config_hash: 'c'.repeat(32),
    });
    expect(registry.get(id)?.errors).toHaveLength(1);
    registry.seen(id, 'c'.repeat(32));
    expect(registry.get(id)?.errors).toEqual([]);
  });

  it('exports the DP metrics', async () => {
    await setup(2);
    registry.upsert('00000000-0000-4000-8000-000000000001', { sync_status: 'plugin_set_incompatible' });
    const prom = new Registry();
    createClusterMetrics(prom, registry);
    const text = await prom.metrics();
    expect(text).toContain('kong_data_planes_connected 2');
    expect(text).toMatch(
      /kong_data_plane_version_compatible\{node_id="00000000-0000-4000-8000-000000000001",hostname="dp-1",ip="127.0.0.1",kong_version="0.1.0"\} 0/,
    );
    expect(text).toMatch(
      /kong_data_plane_last_seen\{node_id="00000000-0000-4000-8000-000000000000".*\} 1700000000/,
    );
  });
});
