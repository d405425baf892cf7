/**
 * The telemetry channel (issue 5) in process over real mTLS (PKI mode, openssl-made certificates): two
 * real data planes (proxy, engine, balancers) stream batched request statistics to the CP's telemetry
 * listener; the CP shows them per DP and in total in GET /clustering/telemetry and in Prometheus. The
 * listener going away never fails a proxied request, and counts made meanwhile arrive afterwards.
 */
import { describe, it, expect, beforeAll, afterAll } from '@jest/globals';
import Fastify, { type FastifyInstance } from 'fastify';
import { Registry } from 'prom-client';
import { loadConf } from '../../src/runtime/config/conf/index.js';
import {
  createTelemetryAggregator,
  type TelemetryAggregator,
} from '../../src/runtime/control-plane/telemetry/telemetry-aggregator.js';
import {
  startTelemetryListener,
  type TelemetryListener,
} from '../../src/runtime/control-plane/telemetry/telemetry-listener.js';
import { registerTelemetryMetrics } from '../../src/runtime/control-plane/telemetry/telemetry-metrics.js';
import { telemetryRoutes } from '../../src/runtime/control-plane/telemetry/telemetry-routes.js';
import type { DataPlaneConfig } from '../../src/runtime/data-plane/engine/types.js';
import { startDataPlane, type RunningDataPlane } from '../../src/runtime/data-plane/start-data-plane.js';
import {
  startDataPlaneTelemetry,
  type DataPlaneTelemetry,
} from '../../src/runtime/data-plane/telemetry/start-data-plane-telemetry.js';
import { createPkiTlsPolicy } from '../../src/runtime/protocol/tls-policy-pki.js';
import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import { WebSocket } from 'ws';
import { captureLogger, tempDir, waitFor, type LogLine } from '../cluster/helpers.js';
import { httpRequest, startUpstream, type Upstream } from '../cluster/helpers/http.js';
import { OpensslCa, type IssuedCert } from './helpers/openssl-ca.js';
import { pem } from './helpers/pki-cluster.js';

const TELEMETRY_NAME = 'telemetry.kong.yourcorp.tld';
const { dir, cleanup } = tempDir('hg-pki-telemetry-');
const cleanups: (() => Promise<void> | void)[] = [];
let root: OpensslCa;
let cpCert: IssuedCert;
let upstream: Upstream;
const NODE_IDS = ['11111111-1111-4111-8111-111111111111', '22222222-2222-4222-8222-222222222222'];

beforeAll(async () => {
  root = OpensslCa.root(dir, 'root', 'Hybrid Root CA');
  cpCert = root.issue(dir, 'cp', { cn: 'cp', eku: ['serverAuth'], dns: [TELEMETRY_NAME] });
  upstream = await startUpstream('telemetry-upstream');
});
afterAll(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
  await upstream.close();
  cleanup();
});

interface Cp {
  listener: TelemetryListener;
  aggregator: TelemetryAggregator;
  admin: FastifyInstance;
  registry: Registry;
  port: number;
  adminPort: number;
  lines: LogLine[];
}

async function startCp(aggregator = createTelemetryAggregator(), port = 0): Promise<Cp> {
  const { logger, lines } = captureLogger('control-plane');
  const tls = createPkiTlsPolicy({
    certPem: pem(cpCert.chain),
    keyPem: pem(cpCert.key),
    caPem: pem(root.cert),
  });
  const listener = await startTelemetryListener({
    listen: [{ host: '127.0.0.1', port }],
    tls,
    aggregator,
    logger,
  });
  const registry = new Registry();
  registerTelemetryMetrics(registry, aggregator);
  const admin = Fastify();
  telemetryRoutes(aggregator)(admin);
  admin.get('/metrics', async (_r, reply) =>
    reply.header('content-type', registry.contentType).send(await registry.metrics()),
  );
  await admin.listen({ host: '127.0.0.1', port: 0 });
  const adminPort = (admin.server.address() as AddressInfo).port;
  let closed = false;
  const close = async () => {
    if (closed) return;
    closed = true;
    await listener.close();
    await admin.close();
  };
  cleanups.push(close);
  return Object.assign(
    { listener, aggregator, admin, registry, port: listener.addresses[0]!.port, adminPort, lines },
    { close },
  );
}

interface Dp {
  dp: RunningDataPlane;
  telemetry: DataPlaneTelemetry;
  port: number;
}

const config = (): DataPlaneConfig =>
  ({
    _format_version: '3.0',
    services: [
      {
        id: 'aaaaaaaa-0000-4000-8000-000000000001',
        name: 'echo',
        host: 'echo-upstream',
        port: 80,
        protocol: 'http',
      },
    ],
    routes: [
      {
        id: 'aaaaaaaa-0000-4000-8000-000000000002',
        name: 'echo-route',
        paths: ['/echo'],
        service: { id: 'aaaaaaaa-0000-4000-8000-000000000001' },
      },
    ],
    upstreams: [{ id: 'aaaaaaaa-0000-4000-8000-000000000003', name: 'echo-upstream' }],
    targets: [
      {
        id: 'aaaaaaaa-0000-4000-8000-000000000004',
        target: `127.0.0.1:${upstream.port}`,
        upstream: { id: 'aaaaaaaa-0000-4000-8000-000000000003' },
      },
    ],
  }) as unknown as DataPlaneConfig;

async function startDp(i: number, cpPort: number, cert?: IssuedCert): Promise<Dp> {
  const { logger } = captureLogger('data-plane');
  const c = cert ?? root.issue(dir, `dp${i}`, { cn: `dp-${i}`, eku: ['clientAuth'] });
  const { conf } = loadConf({
    env: {
      HYBRIDGATE_ROLE: 'data_plane',
      HYBRIDGATE_DATABASE: 'off',
      HYBRIDGATE_PREFIX: `${dir}/dp${i}-${Math.random().toString(36).slice(2)}`,
      HYBRIDGATE_PROXY_LISTEN: '127.0.0.1:0',
      HYBRIDGATE_STATUS_LISTEN: 'off',
      HYBRIDGATE_CLUSTER_MTLS: 'pki',
      HYBRIDGATE_CLUSTER_CERT: c.chain,
      HYBRIDGATE_CLUSTER_CERT_KEY: c.key,
      HYBRIDGATE_CLUSTER_CA_CERT: root.cert,
    },
    cwd: dir,
  });
  const dp = await startDataPlane(conf, logger, { plugins: null });
  const applied = await dp.engine.apply(config());
  if (!applied.applied) throw new Error(`config not applied: ${applied.error?.message}`);
  const telemetry = startDataPlaneTelemetry({
    endpoint: { host: '127.0.0.1', port: cpPort },
    tls: createPkiTlsPolicy({
      certPem: pem(c.chain),
      keyPem: pem(c.key),
      caPem: pem(root.cert),
      serverName: TELEMETRY_NAME,
    }),
    nodeId: NODE_IDS[i]!,
    hostname: `dp-${i}`,
    recorder: dp.metrics,
    balancers: () => dp.engine.current()?.balancers,
    logger,
    flushIntervalMs: 60_000,
    reconnectBaseMs: 20,
    reconnectCapMs: 100,
  });
  cleanups.push(async () => {
    await telemetry.close();
    await dp.close(0);
  });
  return { dp, telemetry, port: dp.addresses.proxy[0]!.port };
}

async function traffic(port: number, ok: number, notFound: number): Promise<void> {
  for (let i = 0; i < ok; i++) expect((await httpRequest(port, 'GET', '/echo')).status).toBe(200);
  for (let i = 0; i < notFound; i++) expect((await httpRequest(port, 'GET', '/nowhere')).status).toBe(404);
}

const seriesOf = (
  rows: { service: string; route: string; status: Record<string, number>; latency_ms: { count: number } }[],
) =>
  Object.fromEntries(
    rows.map((r) => [`${r.service}|${r.route}`, { ...r.status, latency_count: r.latency_ms.count }]),
  );

describe('telemetry channel', () => {
  it('aggregates per DP and in total, in the Admin API and Prometheus', async () => {
    const cp = await startCp();
    const dps = [await startDp(0, cp.port), await startDp(1, cp.port)];
    await waitFor(
      () => dps.every((d) => d.telemetry.reporter.connected),
      'both DPs to connect their telemetry',
    );
    await traffic(dps[0]!.port, 5, 2);
    await traffic(dps[1]!.port, 3, 0);
    for (const d of dps) d.telemetry.reporter.flush();
    await waitFor(
      () => [...cp.aggregator.nodes()].filter((n) => n.batches > 0).length === 2,
      'a batch from each DP',
    );

    const view = JSON.parse((await httpRequest(cp.adminPort, 'GET', '/clustering/telemetry')).body);
    expect(view.total.connected).toBe(2);
    expect(seriesOf(view.total.requests)).toEqual({
      'echo|echo-route': { '1xx': 0, '2xx': 8, '3xx': 0, '4xx': 0, '5xx': 0, latency_count: 8 },
      '|': { '1xx': 0, '2xx': 0, '3xx': 0, '4xx': 2, '5xx': 0, latency_count: 2 },
    });
    const dp0 = view.data_planes.find((d: { node_id: string }) => d.node_id === NODE_IDS[0]);
    expect(dp0).toMatchObject({ hostname: 'dp-0', connected: true, batches: 1, dropped: 0 });
    expect(seriesOf(dp0.requests)['echo|echo-route']).toMatchObject({ '2xx': 5 });
    // The first look at the balancers reports every target's health.
    expect(dp0.upstream_health).toEqual([
      expect.objectContaining({
        upstream: 'echo-upstream',
        target: `127.0.0.1:${upstream.port}`,
        health: expect.any(String),
      }),
    ]);

    const text = (await httpRequest(cp.adminPort, 'GET', '/metrics')).body;
    expect(text).toContain(
      `hybridgate_telemetry_requests_total{node_id="${NODE_IDS[0]}",service="echo",route="echo-route",status_class="2xx"} 5`,
    );
    expect(text).toContain(
      `hybridgate_telemetry_requests_total{node_id="${NODE_IDS[1]}",service="echo",route="echo-route",status_class="2xx"} 3`,
    );
    expect(text).toContain(
      'hybridgate_telemetry_cluster_requests_total{service="echo",route="echo-route",status_class="2xx"} 8',
    );
    expect(text).toContain(
      'hybridgate_telemetry_cluster_request_latency_ms_count{service="echo",route="echo-route"} 8',
    );
    expect(text).toMatch(
      /hybridgate_telemetry_request_latency_ms_bucket\{node_id="[^"]+",service="echo",route="echo-route",le="\+Inf"\} 5/,
    );
    expect(text).toContain('# TYPE hybridgate_telemetry_request_latency_ms histogram');
    expect(text).toMatch(
      /hybridgate_telemetry_upstream_target_health\{node_id="[^"]+",upstream="echo-upstream",target="127\.0\.0\.1:\d+",state="[a-z_]+"\} 1/,
    );
  });

  it('never fails a request while the telemetry listener is down, and delivers the counts afterwards', async () => {
    const aggregator = createTelemetryAggregator();
    const cp = await startCp(aggregator);
    const port = cp.port;
    const dp = await startDp(0, port);
    await waitFor(() => dp.telemetry.reporter.connected, 'telemetry to connect');
    await (cp as unknown as { close(): Promise<void> }).close();
    await waitFor(() => !dp.telemetry.reporter.connected, 'the DP to notice the outage');
    await traffic(dp.port, 7, 0);
    // The same aggregator behind a new listener on the same port: the DP reconnects by itself.
    const again = await startCp(aggregator, port);
    await waitFor(() => dp.telemetry.reporter.connected, 'telemetry to reconnect');
    dp.telemetry.reporter.flush();
    await waitFor(
      () => aggregator.view().total.requests.some((r) => r.status['2xx'] === 7),
      'the counts made during the outage',
    );
    expect(again.port).toBe(port);
  });

  it('applies the cluster mTLS rules: a DP certificate from another root is refused', async () => {
    const cp = await startCp();
    const other = OpensslCa.root(dir, 'other', 'Other Root');
    const foreign = other.issue(dir, 'dp-foreign', { cn: 'dp-x', eku: ['clientAuth'] });
    const dp = await startDp(1, cp.port, { ...foreign, chain: foreign.chain });
    // The DP trusts the real root (so the CP is the one that refuses); it must never get in.
    await traffic(dp.port, 2, 0);
    dp.telemetry.reporter.flush();
    const refusals = () =>
      cp.lines.filter((l) => /data plane \(telemetry\) presented incorrect client certificate/.test(l.msg));
    // Several attempts (20-100 ms backoff), each refused by the CP with the reason.
    await waitFor(() => refusals().length >= 3, 'three refused telemetry attempts');
    expect(String(refusals()[0]!.reason)).toMatch(/not issued by cluster_ca_cert/);
    expect(dp.telemetry.reporter.connected).toBe(false);
    expect([...cp.aggregator.nodes()]).toEqual([]);
  });

  it('closes a telemetry connection that sends a bad frame (4001) and refuses a bad node_id (400)', async () => {
    const cp = await startCp();
    const c = root.issue(dir, 'dp-raw', { cn: 'dp-raw', eku: ['clientAuth'] });
    const tls = createPkiTlsPolicy({
      certPem: pem(c.chain),
      keyPem: pem(c.key),
      caPem: pem(root.cert),
      serverName: TELEMETRY_NAME,
    });
    const url = (id: string) => `wss://127.0.0.1:${cp.port}/v1/ingest?node_id=${id}&node_hostname=raw`;
    const ws = new WebSocket(url(NODE_IDS[0]!), { ...tls.clientOptions() });
    await once(ws, 'open');
    ws.send(Buffer.from(JSON.stringify({ type: 'telemetry_batch', seq: 0 })), { binary: true });
    const [code, reason] = (await once(ws, 'close')) as [number, Buffer];
    expect(code).toBe(4001);
    expect(reason.toString()).toMatch(/^invalid telemetry batch: interval/);
    expect(cp.lines.some((l) => /closing data plane telemetry connection: protocol error/.test(l.msg))).toBe(
      true,
    );
    const bad = new WebSocket(url('not-a-uuid'), { ...tls.clientOptions() });
    const [, res] = (await once(bad, 'unexpected-response')) as [unknown, { statusCode: number }];
    expect(res.statusCode).toBe(400);
    bad.on('error', () => undefined); // terminate() before open reports an error by design
    bad.terminate();
  });
});
