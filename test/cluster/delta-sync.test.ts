/**
 * Protocol v2 (incremental sync) in one process over real loopback TLS: a real LMDB store and its
 * change log, the export for DPs and the real config hash on the CP; DP sync with its LMDB cache and
 * a recording sink in place of the proxy engine.
 */
import { describe, it, expect, afterEach } from '@jest/globals';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { startClusterListener } from '../../src/runtime/control-plane/sync/cluster-listener.js';
import {
  createDataPlaneRegistry,
  type DataPlaneRegistry,
} from '../../src/runtime/control-plane/status/data-plane-registry.js';
import { openLmdbStore } from '../../src/runtime/control-plane/store/lmdb-store.js';
import type { Store } from '../../src/runtime/control-plane/store/store.js';
import { buildDeltaChanges } from '../../src/runtime/control-plane/sync/v2/build-delta.js';
import {
  createStoreSources,
  type DeltaSource,
} from '../../src/runtime/control-plane/sync/v2/delta-source.js';
import { ENTITY_DEFINITIONS } from '../../src/runtime/config/entities/index.js';
import type { EntityName } from '../../src/runtime/config/entities/definition.js';
import { validateEntity } from '../../src/runtime/config/entities/validate.js';
import { configHashes } from '../../src/runtime/config/hash.js';
import {
  startDataPlaneSync,
  type DataPlaneSync,
} from '../../src/runtime/data-plane/sync/start-data-plane-sync.js';
import { systemClock } from '../../src/runtime/protocol/clock.js';
import type { ConfigHashes } from '../../src/runtime/protocol/messages.js';
import { createSharedTlsPolicy } from '../../src/runtime/protocol/tls-policy.js';
import { generateSharedClusterCertificate } from '../../src/runtime/pki/shared-cluster-cert.js';
import { captureLogger, tempDir, waitFor, type LogLine } from './helpers.js';

const pair = generateSharedClusterCertificate({ days: 2 });
const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

const SVC = '00000000-0000-4000-8000-000000000001';
const routeId = (n: number) => `00000000-0000-4000-8000-1${String(n).padStart(11, '0')}`;

async function openStore(changeLogSize?: number): Promise<Store> {
  const t = tempDir('hg-delta-store-');
  const store = await openLmdbStore({
    path: join(t.dir, 'store.lmdb'),
    mapSize: 64 * 1024 * 1024,
    definitions: ENTITY_DEFINITIONS,
    ...(changeLogSize ? { changeLogSize } : {}),
  });
  cleanups.push(t.cleanup, () => store.close());
  await write(store, (tx) => [
    tx.insert('services', validateEntity('services', { id: SVC, name: 'svc', host: 'a' })),
  ]);
  return store;
}

type Tx = Parameters<Parameters<Store['transaction']>[0]>[0];
const write = (store: Store, fn: (tx: Tx) => Promise<unknown>[]) =>
  store.transaction(async (tx) => {
    for (const p of fn(tx)) await p;
  });
const entity = (family: EntityName, input: Record<string, unknown>) => validateEntity(family, input);
const addRoute = (store: Store, n: number, extra: Record<string, unknown> = {}) =>
  write(store, (tx) => [
    tx.upsert(
      'routes',
      entity('routes', { id: routeId(n), name: `r${n}`, paths: [`/r${n}`], service: { id: SVC }, ...extra }),
    ),
  ]);

interface Cp {
  port: number;
  registry: DataPlaneRegistry;
  lines: LogLine[];
  source: DeltaSource;
  listener: Awaited<ReturnType<typeof startClusterListener>>;
}

async function startCp(
  store: Store,
  o: { v2?: boolean; buildChanges?: typeof buildDeltaChanges; maxPayload?: number } = {},
): Promise<Cp> {
  const { logger, lines } = captureLogger('control-plane');
  const registry = createDataPlaneRegistry({ purgeDelaySeconds: 3600, clock: systemClock });
  await registry.start();
  const sources = createStoreSources(store);
  cleanups.push(() => sources.close());
  const listener = await startClusterListener({
    listen: [{ host: '127.0.0.1', port: 0 }],
    tls: createSharedTlsPolicy(pair.certPem, pair.keyPem),
    source: sources.v1,
    dataPlanes: registry,
    logger,
    cpPlugins: new Map([['cors', '1.2.0']]),
    maxPayload: o.maxPayload ?? 4 * 1024 * 1024,
    v2: o.v2 === false ? null : { source: sources.delta, buildChanges: o.buildChanges },
  });
  cleanups.push(async () => {
    await listener.close();
    registry.stop();
  });
  return { port: listener.addresses[0]!.port, registry, lines, source: sources.delta, listener };
}

interface Dp {
  sync: DataPlaneSync;
  applied: { config: Record<string, unknown>; hashes: ConfigHashes }[];
  prefix: string;
  close: () => Promise<void>;
}

async function startDp(
  port: number,
  o: { prefix?: string; protocolVersion?: 1 | 2; maxPayload?: number } = {},
): Promise<Dp> {
  const { logger } = captureLogger('data-plane');
  let prefix = o.prefix;
  if (!prefix) {
    const t = tempDir('hg-delta-dp-');
    prefix = t.dir;
    cleanups.push(t.cleanup);
  }
  const applied: Dp['applied'] = [];
  const sync = await startDataPlaneSync({
    conf: {
      prefix,
      declarative_config: null,
      cluster_control_plane: [{ host: '127.0.0.1', port }],
      // A frame over this closes the link (1009): the parts test gives the DP the CP's small limit.
      cluster_max_payload: o.maxPayload ?? 4 * 1024 * 1024,
      cluster_ping_interval: 30,
      cluster_reconnect_base: 0.05,
      cluster_reconnect_cap: 0.2,
      cluster_dp_labels: {},
      data_plane_config_cache_mode: 'unencrypted',
      data_plane_config_cache_path: null,
      lmdb_environment_path: 'dbless.lmdb',
      lmdb_map_size: 64 * 1024 * 1024,
      cluster_cert_key: { pem: pair.keyPem },
    },
    tls: createSharedTlsPolicy(pair.certPem, pair.keyPem),
    sink: { apply: (config, hashes) => void applied.push({ config, hashes }) },
    validate: (c) => c,
    knownFields: () => null,
    loadDeclarative: async () => {
      throw new Error('no declarative config in this test');
    },
    plugins: [{ name: 'cors', version: '1.2.0' }],
    processConf: { role: 'data_plane' },
    logger,
    version: '0.1.0',
    hostname: 'dp-delta',
    ...(o.protocolVersion ? { protocolVersion: o.protocolVersion } : {}),
  });
  let closed = false;
  const close = async () => {
    if (closed) return;
    closed = true;
    await sync.close();
  };
  cleanups.push(close);
  return { sync, applied, prefix, close };
}

/** Waits until the DP serves the CP's current config, and checks what it serves hashes to that. */
async function converged(cp: Cp, dp: Dp): Promise<string> {
  const cur = await cp.source.current();
  await waitFor(() => dp.sync.currentHash() === cur.hashes.config, `DP on version ${cur.version}`);
  await dp.sync.idle();
  const last = dp.applied.at(-1)!;
  expect(configHashes(last.config).config).toBe(cur.hashes.config);
  expect(last.config).toEqual(cur.config);
  return cur.hashes.config;
}

describe('protocol v2: incremental sync', () => {
  it('a DP that missed changes while disconnected catches up from the log with one delta', async () => {
    const store = await openStore();
    await addRoute(store, 1);
    await addRoute(store, 2);
    const cp = await startCp(store);
    const first = await startDp(cp.port);
    await converged(cp, first);
    expect(first.sync.protocol()).toBe(2);
    expect(first.sync.v2!.counts).toEqual({ delta: 0, snapshot: 1, resync: 0 });
    await first.close();

    await addRoute(store, 3);
    await addRoute(store, 1, { paths: ['/changed'] });
    await write(store, (tx) => [tx.delete('routes', routeId(2))]);
    const again = await startDp(cp.port, { prefix: first.prefix });
    expect(again.sync.startedFrom).toBe('cache');
    await converged(cp, again);
    expect(again.sync.v2!.counts).toEqual({ delta: 1, snapshot: 0, resync: 0 });

    // Live changes while connected are deltas too, one per coalesced push.
    const before = cp.listener.v2!.sent.snapshot;
    await addRoute(store, 4);
    await converged(cp, again);
    expect(again.sync.v2!.counts.delta).toBeGreaterThanOrEqual(2);
    expect(again.sync.v2!.counts.snapshot).toBe(0);
    expect(cp.listener.v2!.sent.snapshot).toBe(before);
  });

  it('a DP past the change log horizon gets a snapshot', async () => {
    const store = await openStore(2);
    const cp = await startCp(store);
    const first = await startDp(cp.port);
    await converged(cp, first);
    await first.close();
    for (let i = 1; i <= 5; i++) await addRoute(store, i);
    const again = await startDp(cp.port, { prefix: first.prefix });
    await converged(cp, again);
    expect(again.sync.v2!.counts).toEqual({ delta: 0, snapshot: 1, resync: 0 });
  });

  it('a corrupted delta (wrong hash) is refused and answered with a snapshot, never served', async () => {
    const store = await openStore();
    await addRoute(store, 1);
    let corrupt = false;
    const cp = await startCp(store, {
      buildChanges: (events, from, target) => {
        const changes = buildDeltaChanges(events, from, target);
        if (!corrupt || !changes) return changes;
        return changes.map((c) => (c.entity ? { ...c, entity: { ...c.entity, name: 'tampered' } } : c));
      },
    });
    const dp = await startDp(cp.port);
    await converged(cp, dp);
    corrupt = true;
    await addRoute(store, 2);
    await converged(cp, dp);
    expect(dp.sync.v2!.counts).toMatchObject({ delta: 0, resync: 1, snapshot: 2 });
    expect(cp.lines.some((l) => l.msg === 'data plane asked for a full snapshot')).toBe(true);
    const served = JSON.stringify(dp.applied.map((a) => a.config));
    expect(served).not.toContain('tampered');
  });

  it('disabling a service removes its routes and plugins by delta, enabling brings them back', async () => {
    const store = await openStore();
    await addRoute(store, 1);
    await write(store, (tx) => [
      tx.insert('plugins', entity('plugins', { name: 'cors', route: { id: routeId(1) } })),
      tx.insert('plugins', entity('plugins', { name: 'cors', service: { id: SVC } })),
    ]);
    const cp = await startCp(store);
    const dp = await startDp(cp.port);
    await converged(cp, dp);
    expect((dp.applied.at(-1)!.config.plugins as unknown[]).length).toBe(2);
    const svc = (await store.get('services', SVC))!;
    await write(store, (tx) => [tx.update('services', { ...svc, enabled: false })]);
    await converged(cp, dp);
    expect(dp.applied.at(-1)!.config).not.toHaveProperty('routes');
    expect(dp.applied.at(-1)!.config).not.toHaveProperty('plugins');
    await write(store, (tx) => [tx.update('services', { ...svc, enabled: true })]);
    await converged(cp, dp);
    expect((dp.applied.at(-1)!.config.plugins as unknown[]).length).toBe(2);
    expect(dp.sync.v2!.counts).toEqual({ delta: 2, snapshot: 1, resync: 0 });
  });

  it('a snapshot larger than cluster_max_payload arrives in parts, each under the limit', async () => {
    const store = await openStore();
    // Random tags keep gzip from shrinking the config under the limit.
    await write(store, (tx) =>
      Array.from({ length: 300 }, (_, i) =>
        tx.insert(
          'routes',
          entity('routes', {
            id: routeId(i),
            paths: [`/p${i}`],
            service: { id: SVC },
            tags: [randomBytes(24).toString('hex'), randomBytes(24).toString('hex')],
          }),
        ),
      ),
    );
    const maxPayload = 16 * 1024;
    const cp = await startCp(store, { maxPayload });
    const dp = await startDp(cp.port, { maxPayload });
    await converged(cp, dp);
    expect((dp.applied.at(-1)!.config.routes as unknown[]).length).toBe(300);
    expect(dp.sync.v2!.counts).toEqual({ delta: 0, snapshot: 1, resync: 0 });
    expect(
      cp.lines.some(
        (l) => l.msg === 'snapshot exceeds one frame, sending it in parts' && Number(l.parts) > 3,
      ),
    ).toBe(true);
    // A change afterwards is a small delta again.
    await addRoute(store, 1000);
    await converged(cp, dp);
    expect(dp.sync.v2!.counts.delta).toBe(1);
    // A delta over the frame limit (one big transaction) goes as a snapshot in parts instead.
    await write(store, (tx) =>
      Array.from({ length: 300 }, (_, i) =>
        tx.insert(
          'routes',
          entity('routes', {
            id: routeId(2000 + i),
            paths: [`/q${i}`],
            service: { id: SVC },
            tags: [randomBytes(24).toString('hex'), randomBytes(24).toString('hex')],
          }),
        ),
      ),
    );
    await converged(cp, dp);
    expect(dp.sync.v2!.counts).toEqual({ delta: 1, snapshot: 2, resync: 0 });
    expect(cp.lines.some((l) => l.msg === 'delta exceeds one frame, sending a snapshot')).toBe(true);
  });

  it('builds the v1 payload only while a v1 DP is connected, once per hash; a v1 DP arriving late gets it', async () => {
    const store = await openStore();
    await addRoute(store, 1);
    const cp = await startCp(store);
    const v2 = await startDp(cp.port);
    await converged(cp, v2);
    await addRoute(store, 2);
    await converged(cp, v2);
    await cp.listener.idle();
    const built = () =>
      cp.lines.filter((l) => l.msg === 'configuration exported for data planes' && 'bytes' in l);
    expect(built()).toHaveLength(0);
    expect(cp.listener.currentPayload()).toBeNull();
    // The hash is still logged per version for whoever follows the CP's log.
    const cur = await cp.source.current();
    expect(cp.lines.some((l) => l.config_hash === cur.hashes.config)).toBe(true);

    const v1 = await startDp(cp.port, { protocolVersion: 1 });
    await converged(cp, v1);
    expect(built()).toHaveLength(1);
    await addRoute(store, 3);
    await converged(cp, v1);
    await converged(cp, v2);
    await cp.listener.idle();
    expect(built()).toHaveLength(2);
    expect(cp.listener.currentPayload()?.configHash).toBe((await cp.source.current()).hashes.config);
  });

  it('v1 and v2 DPs on one CP converge on the same hash; a v2 DP falls back to v1 on a CP without v2', async () => {
    const store = await openStore();
    await addRoute(store, 1);
    const cp = await startCp(store);
    const v2 = await startDp(cp.port);
    const v1 = await startDp(cp.port, { protocolVersion: 1 });
    await converged(cp, v2);
    await converged(cp, v1);
    await addRoute(store, 2);
    await write(store, (tx) => [
      tx.update('services', entity('services', { id: SVC, name: 'svc', host: 'b' })),
    ]);
    const hash = await converged(cp, v2);
    await converged(cp, v1);
    expect(v2.sync.v2!.counts.delta).toBeGreaterThanOrEqual(1);
    expect(v1.sync.protocol()).toBe(1);
    await waitFor(
      () => cp.registry.list().filter((r) => r.config_hash === hash).length === 2,
      'both status rows show the same hash',
    );

    const oldCp = await startCp(store, { v2: false });
    const fallback = await startDp(oldCp.port);
    await converged(oldCp, fallback);
    expect(fallback.sync.protocol()).toBe(1);
    expect(fallback.sync.currentHash()).toBe(hash);
  });
});
