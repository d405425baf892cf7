/**
 * Propagation benchmark (not a test): the time from a config change on the CP to every one of N DPs
 * having applied it (the DP's heartbeat reports the new hash), and the CP's memory per connected DP.
 *
 * The CP runs in this process (cluster listener, registry, an in-memory config source standing in
 * for the store + Admin API). The DPs run in a child process as simulated clients speaking protocol
 * v1 over real TLS: basic_info, ping with the hash, inflate + parse each reconfigure, ping at once.
 *
 * Run: npx tsc -p bench/propagation/tsconfig.json && node --expose-gc .tmp/bench/bench/propagation/run.js
 */
import { fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { Writable } from 'node:stream';
import { WebSocket } from 'ws';
import { createLogger } from '../../src/shared/logger.js';
import { startClusterListener } from '../../src/runtime/control-plane/sync/cluster-listener.js';
import { createDataPlaneRegistry } from '../../src/runtime/control-plane/status/data-plane-registry.js';
import { generateSharedClusterCertificate } from '../../src/runtime/pki/shared-cluster-cert.js';
import { createSharedTlsPolicy } from '../../src/runtime/protocol/tls-policy.js';
import { decodeReconfigurePayload } from '../../src/runtime/protocol/reconfigure-payload.js';
import { EMPTY_CONFIG_HASH } from '../../src/runtime/protocol/constants.js';
import { MemorySource } from '../../test/cluster/helpers.js';

const quiet = process.env.HG_BENCH_DEBUG
  ? createLogger({ component: 'bench', level: 'debug' })
  : createLogger({
      component: 'bench',
      level: 'error',
      destination: new Writable({ write: (_c, _e, cb) => cb() }),
    });

function config(version: number, services: number) {
  return {
    _format_version: '3.0',
    services: Array.from({ length: services }, (_, i) => ({
      id: `00000000-0000-4000-8000-${String(i).padStart(12, '0')}`,
      name: `svc-${i}`,
      host: `upstream-${i}.internal`,
      port: 8080,
      protocol: 'http',
      retries: 5,
      tags: [`v${version}`],
    })),
    routes: Array.from({ length: services }, (_, i) => ({
      id: `00000000-0000-4000-9000-${String(i).padStart(12, '0')}`,
      service: `00000000-0000-4000-8000-${String(i).padStart(12, '0')}`,
      paths: [`/svc-${i}`],
      strip_path: true,
    })),
  };
}

function pct(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] ?? NaN;
}

async function measure(
  n: number,
  pair: { certPem: string; keyPem: string },
  services: number,
  rounds: number,
) {
  const registry = createDataPlaneRegistry({
    purgeDelaySeconds: 3600,
    clock: {
      now: Date.now,
      setTimeout: (f, ms) => setTimeout(f, ms).unref() as never,
      clearTimeout: (h) => clearTimeout(h as never),
    },
  });
  const source = new MemorySource(config(0, services));
  const listener = await startClusterListener({
    listen: [{ host: '127.0.0.1', port: 0 }],
    tls: createSharedTlsPolicy(pair.certPem, pair.keyPem),
    source,
    dataPlanes: registry,
    logger: quiet,
    cpPlugins: new Map(),
    maxPayload: 16 * 1024 * 1024,
    coalesceMs: 2,
  });
  await listener.idle();
  global.gc?.();
  const before = process.memoryUsage();
  const child = fork(
    fileURLToPath(import.meta.url),
    ['swarm', String(n), String(listener.addresses[0]!.port)],
    {
      env: { ...process.env, HG_BENCH_CERT: pair.certPem, HG_BENCH_KEY: pair.keyPem },
    },
  );
  const allOn = (hash: string) =>
    new Promise<void>((resolve) => {
      const check = () => {
        const rows = registry.list();
        if (rows.length === n && rows.every((r) => r.config_hash === hash && r.status === 'connected')) {
          registry.off('changed', check);
          resolve();
        }
      };
      registry.on('changed', check);
      check();
    });
  await allOn((await source.snapshot()).hashes.config);
  global.gc?.();
  const after = process.memoryUsage();
  const times: number[] = [];
  for (let r = 1; r <= rounds; r++) {
    const next = config(r, services);
    const hash = (await new MemorySource(next).snapshot()).hashes.config;
    const t0 = performance.now();
    const done = allOn(hash);
    source.set(next);
    await done;
    times.push(performance.now() - t0);
  }
  times.sort((a, b) => a - b);
  const payload = listener.currentPayload();
  child.kill();
  await listener.close();
  registry.stop();
  return {
    n,
    p50: pct(times, 50),
    p99: pct(times, 99),
    heapPerDp: (after.heapUsed - before.heapUsed) / n,
    rssPerDp: (after.rss - before.rss) / n,
    gzip: payload?.frame.length ?? 0,
    json: payload?.rawSize ?? 0,
  };
}

async function swarm(n: number, port: number) {
  const cert = process.env.HG_BENCH_CERT!;
  const key = process.env.HG_BENCH_KEY!;
  const tls = createSharedTlsPolicy(cert, key);
  for (let i = 0; i < n; i++) {
    const id = `10000000-0000-4000-8000-${String(i).padStart(12, '0')}`;
    const ws = new WebSocket(
      `wss://127.0.0.1:${port}/v1/outlet?node_id=${id}&node_hostname=sim-${i}&node_version=0.1.0`,
      {
        ...tls.clientOptions(),
        perMessageDeflate: false,
        maxPayload: 16 * 1024 * 1024,
      },
    );
    let hash = EMPTY_CONFIG_HASH;
    ws.on('open', () => {
      ws.send(Buffer.from(JSON.stringify({ type: 'basic_info', plugins: [] })), { binary: true });
      ws.ping(hash);
    });
    ws.on('message', async (data) => {
      const msg = await decodeReconfigurePayload(data as Buffer, {
        maxPayload: 16 * 1024 * 1024,
        maxInflated: 256 * 1024 * 1024,
      });
      hash = msg.config_hash;
      ws.ping(hash);
    });
    ws.on('error', (e) => console.error(`simulated DP ${i}: ${e.message}`));
  }
}

async function main() {
  if (process.argv[2] === 'swarm') return swarm(Number(process.argv[3]), Number(process.argv[4]));
  const pair = generateSharedClusterCertificate({ days: 1 });
  const services = Number(process.env.HG_BENCH_SERVICES ?? 100);
  const rounds = Number(process.env.HG_BENCH_ROUNDS ?? 30);
  console.log(
    `config: ${services} services + ${services} routes; ${rounds} changes per N; gc exposed: ${Boolean(global.gc)}`,
  );
  console.log('N\tp50 ms\tp99 ms\theap/DP KiB\trss/DP KiB\tpayload gzip/json bytes');
  for (const n of (process.env.HG_BENCH_N ?? '1,10,100').split(',').map(Number)) {
    const r = await measure(n, pair, services, rounds);
    console.log(
      `${r.n}\t${r.p50.toFixed(1)}\t${r.p99.toFixed(1)}\t${(r.heapPerDp / 1024).toFixed(1)}\t\t${(r.rssPerDp / 1024).toFixed(1)}\t\t${r.gzip}/${r.json}`,
    );
  }
}

await main();
