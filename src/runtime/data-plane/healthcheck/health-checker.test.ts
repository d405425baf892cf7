import http from 'node:http';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from '@jest/globals';
import { selfSigned } from '../../config/entities/test-certs.js';
import type { PickContext } from '../balancer/balancer.js';
import { createBalancer, type UpstreamBalancer } from '../balancer/create-balancer.js';
import { readHealthConfig } from './health-config.js';
import { HealthChecker } from './health-checker.js';
import { ManualScheduler } from './scheduler.js';
import { balancerHealthBody, upstreamHealthBody } from './upstream-health.js';

const servers: (http.Server | https.Server)[] = [];
const balancers: UpstreamBalancer[] = [];

afterEach(async () => {
  for (const b of balancers.splice(0)) b.close();
  await Promise.all(
    servers.splice(0).map((s) => {
      s.closeAllConnections();
      return new Promise<void>((r) => s.close(() => r()));
    }),
  );
});

// An upstream whose status (or silence) the test switches; counts the probes it gets.
async function target(
  secure = false,
): Promise<{ port: number; mode: { status: number; hang: boolean }; hits: string[] }> {
  const mode = { status: 200, hang: false };
  const hits: string[] = [];
  const handler = (req: http.IncomingMessage, res: http.ServerResponse) => {
    hits.push(`${req.method} ${req.url} ${req.headers.host} ${String(req.headers['x-probe'])}`);
    if (mode.hang) return;
    res.writeHead(mode.status).end();
  };
  const server = secure
    ? https.createServer(selfSigned({ cn: 'probe.test' }), handler)
    : http.createServer(handler);
  servers.push(server);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { port: (server.address() as AddressInfo).port, mode, hits };
}

const ctx = (): PickContext => ({
  clientIp: '10.0.0.1',
  headers: {},
  path: '/',
  query: '',
  consumerId: null,
  tried: [],
});

function upstream(healthchecks: Record<string, unknown>) {
  return { id: 'u1', name: 'up', healthchecks };
}

async function tick(s: ManualScheduler, b: UpstreamBalancer, ms = 1000): Promise<void> {
  s.advance(ms);
  await b.checker.whenIdle();
}

describe('active health checks', () => {
  it('takes a failing target out after http_failures and brings it back after successes', async () => {
    const good = await target();
    const flaky = await target();
    const s = new ManualScheduler();
    const b = createBalancer(
      upstream({
        active: {
          http_path: '/health',
          headers: { 'x-probe': ['yes'] },
          healthy: { interval: 1, successes: 2 },
          unhealthy: { interval: 1, http_failures: 2 },
        },
      }),
      [
        { id: 'g', target: `127.0.0.1:${good.port}`, weight: 100 },
        { id: 'f', target: `127.0.0.1:${flaky.port}`, weight: 100 },
      ],
      { scheduler: s },
    );
    balancers.push(b);
    await tick(s, b);
    expect(flaky.hits[0]).toBe(`GET /health 127.0.0.1:${flaky.port} yes`);
    expect(b.health().map((t) => t.health)).toEqual(['HEALTHY', 'HEALTHY']);

    flaky.mode.status = 500;
    await tick(s, b);
    expect(b.health()[1]!.health).toBe('HEALTHY'); // one failure is below the threshold
    await tick(s, b);
    expect(b.health()[1]!.health).toBe('UNHEALTHY');
    const picks = Array.from({ length: 10 }, () => b.pick(ctx())!.port);
    expect(new Set(picks)).toEqual(new Set([good.port]));

    flaky.mode.status = 200;
    await tick(s, b);
    expect(b.health()[1]!.health).toBe('UNHEALTHY');
    await tick(s, b);
    expect(b.health()[1]!.health).toBe('HEALTHY');
    expect(new Set(Array.from({ length: 10 }, () => b.pick(ctx())!.port))).toEqual(
      new Set([good.port, flaky.port]),
    );
  });

  it('counts probe timeouts and TCP failures', async () => {
    const slow = await target();
    slow.mode.hang = true;
    const closed = await target();
    const closedServer = servers.pop()!;
    await new Promise<void>((r) => closedServer.close(() => r()));
    const s = new ManualScheduler();
    const b = createBalancer(
      upstream({
        active: {
          timeout: 0.2,
          healthy: { interval: 1 },
          unhealthy: { interval: 1, timeouts: 1, tcp_failures: 1 },
        },
      }),
      [
        { id: 's', target: `127.0.0.1:${slow.port}`, weight: 100 },
        { id: 'c', target: `127.0.0.1:${closed.port}`, weight: 100 },
      ],
      { scheduler: s },
    );
    balancers.push(b);
    await tick(s, b);
    expect(b.health().map((t) => t.health)).toEqual(['UNHEALTHY', 'UNHEALTHY']);
    expect(b.pick(ctx())).toBeNull();
    expect(
      balancerHealthBody({ upstream: { id: 'u1' }, targets: new Map(), balancer: b, nodeId: 'n1' }),
    ).toMatchObject({
      data: { id: 'u1', health: 'UNHEALTHY' },
    });
  });

  it('probes https targets, verifying the certificate only when asked', async () => {
    const tls = await target(true);
    const s = new ManualScheduler();
    const make = (verify: boolean) =>
      createBalancer(
        upstream({
          active: {
            type: 'https',
            https_verify_certificate: verify,
            https_sni: 'probe.test',
            healthy: { interval: 1 },
            unhealthy: { interval: 1, tcp_failures: 1, http_failures: 1 },
          },
        }),
        [{ id: 't', target: `127.0.0.1:${tls.port}`, weight: 100 }],
        { scheduler: s },
      );
    const lax = make(false);
    const strict = make(true);
    balancers.push(lax, strict);
    s.advance(1000);
    await Promise.all([lax.checker.whenIdle(), strict.checker.whenIdle()]);
    expect(tls.hits.length).toBe(1); // the strict probe fails the handshake before any request
    expect(lax.health()[0]!.health).toBe('HEALTHY');
    expect(strict.health()[0]!.health).toBe('UNHEALTHY');
  });

  it('stops every timer on close', async () => {
    const t = await target();
    const s = new ManualScheduler();
    const b = createBalancer(
      upstream({ active: { healthy: { interval: 5 }, unhealthy: { interval: 5 } } }),
      [{ id: 't', target: `127.0.0.1:${t.port}`, weight: 100 }],
      { scheduler: s },
    );
    expect(s.activeTimers).toBe(2);
    b.close();
    expect(s.activeTimers).toBe(0);
  });
});

describe('passive health checks', () => {
  const targets = [
    { id: 'a', target: '10.0.0.1:80', weight: 100 },
    { id: 'b', target: '10.0.0.2:80', weight: 100 },
  ];

  it('opens the circuit on failures, timeouts and bad statuses; only a manual reset closes it', () => {
    const b = createBalancer(
      upstream({
        passive: { healthy: { successes: 1 }, unhealthy: { tcp_failures: 2, timeouts: 1, http_failures: 2 } },
      }),
      targets,
    );
    balancers.push(b);
    const a = b.health()[0]!;
    const peerA = { host: '10.0.0.1', port: 80, id: 'a' };
    b.report(peerA, 'failure');
    b.report(peerA, 'success', 200); // a success resets the failure count
    b.report(peerA, 'failure');
    expect(b.health()[0]!.health).toBe('HEALTHY');
    b.report(peerA, 'success', 500);
    b.report(peerA, 'failure', 404); // not in passive unhealthy statuses: ignored, even called a failure
    b.report(peerA, 'failure', 503);
    expect(b.health()[0]!.health).toBe('UNHEALTHY');
    expect(new Set(Array.from({ length: 6 }, () => b.pick(ctx())!.host))).toEqual(new Set(['10.0.0.2']));
    b.report({ host: '10.0.0.2', port: 80 }, 'timeout');
    expect(b.pick(ctx())).toBeNull();
    // No traffic reaches an unhealthy target, so passive checks alone never revive it (as in Kong).
    const entry = b.checker.list().find((e) => e.ip === '10.0.0.1')!;
    b.checker.setHealthy(entry, true);
    expect(b.health()[0]!.health).toBe('HEALTHY');
    expect(a.id).toBe('a');
  });

  it('reports HEALTHCHECKS_OFF and ignores outcomes when nothing is configured', () => {
    const b = createBalancer(upstream({}), targets);
    balancers.push(b);
    for (let i = 0; i < 10; i++) b.report({ host: '10.0.0.1', port: 80 }, 'failure');
    expect(b.health().map((t) => t.health)).toEqual(['HEALTHCHECKS_OFF', 'HEALTHCHECKS_OFF']);
    const body = upstreamHealthBody({
      upstream: { id: 'u1' },
      targets: new Map([['a', { created_at: 1700000000, tags: ['x'] }]]),
      balancer: b,
      nodeId: 'node-1',
    });
    expect(body).toMatchObject({
      total: 2,
      node_id: 'node-1',
      next: null,
      data: [
        {
          id: 'a',
          target: '10.0.0.1:80',
          created_at: 1700000000,
          tags: ['x'],
          upstream: { id: 'u1' },
          health: 'HEALTHCHECKS_OFF',
          data: { addresses: [{ ip: '10.0.0.1', port: 80, health: 'HEALTHCHECKS_OFF', weight: 100 }] },
        },
        { id: 'b' },
      ],
    });
  });

  it('marks the whole upstream unhealthy below the healthy-weight threshold', () => {
    const b = createBalancer(
      upstream({ threshold: 60, passive: { unhealthy: { tcp_failures: 1 } } }),
      targets,
    );
    balancers.push(b);
    expect(b.balancerHealth()).toBe('HEALTHY');
    b.report({ host: '10.0.0.1', port: 80 }, 'failure');
    expect(b.balancerHealth()).toBe('UNHEALTHY');
    expect(b.pick(ctx())).toBeNull();
  });
});

describe('health config', () => {
  it("fills Kong's defaults", () => {
    const c = readHealthConfig(undefined);
    expect(c.active.httpPath).toBe('/');
    expect(c.active.timeoutMs).toBe(1000);
    expect([...c.active.unhealthyStatuses]).toEqual([429, 404, 500, 501, 502, 503, 504, 505]);
    expect([...c.passive.unhealthyStatuses]).toEqual([429, 500, 503]);
    expect(new HealthChecker(c).off).toBe(true);
  });
});
