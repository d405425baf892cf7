import { afterEach, describe, expect, it } from '@jest/globals';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import tls from 'node:tls';
import { pino } from 'pino';
import { request } from 'undici';
import { startDataPlane, type RunningDataPlane } from '../../src/runtime/data-plane/start-data-plane.js';
import { dataPlaneConf, loopbackListen } from './helpers/dp-conf.js';
import { startUpstream } from './helpers/harness.js';

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  while (cleanups.length > 0) await cleanups.pop()!();
});

async function start(): Promise<RunningDataPlane> {
  const prefix = mkdtempSync(join(tmpdir(), 'hg-dp-'));
  cleanups.push(() => rmSync(prefix, { recursive: true, force: true }));
  const conf = dataPlaneConf(prefix, { proxy_listen: [loopbackListen(), loopbackListen(true)] });
  const dp = await startDataPlane(conf, pino({ level: 'silent' }));
  cleanups.push(() => dp.close(1000));
  return dp;
}

async function get(
  url: string,
): Promise<{ status: number; text: string; json: () => Record<string, unknown> }> {
  const r = await request(url);
  const text = await r.body.text();
  return { status: r.statusCode, text, json: () => JSON.parse(text) as Record<string, unknown> };
}

describe('startDataPlane', () => {
  it('serves 404 and not-ready until a config arrives, then proxies and reports status', async () => {
    const dp = await start();
    const proxyUrl = `http://127.0.0.1:${dp.addresses.proxy.find((a) => !a.ssl)!.port}`;
    const statusUrl = `http://127.0.0.1:${dp.addresses.status[0]!.port}`;
    expect((await get(`${proxyUrl}/x`)).status).toBe(404);
    const notReady = await get(`${statusUrl}/status/ready`);
    expect(notReady.status).toBe(503);
    expect(notReady.json()).toEqual({ message: 'no configuration available (empty configuration present)' });

    const u = await startUpstream('up');
    cleanups.push(() => u.close());
    const applied = await dp.engine.apply({
      services: [{ id: 's1', name: 'svc', host: 'backend', port: 80, protocol: 'http' }],
      routes: [{ id: 'r1', name: 'rt', paths: ['/api'], service: { id: 's1' } }],
      upstreams: [{ id: 'u1', name: 'backend' }],
      targets: [
        { id: 't1', target: `127.0.0.1:${u.port}`, weight: 100, upstream: { id: 'u1' } },
        { id: 't0', target: '127.0.0.1:9', weight: 0, upstream: { id: 'u1' } },
      ],
    });
    expect(applied.applied).toBe(true);
    expect(applied.hash).toMatch(/^[0-9a-f]{32}$/);
    expect((await get(`${statusUrl}/status/ready`)).status).toBe(200);
    expect((await get(`${proxyUrl}/api/hello`)).status).toBe(200);
    expect(u.seen[0]!.url).toBe('/hello');

    const status = (await get(`${statusUrl}/status`)).json();
    expect(status.configuration_hash).toBe(applied.hash);
    expect((status.server as Record<string, number>).total_requests).toBe(2);

    const metrics = (await get(`${statusUrl}/metrics`)).text;
    expect(metrics).toContain('hybridgate_http_requests_total{service="svc",route="rt",code="200"} 1');
    expect(metrics).toContain('hybridgate_http_requests_total{service="",route="",code="404"} 1');
    expect(metrics).toContain(`hybridgate_data_plane_config_info{hash="${applied.hash}"} 1`);
    expect(metrics).toContain(
      `hybridgate_upstream_target_health{upstream="backend",target="127.0.0.1:${u.port}",state="healthchecks_off"} 1`,
    );
    expect(metrics).toMatch(/hybridgate_request_latency_ms_count\{service="svc",route="rt"\} 1/);

    const targets = (await get(`${statusUrl}/upstreams/backend/targets`)).json();
    expect((targets.data as { id: string }[]).map((t) => t.id)).toEqual(['t1']);
    const all = (await get(`${statusUrl}/upstreams/u1/targets/all`)).json();
    expect((all.data as { id: string }[]).map((t) => t.id).sort()).toEqual(['t0', 't1']);
    expect((await get(`${statusUrl}/upstreams/backend/targets/t0`)).json()).toMatchObject({
      id: 't0',
      weight: 0,
    });
    const health = (await get(`${statusUrl}/upstreams/backend/health`)).json();
    expect((health.data as { health: string }[])[0]!.health).toBe('HEALTHCHECKS_OFF');
    expect((await get(`${statusUrl}/upstreams/backend/health?balancer_health=1`)).json()).toMatchObject({
      data: { id: 'u1', health: 'HEALTHCHECKS_OFF' },
    });
    expect((await get(`${statusUrl}/upstreams/nope/targets`)).status).toBe(404);
  });

  it('serves the generated default certificate on the ssl listener', async () => {
    const dp = await start();
    const port = dp.addresses.proxy.find((a) => a.ssl)!.port;
    const cn = await new Promise<string>((resolve, reject) => {
      const s = tls.connect(
        { host: '127.0.0.1', port, servername: 'any.test', rejectUnauthorized: false },
        () => {
          const subject = s.getPeerCertificate().subject;
          s.end();
          resolve(String(subject?.CN));
        },
      );
      s.on('error', reject);
    });
    expect(cn).toBe('localhost');
  });

  it('lets an in-flight request finish when closing', async () => {
    const dp = await start();
    let release: () => void = () => undefined;
    const arrived = new Promise<void>((resolve) => {
      release = resolve;
    });
    const u = await startUpstream('slow', (_req, res) => {
      release();
      setTimeout(() => res.end('done'), 150);
      return true;
    });
    cleanups.push(() => u.close());
    await dp.engine.apply({
      services: [{ id: 's1', host: '127.0.0.1', port: u.port, protocol: 'http' }],
      routes: [{ id: 'r1', paths: ['/'], service: { id: 's1' } }],
    });
    const port = dp.addresses.proxy.find((a) => !a.ssl)!.port;
    const pending = get(`http://127.0.0.1:${port}/slow`);
    await arrived;
    const closed = dp.close(5000);
    const r = await pending;
    await closed;
    expect(r.status).toBe(200);
    expect(r.text).toBe('done');
    await expect(request(`http://127.0.0.1:${port}/`)).rejects.toThrow();
  });
});
