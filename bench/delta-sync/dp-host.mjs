// The data planes of bench/delta-sync.mjs: N in-process DP sync clients (real TLS link, protocol v1
// or v2, real LMDB cache per DP; validation skipped and a no-op engine, so what is measured is sync,
// not router builds) in one process apart from the CP. Driven over IPC:
//   start {count, protocol, port, certPem, keyPem, root, hash} → {firstSyncMs}
//   await {hash, t0}   → {latencies}  (ms from the CP's commit to each DP applying `hash`)
//   stop {}            → {rss, prefixes}
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { benchLogger, serve } from './ipc.mjs';

const DIST = process.env.HG_BENCH_DIST;
const load = (p) => import(pathToFileURL(join(DIST, p)).href);
const { startDataPlaneSync } = await load('runtime/data-plane/sync/start-data-plane-sync.js');
const { createSharedTlsPolicy } = await load('runtime/protocol/tls-policy.js');
const { createLogger } = await load('shared/logger.js');

const quiet = benchLogger(createLogger, 'bench-dp', 'error');
const MAX_PAYLOAD = 64 * 1024 * 1024;
const now = () => performance.timeOrigin + performance.now();
let dps = [];
let waiter = null;

// Each DP records when it applied which hash; an await resolves on the apply that completes it.
function applied(dp, hash) {
  dp.at.set(hash, now());
  waiter?.();
}

function waitAll(hash, timeoutMs) {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      waiter = null;
      reject(
        new Error(`timed out: ${dps.filter((d) => d.sync.currentHash() !== hash).length} DPs not on ${hash}`),
      );
    }, timeoutMs);
    waiter = () => {
      if (dps.every((d) => d.at.has(hash))) {
        clearTimeout(timer);
        waiter = null;
        resolve();
      }
    };
    waiter();
  });
}

const handlers = {
  async start({ count, protocol, port, certPem, keyPem, root, hash }) {
    const t = now();
    dps = [];
    for (let i = 0; i < count; i++) {
      const prefix = join(root, `dp-${protocol}-${i}`);
      mkdirSync(prefix, { recursive: true });
      const dp = { prefix, at: new Map(), sync: null };
      dp.sync = await startDataPlaneSync({
        conf: {
          prefix,
          declarative_config: null,
          cluster_control_plane: [{ host: '127.0.0.1', port }],
          cluster_max_payload: MAX_PAYLOAD,
          cluster_ping_interval: 30,
          cluster_reconnect_base: 0.05,
          cluster_reconnect_cap: 0.5,
          cluster_dp_labels: {},
          data_plane_config_cache_mode: 'unencrypted',
          data_plane_config_cache_path: null,
          lmdb_environment_path: 'dbless.lmdb',
          lmdb_map_size: 4 * 1024 ** 3,
          cluster_cert_key: { pem: keyPem },
        },
        tls: createSharedTlsPolicy(certPem, keyPem),
        sink: { apply: (_config, hashes) => applied(dp, hashes.config) },
        validate: (c) => c,
        knownFields: () => null,
        loadDeclarative: async () => ({}),
        plugins: [],
        processConf: {},
        logger: quiet,
        version: '0.1.0',
        hostname: `bench-${i}`,
        protocolVersion: protocol,
      });
      dps.push(dp);
    }
    await waitAll(hash, 600_000);
    return { firstSyncMs: Math.round(now() - t) };
  },
  async await({ hash, t0 }) {
    await waitAll(hash, 600_000);
    // Cache writes follow the apply; the next change starts from a settled DP.
    await Promise.all(dps.map((d) => d.sync.idle()));
    return { latencies: dps.map((d) => d.at.get(hash) - t0) };
  },
  async stop() {
    const rss = process.memoryUsage().rss;
    await Promise.all(dps.map((d) => d.sync.close()));
    const prefixes = dps.map((d) => d.prefix);
    dps = [];
    return { rss, prefixes };
  },
};

serve(handlers);
