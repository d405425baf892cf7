/**
 * CP and DPs in one process over real loopback TLS: the cluster listener, DP sync, cache and status
 * registry wired as start-node will wire them, with an in-memory config source and a recording sink
 * in place of the store and the proxy engine (the multi-process suite covers the real ones).
 */
import { describe, it, expect, afterEach } from '@jest/globals';
import { randomBytes } from 'node:crypto';
import { request } from 'node:https';
import { Registry } from 'prom-client';
import {
  startClusterListener,
  type ClusterListener,
} from '../../src/runtime/control-plane/sync/cluster-listener.js';
import { createClusterMetrics } from '../../src/runtime/control-plane/status/cluster-metrics.js';
import {
  createDataPlaneRegistry,
  type DataPlaneRegistry,
} from '../../src/runtime/control-plane/status/data-plane-registry.js';
import {
  startDataPlaneSync,
  type DataPlaneSync,
  type DataPlaneSyncConf,
} from '../../src/runtime/data-plane/sync/start-data-plane-sync.js';
import { createManualClock, systemClock, type Clock } from '../../src/runtime/protocol/clock.js';
import { createSharedTlsPolicy } from '../../src/runtime/protocol/tls-policy.js';
import type { ConfigHashes, PluginInfo } from '../../src/runtime/protocol/messages.js';
import { generateSharedClusterCertificate } from '../../src/runtime/pki/shared-cluster-cert.js';
import { captureLogger, MemorySource, tempDir, waitFor, type LogLine } from './helpers.js';

const pair = generateSharedClusterCertificate({ days: 2 });
const foreign = generateSharedClusterCertificate({ days: 2 });
const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

const baseConfig = (n: number, plugins: unknown[] = []) => ({
  _format_version: '3.0',
  services: [
    { id: `0000000${n}-0000-4000-8000-000000000000`, name: `svc-${n}`, host: 'localhost', port: 80 },
  ],
  plugins,
});

interface Cp {
  listener: ClusterListener;
  registry: DataPlaneRegistry;
  lines: LogLine[];
  source: MemorySource;
  metrics: Registry;
  port: number;
}

async function startCp(
  o: {
    source?: MemorySource;
    port?: number;
    clock?: Clock;
    maxPayload?: number;
    pingIntervalSeconds?: number;
    cpPlugins?: [string, string][];
    noMetrics?: boolean;
  } = {},
): Promise<Cp> {
  const { logger, lines } = captureLogger('control-plane');
  const clock = o.clock ?? systemClock;
  const registry = createDataPlaneRegistry({ purgeDelaySeconds: 3600, clock });
  await registry.start();
  const metrics = new Registry();
  const source = o.source ?? new MemorySource(baseConfig(1));
  const listener = await startClusterListener({
    listen: [{ host: '127.0.0.1', port: o.port ?? 0 }],
    tls: createSharedTlsPolicy(pair.certPem, pair.keyPem),
    source,
    dataPlanes: registry,
    metrics: o.noMetrics ? null : createClusterMetrics(metrics, registry),
    logger,
    cpPlugins: new Map(o.cpPlugins ?? [['cors', '1.2.0']]),
    maxPayload: o.maxPayload ?? 4 * 1024 * 1024,
    pingIntervalSeconds: o.pingIntervalSeconds ?? 30,
    clock,
  });
  let closed = false;
  const close = async () => {
    if (closed) return;
    closed = true;
    await listener.close();
    registry.stop();
  };
  cleanups.push(close);
  return { listener, registry, lines, source, metrics, port: listener.addresses[0]!.port, close } as Cp & {
    close: () => Promise<void>;
  };
}

interface Dp {
  sync: DataPlaneSync;
  applied: { config: Record<string, unknown>; hashes: ConfigHashes }[];
  lines: LogLine[];
  prefix: string;
}

async function startDp(
  port: number,
  o: {
    prefix?: string;
    version?: string;
    plugins?: PluginInfo[];
    cert?: typeof pair;
    validate?: (c: Record<string, unknown>) => Record<string, unknown>;
    pingInterval?: number;
    protocolVersion?: 1 | 2;
  } = {},
): Promise<Dp> {
  const { logger, lines } = captureLogger('data-plane');
  let prefix = o.prefix;
  if (!prefix) {
    const t = tempDir('hg-dp-');
    prefix = t.dir;
    cleanups.push(t.cleanup);
  }
  const cert = o.cert ?? pair;
  const conf: DataPlaneSyncConf = {
    prefix,
    declarative_config: null,
    cluster_control_plane: [{ host: '127.0.0.1', port }],
    cluster_max_payload: 4 * 1024 * 1024,
    cluster_ping_interval: o.pingInterval ?? 30,
    cluster_reconnect_base: 0.05,
    cluster_reconnect_cap: 0.2,
    cluster_dp_labels: { region: 'test' },
    data_plane_config_cache_mode: 'unencrypted',
    data_plane_config_cache_path: null,
    lmdb_environment_path: 'dbless.lmdb',
    lmdb_map_size: 64 * 1024 * 1024,
    cluster_cert_key: { pem: cert.keyPem },
  };
  const applied: Dp['applied'] = [];
  const tls = createSharedTlsPolicy(cert.certPem, cert.keyPem);
  const sync = await startDataPlaneSync({
    conf,
    // A DP with a foreign certificate still trusts the real CP, so the CP is the one that refuses it.
    tls:
      cert === pair
        ? tls
        : {
            ...tls,
            clientOptions: () => ({ ...tls.clientOptions(), ca: pair.certPem }),
            verifyServer: () => ({ ok: true, expiry: null }),
          },
    sink: { apply: (config, hashes) => void applied.push({ config, hashes }) },
    validate: o.validate ?? ((c) => c),
    knownFields: () => null,
    loadDeclarative: async () => {
      throw new Error('no declarative config in this test');
    },
    plugins: o.plugins ?? [{ name: 'cors', version: '1.2.0' }],
    processConf: { role: 'data_plane' },
    logger,
    version: o.version ?? '0.1.0',
    hostname: 'dp-test',
    ...(o.protocolVersion ? { protocolVersion: o.protocolVersion } : {}),
  });
  cleanups.push(() => sync.close());
  return { sync, applied, lines, prefix };
}

const hasLine = (lines: LogLine[], msg: string | RegExp) =>
  lines.some((l) => (typeof msg === 'string' ? l.msg === msg : msg.test(l.msg)));

describe('CP and DPs over real TLS (in process)', () => {
  it('three DPs get the config, a change reaches all of them and the status rows say so', async () => {
    const cp = await startCp();
    const dps = await Promise.all([1, 2, 3].map(() => startDp(cp.port)));
    const first = (await cp.source.snapshot()).hashes.config;
    await waitFor(() => dps.every((d) => d.sync.currentHash() === first), 'initial config on every DP');
    await waitFor(
      () => cp.registry.list().filter((r) => r.config_hash === first).length === 3,
      'DPs report the hash',
    );
    const row = cp.registry.list()[0]!;
    expect(row).toMatchObject({
      sync_status: 'normal',
      status: 'connected',
      hostname: 'dp-test',
      version: '0.1.0',
      ip: '127.0.0.1',
      labels: { region: 'test' },
    });
    expect(row.cert_details.expiry_timestamp).toBeGreaterThan(Date.now() / 1000);

    const t0 = Date.now();
    const snapshotsBefore = cp.source.snapshots;
    // A burst of writes coalesces into one export.
    for (let i = 2; i <= 6; i++) cp.source.set(baseConfig(i));
    const last = (await cp.source.snapshot()).hashes.config;
    await waitFor(() => dps.every((d) => d.sync.currentHash() === last), 'change on every DP');
    expect(Date.now() - t0).toBeLessThan(2000);
    expect(cp.source.snapshots - snapshotsBefore).toBeLessThanOrEqual(3);
    for (const d of dps) expect(d.applied.at(-1)!.config).toEqual(baseConfig(6));
    await waitFor(() => cp.registry.list().every((r) => r.config_hash === last), 'rows converge');
    const text = await cp.metrics.metrics();
    expect(text).toContain('kong_data_planes_connected 3');
    expect(text).toMatch(/kong_control_plane_config_pushes_total\{result="sent"\} \d+/);
  });

  it('refuses a DP with a foreign certificate and one with a newer minor version', async () => {
    const cp = await startCp();
    const bad = await startDp(cp.port, { cert: foreign });
    await waitFor(
      () => hasLine(cp.lines, 'data plane presented incorrect client certificate during handshake'),
      'the refusal log line',
    );
    const newer = await startDp(cp.port, { version: '0.2.0' });
    await waitFor(
      () => cp.registry.list().some((r) => r.sync_status === 'kong_version_incompatible'),
      'incompatible row',
    );
    expect(cp.lines.find((l) => /incompatible with control plane version/.test(l.msg))?.reason).toMatch(
      /minor version 2 is newer/,
    );
    expect(bad.applied).toEqual([]);
    expect(newer.applied).toEqual([]);
    expect(cp.listener.connectedCount()).toBe(0);
  });

  it('answers 400 without node_id or node_version', async () => {
    const cp = await startCp();
    const status = (path: string) =>
      new Promise<number>((resolve, reject) => {
        const req = request({
          host: '127.0.0.1',
          port: cp.port,
          path,
          cert: pair.certPem,
          key: pair.keyPem,
          ca: pair.certPem,
          servername: 'kong_clustering',
          headers: {
            connection: 'Upgrade',
            upgrade: 'websocket',
            'sec-websocket-version': '13',
            'sec-websocket-key': 'dGhlIHNhbXBsZSBub25jZQ==',
          },
        });
        req.on('response', (res) => {
          res.resume();
          resolve(res.statusCode ?? 0);
        });
        req.on('error', reject);
        req.end();
      });
    expect(await status('/v1/outlet?node_version=0.1.0')).toBe(400);
    expect(await status('/v1/outlet?node_id=3f1e4b52-1111-4b8a-9c1d-1234567890ab')).toBe(400);
    expect(await status('/v2/outlet?node_id=3f1e4b52-1111-4b8a-9c1d-1234567890ab&node_version=0.1.0')).toBe(
      404,
    );
  });

  it('a DP lacking a configured plugin is plugin_set_incompatible and gets no pushes, until the plugin goes', async () => {
    const cp = await startCp();
    const ok = await startDp(cp.port);
    const lacking = await startDp(cp.port, { plugins: [] });
    await waitFor(
      () =>
        ok.sync.currentHash() === cp.listener.currentPayload()?.configHash && lacking.applied.length === 1,
      'both on the first config',
    );
    cp.source.set(baseConfig(2, [{ id: 'p', name: 'cors', config: {} }]));
    const withPlugin = (await cp.source.snapshot()).hashes.config;
    await waitFor(() => ok.sync.currentHash() === withPlugin, 'the capable DP runs the plugin config');
    await waitFor(
      () => cp.registry.get(lacking.sync.nodeId)?.sync_status === 'plugin_set_incompatible',
      'incompatible status',
    );
    expect(lacking.sync.currentHash()).not.toBe(withPlugin);
    expect(
      cp.lines.some(
        (l) =>
          l.msg ===
          'unable to send updated configuration to data plane: configured cors plugin 1.2.0 is missing from data plane',
      ),
    ).toBe(true);
    cp.source.set(baseConfig(3));
    const without = (await cp.source.snapshot()).hashes.config;
    await waitFor(() => lacking.sync.currentHash() === without, 'pushes resume');
    await waitFor(() => cp.registry.get(lacking.sync.nodeId)?.sync_status === 'normal', 'normal again');
  });

  it('an invalid config is refused as a whole: the DP keeps the old one and the CP shows why', async () => {
    // Also the regression for pushes skipped when no metrics were wired.
    const cp = await startCp({ noMetrics: true });
    const dp = await startDp(cp.port, {
      validate: (c) => {
        if ((c.services as { name: string }[])[0]!.name === 'svc-9')
          throw Object.assign(new Error('schema violation (name: bad)'), { fields: { name: 'bad' } });
        return c;
      },
    });
    const good = cp.listener.currentPayload()?.configHash ?? (await cp.source.snapshot()).hashes.config;
    await waitFor(() => dp.sync.currentHash() === good, 'first config');
    cp.source.set(baseConfig(9));
    const bad = (await cp.source.snapshot()).hashes.config;
    const row = await waitFor(() => cp.registry.get(dp.sync.nodeId)?.errors[0], 'error in the status row');
    expect(row).toMatchObject({
      name: 'declarative configuration parse failure',
      config_hash: bad,
      fields: { name: 'bad' },
    });
    expect(dp.sync.currentHash()).toBe(good);
    expect(dp.applied).toHaveLength(1);
  });

  it('CP down: DPs keep their config; a DP restarted meanwhile serves from its cache; CP back: all converge', async () => {
    const source = new MemorySource(baseConfig(1));
    const cp = (await startCp({ source })) as Cp & { close: () => Promise<void> };
    const port = cp.port;
    const a = await startDp(port);
    const b = await startDp(port);
    const h1 = (await source.snapshot()).hashes.config;
    await waitFor(() => a.sync.currentHash() === h1 && b.sync.currentHash() === h1, 'initial');
    await cp.close();
    await waitFor(() => a.sync.linkState() !== 'connected', 'link lost');
    expect(a.sync.currentHash()).toBe(h1);
    // Restart b while the CP is down.
    await b.sync.close();
    const b2 = await startDp(port, { prefix: b.prefix });
    expect(b2.sync.startedFrom).toBe('cache');
    expect(b2.sync.currentHash()).toBe(h1);
    expect(b2.sync.nodeId).toBe(b.sync.nodeId);
    expect(b2.applied[0]!.config).toEqual(baseConfig(1));
    // One failure line per outage, not one per retry.
    await waitFor(() => a.lines.filter((l) => /reconnecting|retrying/.test(l.msg)).length >= 1, 'lost line');
    source.config = baseConfig(5);
    const cp2 = await startCp({ source, port });
    const h5 = (await source.snapshot()).hashes.config;
    await waitFor(
      () => a.sync.currentHash() === h5 && b2.sync.currentHash() === h5,
      'converged after CP return',
    );
    expect(hasLine(a.lines, 'reconnected to control plane')).toBe(true);
    expect(
      a.lines.filter((l) => l.msg === 'unable to connect to control plane, retrying with backoff').length,
    ).toBeLessThanOrEqual(1);
    await waitFor(() => cp2.registry.list().length === 2, 'rows on the new CP');
  });

  it('a DP that leaves says goodbye and is marked disconnected at once; a silent one is dropped after 1.5 intervals', async () => {
    const clock = createManualClock(Date.now());
    const cp = await startCp({ clock, pingIntervalSeconds: 10 });
    const a = await startDp(cp.port);
    const b = await startDp(cp.port);
    await waitFor(
      () =>
        cp.registry.list().filter((r) => r.status === 'connected').length === 2 &&
        cp.listener.connectedCount() === 2,
      'both connected',
    );
    await a.sync.close();
    await waitFor(() => cp.registry.get(a.sync.nodeId)?.status === 'disconnected', 'goodbye recorded');
    expect(cp.registry.get(b.sync.nodeId)?.status).toBe('connected');
    clock.advance(14_000);
    expect(cp.listener.connectedCount()).toBe(1);
    clock.advance(1_000);
    await waitFor(() => hasLine(cp.lines, 'data plane missed its heartbeats, closing'), 'dead peer detected');
    await waitFor(
      () => b.lines.some((l) => l.msg === 'lost connection to control plane, reconnecting'),
      'DP noticed',
    );
  });

  it('refuses to push a config above cluster_max_payload, naming the limit and the size', async () => {
    const source = new MemorySource({ _format_version: '3.0', blob: 'x'.repeat(10) });
    const cp = await startCp({ source, maxPayload: 4096 });
    // The v1 payload (one whole frame) is only built while a v1 data plane is connected.
    const dp = await startDp(cp.port, { protocolVersion: 1 });
    await waitFor(() => dp.applied.length > 0 || undefined, 'the v1 DP applying the small config');
    await cp.listener.idle();
    source.set({ _format_version: '3.0', blob: randomBytes(20000).toString('base64') });
    const line = await waitFor(
      () => cp.lines.find((l) => l.msg === 'unable to export configuration for data planes'),
      'the error line',
    );
    expect(line?.err).toMatch(
      /compressed configuration is \d+ bytes, more than cluster_max_payload \(4096 bytes\)/,
    );
    expect(line?.limit).toBe(4096);
  });
});
