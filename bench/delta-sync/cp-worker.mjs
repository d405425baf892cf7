// The control plane of bench/delta-sync.mjs, in its own process so its CPU time and memory are its
// own: a real LMDB store with its change log, the incremental export for DPs and the cluster listener
// (v1 and v2) on loopback mTLS. Driven over IPC by the orchestrator:
//   setup {n, upstreamPort, certPem, keyPem}  → {port, setupMs, version}
//   change {route, path}                       → {t0, hash}   (CPU measured from here ...)
//   end {}                                     → {cpuMs, v2Bytes, v1Bytes, rss, exports}  (... to here)
//   stop {}
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { benchLogger, serve } from './ipc.mjs';

const DIST = process.env.HG_BENCH_DIST;
const load = (p) => import(pathToFileURL(join(DIST, p)).href);
const { openLmdbStore } = await load('runtime/control-plane/store/lmdb-store.js');
const { startClusterListener } = await load('runtime/control-plane/sync/cluster-listener.js');
const { createDataPlaneRegistry } = await load('runtime/control-plane/status/data-plane-registry.js');
const { createStoreSources } = await load('runtime/control-plane/sync/v2/delta-source.js');
const { ENTITY_DEFINITIONS } = await load('runtime/config/entities/index.js');
const { validateEntity } = await load('runtime/config/entities/validate.js');
const { createSharedTlsPolicy } = await load('runtime/protocol/tls-policy.js');
const { createLogger } = await load('shared/logger.js');

const quiet = benchLogger(createLogger, 'bench-cp', 'warn');
const MAX_PAYLOAD = 64 * 1024 * 1024;
const uuid = (kind, i) => `00000000-0000-4000-8${kind}00-${String(i).padStart(12, '0')}`;
let state = null;

/** Fills the store: 1% services, 10% routes, the rest consumers each with one key-auth credential. */
async function populate(store, n, upstreamPort) {
  const services = Math.max(1, Math.floor(n / 100));
  const routes = Math.max(1, Math.floor(n / 10));
  const consumers = Math.max(0, Math.floor((n - services - routes) / 2));
  const batches = [];
  for (let i = 0; i < services; i++)
    batches.push(['services', { id: uuid(1, i), name: `s${i}`, host: '127.0.0.1', port: upstreamPort }]);
  for (let i = 0; i < routes; i++)
    batches.push([
      'routes',
      { id: uuid(2, i), name: `r${i}`, paths: [`/r${i}`], service: { id: uuid(1, i % services) } },
    ]);
  for (let i = 0; i < consumers; i++) batches.push(['consumers', { id: uuid(3, i), username: `c${i}` }]);
  for (let i = 0; i < consumers; i++)
    batches.push(['keyauth_credentials', { id: uuid(4, i), key: `key-${i}`, consumer: { id: uuid(3, i) } }]);
  for (let i = 0; i < batches.length; i += 2000) {
    await store.transaction(async (tx) => {
      for (const [family, input] of batches.slice(i, i + 2000))
        await tx.insert(family, validateEntity(family, input));
    });
  }
  return { services, routes, consumers, credentials: consumers };
}

const handlers = {
  async setup({ n, upstreamPort, certPem, keyPem }) {
    const t = performance.now();
    const dir = mkdtempSync(join(tmpdir(), 'hg-bench-cp-'));
    const store = await openLmdbStore({
      path: join(dir, 'store'),
      mapSize: 8 * 1024 ** 3,
      definitions: ENTITY_DEFINITIONS,
    });
    const counts = await populate(store, n, upstreamPort);
    const sources = createStoreSources(store);
    const registry = createDataPlaneRegistry({
      purgeDelaySeconds: 3600,
      clock: { now: () => Date.now(), setTimeout, clearTimeout },
    });
    await registry.start();
    const cp = await startClusterListener({
      listen: [{ host: '127.0.0.1', port: 0 }],
      tls: createSharedTlsPolicy(certPem, keyPem),
      source: sources.v1,
      dataPlanes: registry,
      logger: quiet,
      cpPlugins: new Map(),
      maxPayload: MAX_PAYLOAD,
      v2: { source: sources.delta },
    });
    await sources.delta.current();
    await cp.idle();
    state = { dir, store, sources, registry, cp, cpu0: null, v2Bytes0: 0 };
    return { port: cp.addresses[0].port, setupMs: Math.round(performance.now() - t), counts };
  },
  async change({ route, path }) {
    state.cpu0 = process.cpuUsage();
    state.v2Bytes0 = state.cp.v2.sent.bytes;
    const t0 = performance.timeOrigin + performance.now();
    await state.store.transaction(async (tx) => {
      const r = await tx.get('routes', uuid(2, route));
      await tx.update('routes', { ...r, paths: [`/r${route}`, path] });
    });
    const cur = await state.sources.delta.current();
    return { t0, hash: cur.hashes.config };
  },
  async end() {
    await state.cp.idle();
    const u = process.cpuUsage(state.cpu0);
    return {
      cpuMs: (u.user + u.system) / 1000,
      v2Bytes: state.cp.v2.sent.bytes - state.v2Bytes0,
      v1Bytes: state.cp.currentPayload()?.frame.length ?? 0,
      rss: process.memoryUsage().rss,
      exports: { ...state.sources.stats },
    };
  },
  async current() {
    return { hash: (await state.sources.delta.current()).hashes.config, rss: process.memoryUsage().rss };
  },
  async stop() {
    await state.cp.close();
    state.sources.close();
    state.registry.stop();
    await state.store.close();
    rmSync(state.dir, { recursive: true, force: true });
    return {};
  },
};

serve(handlers);
