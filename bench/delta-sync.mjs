#!/usr/bin/env node
// Delta sync benchmark (not a test): protocol v1 (full snapshot per change) against v2 (deltas) in
// the same run, for configs of N entities (1% services, 10% routes, the rest consumers with one
// key-auth credential each) and D data planes. One route is changed per round. Measured:
//   - bytes the CP sends per DP for the change (v1: the whole gzip config; v2: the delta frame);
//   - CP CPU time per change: process.cpuUsage() of the CP process (its own, bench/delta-sync/
//     cp-worker.mjs) from just before the store write until every DP applied it and the CP is idle;
//   - propagation p50/p99 over every (DP, change): the CP's commit start → the DP applying the hash;
//   - DP cold start: a real `hybridgate start` DP process on the cache one of the DPs wrote (by
//     snapshots and full rewrites in v1, by per-entity deltas in v2), CP unreachable, from spawn to
//     the first proxied 200 (a real upstream in this process), and that process's RSS then;
//   - CP RSS after the rounds; DP host RSS per DP (in-process DPs, see below).
// The DPs of the rounds are in-process DP sync clients (bench/delta-sync/dp-host.mjs: real TLS link
// and LMDB cache each, validation skipped, no proxy engine) in one process apart from the CP: 100
// real DP processes do not fit a 2-core machine. Only the cold start runs a real DP process.
//   make build && node bench/delta-sync.mjs
//   HG_BENCH_SIZES=1000,10000,100000 HG_BENCH_DPS=1,10,100 HG_BENCH_ROUNDS=20 node bench/delta-sync.mjs
//   HG_BENCH_DIST=/tmp/other-build/dist node bench/delta-sync.mjs   # a build elsewhere (its ../bin too)
// Bounds (2 cores, shared): v1 rounds drop to HG_BENCH_V1_BIG_ROUNDS (3) when N×D ≥ 1,000,000, and
// N ≥ 100,000 with 100 DPs is skipped unless HG_BENCH_ALL=1 (100 in-process copies of the config).
import { fork, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, request } from 'node:http';
import { createServer as createNetServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath, pathToFileURL } from 'node:url';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const DIST = resolve(process.env.HG_BENCH_DIST || join(ROOT, 'dist'));
const CLI = join(DIST, '..', 'bin', 'hybridgate.js');
const SIZES = (process.env.HG_BENCH_SIZES ?? '1000,10000,100000').split(',').map(Number);
const DPS = (process.env.HG_BENCH_DPS ?? '1,10,100').split(',').map(Number);
const ROUNDS = Number(process.env.HG_BENCH_ROUNDS ?? 20);
const V1_BIG_ROUNDS = Number(process.env.HG_BENCH_V1_BIG_ROUNDS ?? 3);
const ALL = process.env.HG_BENCH_ALL === '1';

const { generateSharedClusterCertificate } = await import(
  pathToFileURL(join(DIST, 'runtime/pki/shared-cluster-cert.js')).href
);
const pair = generateSharedClusterCertificate({ days: 1 });
const work = mkdtempSync(join(tmpdir(), 'hg-bench-delta-'));
const certFile = join(work, 'cluster.crt');
const keyFile = join(work, 'cluster.key');
writeFileSync(certFile, pair.certPem);
writeFileSync(keyFile, pair.keyPem, { mode: 0o600 });
const children = new Set();
const cleanup = () => {
  for (const c of children) c.kill('SIGKILL');
  rmSync(work, { recursive: true, force: true });
};
process.once('exit', cleanup);
process.once('SIGINT', () => process.exit(130));

/** A forked worker answering {id, cmd, args} with {id, ok, value|error}. */
async function worker(file) {
  const child = fork(join(ROOT, 'bench', 'delta-sync', file), [], {
    env: { ...process.env, HG_BENCH_DIST: DIST },
    execArgv: ['--max-old-space-size=16384'],
  });
  children.add(child);
  child.once('exit', () => children.delete(child));
  const pending = new Map();
  let next = 0;
  await new Promise((ok, fail) => {
    child.once('message', ok);
    child.once('exit', (code) => fail(new Error(`${file} exited with ${code}`)));
  });
  child.on('message', (m) => {
    const p = pending.get(m.id);
    if (!p) return;
    pending.delete(m.id);
    if (m.ok) p.ok(m.value);
    else p.fail(new Error(`${file}: ${m.error}`));
  });
  return {
    call: (cmd, args) =>
      new Promise((ok, fail) => {
        const id = next++;
        pending.set(id, { ok, fail });
        child.send({ id, cmd, args });
      }),
    kill: () => child.kill('SIGKILL'),
    exited: new Promise((r) => child.once('exit', r)),
  };
}

const pct = (xs, p) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.ceil((p / 100) * s.length) - 1)];
};
const median = (xs) => pct(xs, 50);
const mb = (bytes) => Math.round(bytes / 2 ** 20);

const upstream = createServer((_req, res) => res.end('ok'));
await new Promise((r) => upstream.listen(0, '127.0.0.1', r));
const upstreamPort = upstream.address().port;
// A port nothing listens on: the cold-start DP finds no CP.
const deadPort = await new Promise((r) => {
  const s = createNetServer().listen(0, '127.0.0.1', () => {
    const p = s.address().port;
    s.close(() => r(p));
  });
});

function get(port, path) {
  return new Promise((resolve) => {
    const req = request({ host: '127.0.0.1', port, path, method: 'GET' }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode));
    });
    req.on('error', () => resolve(0));
    req.end();
  });
}

/** A real DP process on `prefix`'s cache, CP unreachable: spawn → first proxied 200, and its RSS. */
async function coldStart(prefix, path) {
  const t0 = performance.now();
  const child = spawn(process.execPath, [CLI, 'start'], {
    env: {
      PATH: process.env.PATH ?? '',
      HYBRIDGATE_ROLE: 'data_plane',
      HYBRIDGATE_DATABASE: 'off',
      HYBRIDGATE_PREFIX: prefix,
      HYBRIDGATE_PROXY_LISTEN: '127.0.0.1:0',
      HYBRIDGATE_STATUS_LISTEN: 'off',
      HYBRIDGATE_CLUSTER_CONTROL_PLANE: `127.0.0.1:${deadPort}`,
      HYBRIDGATE_CLUSTER_CERT: certFile,
      HYBRIDGATE_CLUSTER_CERT_KEY: keyFile,
      HYBRIDGATE_LMDB_MAP_SIZE: '4g',
      HYBRIDGATE_LOG_LEVEL: 'info',
    },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  children.add(child);
  try {
    const port = await new Promise((ok, fail) => {
      const timer = setTimeout(() => fail(new Error('cold-start DP did not start in 300 s')), 300_000);
      const tail = [];
      createInterface({ input: child.stderr }).on('line', (raw) => {
        tail.push(raw);
        if (tail.length > 10) tail.shift();
        try {
          const l = JSON.parse(raw);
          if (l.msg === 'node started') {
            clearTimeout(timer);
            ok(l.addresses.proxy.port);
          }
        } catch {
          /* not JSON */
        }
      });
      child.once('exit', (code) => fail(new Error(`cold-start DP exited (${code}): ${tail.join('\n')}`)));
    });
    const deadline = Date.now() + 300_000;
    while ((await get(port, path)) !== 200) {
      if (Date.now() > deadline) throw new Error('cold-start DP never proxied a 200');
      await new Promise((r) => setTimeout(r, 5));
    }
    const ms = Math.round(performance.now() - t0);
    const status = readFileSync(`/proc/${child.pid}/status`, 'utf8');
    const rssKb = Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0);
    return { ms, rssMb: Math.round(rssKb / 1024) };
  } finally {
    child.kill('SIGKILL');
    children.delete(child);
  }
}

const rows = [];
for (const n of SIZES) {
  const cp = await worker('cp-worker.mjs');
  const setup = await cp.call('setup', { n, upstreamPort, certPem: pair.certPem, keyPem: pair.keyPem });
  console.error(`# N=${n}: store filled in ${setup.setupMs} ms (${JSON.stringify(setup.counts)})`);
  let round = 0;
  for (const d of DPS) {
    if (n >= 100_000 && d >= 100 && !ALL) {
      console.error(`# N=${n} D=${d}: skipped (set HG_BENCH_ALL=1)`);
      continue;
    }
    for (const protocol of [1, 2]) {
      const rounds = protocol === 1 && n * d >= 1_000_000 ? Math.min(ROUNDS, V1_BIG_ROUNDS) : ROUNDS;
      const host = await worker('dp-host.mjs');
      const root = mkdtempSync(join(work, `dps-${n}-${d}-${protocol}-`));
      const { hash } = await cp.call('current');
      const { firstSyncMs } = await host.call('start', {
        count: d,
        protocol,
        port: setup.port,
        certPem: pair.certPem,
        keyPem: pair.keyPem,
        root,
        hash,
      });
      const lat = [];
      const cpu = [];
      const bytes = [];
      let end = null;
      for (let r = 0; r < rounds; r++) {
        const route = 10 + (round++ % Math.max(1, setup.counts.routes - 10));
        const change = await cp.call('change', { route, path: `/changed-${protocol}-${d}-${r}` });
        const { latencies } = await host.call('await', change);
        end = await cp.call('end');
        lat.push(...latencies);
        cpu.push(end.cpuMs);
        bytes.push(protocol === 1 ? end.v1Bytes : end.v2Bytes / d);
      }
      const stopped = await host.call('stop');
      host.kill();
      await host.exited;
      const cold = d === 1 ? await coldStart(stopped.prefixes[0], '/r5') : null;
      const row = {
        n,
        dps: d,
        protocol: `v${protocol}`,
        rounds,
        first_sync_ms: firstSyncMs,
        bytes_per_dp: Math.round(median(bytes)),
        cp_cpu_ms: +median(cpu).toFixed(1),
        p50_ms: +median(lat).toFixed(1),
        p99_ms: +pct(lat, 99).toFixed(1),
        cold_start_ms: cold?.ms ?? null,
        dp_process_rss_mb: cold?.rssMb ?? null,
        cp_rss_mb: mb(end.rss),
        dp_host_rss_per_dp_mb: +(stopped.rss / 2 ** 20 / d).toFixed(1),
        cp_full_exports: end.exports.full,
      };
      rows.push(row);
      console.log(JSON.stringify(row));
      rmSync(root, { recursive: true, force: true });
    }
  }
  await cp.call('stop');
  cp.kill();
  await cp.exited;
}
upstream.close();

const cols = Object.keys(rows[0] ?? {});
console.log(`\n| ${cols.join(' | ')} |\n|${cols.map(() => '---').join('|')}|`);
for (const r of rows) console.log(`| ${cols.map((c) => r[c] ?? '–').join(' | ')} |`);
process.exit(0);
