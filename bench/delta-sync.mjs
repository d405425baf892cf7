#!/usr/bin/env node
// Delta sync benchmark (not a test): for configs of N routes, one route changed, v1 (full snapshot)
// against v2 (delta) in the same run. A real LMDB store with its change log, the export for DPs and
// the real config hash on the CP; real DP sync (LMDB cache, validation skipped) over loopback mTLS, all
// in this process. Reports, per change: bytes sent to one DP, propagation (write → DP serves the new
// hash), this process's CPU during it (CP and DP together), and the CP's own steps timed directly:
// the export + hash (shared by v1 and v2), the v1 gzip of the whole config, the v2 delta build + gzip.
//   make build && node bench/delta-sync.mjs                    # N = 1000, 10000
//   HG_BENCH_SIZES=1000,10000,100000 HG_BENCH_ROUNDS=5 node bench/delta-sync.mjs
//   HG_BENCH_DIST=/tmp/other-build node bench/delta-sync.mjs   # a build elsewhere (tsc -p tsconfig.build.json --outDir)
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { Writable } from 'node:stream';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { gzipSync } from 'node:zlib';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const DIST = resolve(process.env.HG_BENCH_DIST || join(ROOT, 'dist'));
const SIZES = (process.env.HG_BENCH_SIZES ?? '1000,10000').split(',').map(Number);
const ROUNDS = Number(process.env.HG_BENCH_ROUNDS ?? 5);
const load = (p) => import(pathToFileURL(join(DIST, p)).href);

const { openLmdbStore } = await load('runtime/control-plane/store/lmdb-store.js');
const { startClusterListener } = await load('runtime/control-plane/sync/cluster-listener.js');
const { createDataPlaneRegistry } = await load('runtime/control-plane/status/data-plane-registry.js');
const { createStoreSources } = await load('runtime/control-plane/sync/v2/delta-source.js');
const { buildDeltaChanges } = await load('runtime/control-plane/sync/v2/build-delta.js');
const { ENTITY_DEFINITIONS } = await load('runtime/config/entities/index.js');
const { validateEntity } = await load('runtime/config/entities/validate.js');
const { exportForDataPlanes } = await load('runtime/node/config-export.js');
const { startDataPlaneSync } = await load('runtime/data-plane/sync/start-data-plane-sync.js');
const { createSharedTlsPolicy } = await load('runtime/protocol/tls-policy.js');
const { generateSharedClusterCertificate } = await load('runtime/pki/shared-cluster-cert.js');
const { createLogger } = await load('shared/logger.js');

const quiet = createLogger({
  component: 'bench',
  destination: new Writable({ write: (_c, _e, cb) => cb() }),
  level: 'warn',
});
const pair = generateSharedClusterCertificate({ days: 1 });
const tls = () => createSharedTlsPolicy(pair.certPem, pair.keyPem);
const MAX_PAYLOAD = 64 * 1024 * 1024;
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const cpuMs = (since) => {
  const u = process.cpuUsage(since);
  return (u.user + u.system) / 1000;
};
async function waitFor(cond, what, ms = 120_000) {
  const deadline = Date.now() + ms;
  while (!(await cond())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 2));
  }
}

async function run(n) {
  const dir = mkdtempSync(join(tmpdir(), 'hg-bench-delta-'));
  const store = await openLmdbStore({
    path: join(dir, 'store'),
    mapSize: 4 * 1024 ** 3,
    definitions: ENTITY_DEFINITIONS,
  });
  const svc = randomUUID();
  await store.transaction((tx) =>
    tx.insert('services', validateEntity('services', { id: svc, name: 'svc', host: 'upstream' })),
  );
  for (let i = 0; i < n; i += 1000) {
    await store.transaction(async (tx) => {
      for (let j = i; j < Math.min(n, i + 1000); j++)
        await tx.insert(
          'routes',
          validateEntity('routes', { name: `r${j}`, paths: [`/r${j}`], service: { id: svc } }),
        );
    });
  }
  const sources = createStoreSources(store, exportForDataPlanes);
  const registry = createDataPlaneRegistry({
    purgeDelaySeconds: 3600,
    clock: { now: () => Date.now(), setTimeout, clearTimeout },
  });
  await registry.start();
  const cp = await startClusterListener({
    listen: [{ host: '127.0.0.1', port: 0 }],
    tls: tls(),
    source: sources.v1,
    dataPlanes: registry,
    logger: quiet,
    cpPlugins: new Map(),
    maxPayload: MAX_PAYLOAD,
    v2: { source: sources.delta },
  });
  const port = cp.addresses[0].port;
  const result = { n };
  for (const protocolVersion of [1, 2]) {
    const prefix = mkdtempSync(join(tmpdir(), 'hg-bench-dp-'));
    const cold = Date.now();
    const dp = await startDataPlaneSync({
      conf: {
        prefix,
        declarative_config: null,
        cluster_control_plane: [{ host: '127.0.0.1', port }],
        cluster_max_payload: MAX_PAYLOAD,
        cluster_ping_interval: 30,
        cluster_reconnect_base: 0.05,
        cluster_reconnect_cap: 0.2,
        cluster_dp_labels: {},
        data_plane_config_cache_mode: 'unencrypted',
        data_plane_config_cache_path: null,
        lmdb_environment_path: 'dbless.lmdb',
        lmdb_map_size: 4 * 1024 ** 3,
        cluster_cert_key: { pem: pair.keyPem },
      },
      tls: tls(),
      sink: { apply: () => undefined },
      validate: (c) => c,
      knownFields: () => null,
      loadDeclarative: async () => ({}),
      plugins: [],
      processConf: {},
      logger: quiet,
      version: '0.1.0',
      hostname: 'bench',
      protocolVersion,
    });
    const current = async () => (await sources.delta.current()).hashes.config;
    await waitFor(async () => dp.currentHash() === (await current()), 'first config');
    const first = Date.now() - cold;
    const rounds = [];
    for (let r = 0; r < ROUNDS; r++) {
      const sentBefore = cp.v2.sent.bytes;
      const cpu0 = process.cpuUsage();
      const t0 = Date.now();
      await store.transaction(async (tx) => {
        const route = await tx.getByField('routes', 'name', `r${r}`);
        await tx.update('routes', { ...route, paths: [`/changed-${protocolVersion}-${r}`] });
      });
      const target = await current();
      await waitFor(() => dp.currentHash() === target, 'change applied');
      await dp.idle();
      rounds.push({
        ms: Date.now() - t0,
        cpu: cpuMs(cpu0),
        bytes: protocolVersion === 1 ? cp.currentPayload().frame.length : cp.v2.sent.bytes - sentBefore,
      });
    }
    result[`v${protocolVersion}`] = {
      first_sync_ms: first,
      bytes: median(rounds.map((x) => x.bytes)),
      propagation_ms: median(rounds.map((x) => x.ms)),
      cpu_ms: median(rounds.map((x) => x.cpu)),
    };
    await dp.close();
    rmSync(prefix, { recursive: true, force: true });
  }
  // The CP's own steps for one more one-route change, timed apart from the DPs.
  const before = await sources.delta.current();
  await store.transaction(async (tx) => {
    const route = await tx.getByField('routes', 'name', 'r0');
    await tx.update('routes', { ...route, paths: ['/once-more'] });
  });
  let t = performance.now();
  const snap = await store.snapshot();
  const exported = exportForDataPlanes(snap);
  const exportMs = performance.now() - t;
  t = performance.now();
  const full = gzipSync(
    JSON.stringify({ type: 'reconfigure', config_table: exported.config, hashes: exported.hashes }),
  );
  const v1GzipMs = performance.now() - t;
  t = performance.now();
  const events = await store.changesSince(before.version);
  const changes = buildDeltaChanges(events, before.version, { ...exported, store: snap.config });
  const delta = gzipSync(JSON.stringify({ type: 'delta', changes, hashes: exported.hashes }));
  const v2DeltaMs = performance.now() - t;
  result.cp = {
    export_and_hash_ms: +exportMs.toFixed(1),
    v1_gzip_ms: +v1GzipMs.toFixed(1),
    v1_bytes: full.length,
    v2_delta_ms: +v2DeltaMs.toFixed(2),
    v2_bytes: delta.length,
  };
  result.cp_rss_mb = Math.round(process.memoryUsage().rss / 2 ** 20);
  await cp.close();
  registry.stop();
  await store.close();
  rmSync(dir, { recursive: true, force: true });
  return result;
}

for (const n of SIZES) console.log(JSON.stringify(await run(n)));
