#!/usr/bin/env node
// Propagation benchmark with real processes (not a test; `make bench` runs it after building dist/):
// a control plane and N data planes started with `hybridgate start` on loopback (real mTLS, real
// store, real proxies). Each round adds a route through the Admin API and times the write until
// every DP has applied the new configuration (its "configuration applied" log line, written after the
// router swap), then checks that every DP answers on the new route. Also the CP's resident memory per
// connected DP. bench/propagation/run.ts covers large N with simulated DPs; this one is what a user
// sees end to end, for the N a laptop can run.
//   node bench/propagation-processes.mjs                       # N = 1 and 10, 20 changes each
//   HG_BENCH_N=1,4 HG_BENCH_ROUNDS=10 node bench/propagation-processes.mjs
//   HG_BENCH_CLI=/other/tree/bin/hybridgate.js node bench/propagation-processes.mjs
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  CLI,
  clusterEnv,
  controlPlaneEnv,
  dataPlaneEnv,
  http,
  startNode,
  stopNode,
} from './lib/node-processes.mjs';

const ROUNDS = Number(process.env.HG_BENCH_ROUNDS ?? 20);
const NS = (process.env.HG_BENCH_N ?? '1,10').split(',').map(Number);

const rssKiB = (pid) =>
  Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? NaN);
const pct = (sorted, p) => sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];

async function measure(n, upstreamUrl) {
  const dir = mkdtempSync(join(tmpdir(), 'hg-bench-prop-'));
  const nodes = [];
  try {
    const common = clusterEnv(CLI, dir);
    const cp = startNode(CLI, 'cp', controlPlaneEnv(common, dir));
    nodes.push(cp);
    const started = await cp.waitFor((l) => l.msg === 'node started', 'node started');
    const admin = started.addresses.admin.port;
    const cluster = started.addresses.cluster.port;
    await http(admin, 'POST', '/services', { name: 'bench', url: upstreamUrl });
    await cp.waitFor((l) => l.msg === 'configuration exported for data planes' && l.at > 0, 'first export');
    const rssBefore = rssKiB(cp.child.pid);

    // Start DPs a few at a time: on two cores a stampede of starts only measures the scheduler.
    const dps = [];
    for (let i = 0; i < n; i += 4) {
      const batch = [];
      for (let j = i; j < Math.min(n, i + 4); j++) {
        const dp = startNode(CLI, `dp${j}`, dataPlaneEnv(common, dir, `dp${j}`, cluster));
        nodes.push(dp);
        batch.push(
          dp
            .waitFor((l) => l.msg === 'node started', 'node started')
            .then((l) => {
              dp.proxy = l.addresses.proxy.port;
              return dp.waitFor(
                (x) => x.msg === 'configuration applied' && x.config_hash !== undefined,
                'first config',
              );
            }),
        );
        dps.push(dp);
      }
      await Promise.all(batch);
    }
    const rssAfter = rssKiB(cp.child.pid);

    const times = [];
    const acks = [];
    for (let r = 1; r <= ROUNDS; r++) {
      const t0 = performance.now();
      const applied = dps.map((dp) =>
        dp.waitFor(
          (l) => l.msg === 'configuration applied' && l.config_hash !== undefined && l.at > t0,
          `round ${r}`,
        ),
      );
      const res = await http(admin, 'POST', '/services/bench/routes', { name: `r${r}`, paths: [`/r${r}`] });
      if (res.status !== 201) throw new Error(`POST route answered ${res.status}: ${res.body}`);
      acks.push(performance.now() - t0);
      const lines = await Promise.all(applied);
      times.push(Math.max(...lines.map((l) => l.at)) - t0);
      for (const dp of dps) {
        const got = await http(dp.proxy, 'GET', `/r${r}`);
        if (got.status !== 200) throw new Error(`${dp.name} answered ${got.status} on /r${r} after applying`);
      }
    }
    times.sort((a, b) => a - b);
    acks.sort((a, b) => a - b);
    return { n, times, acks, rssPerDp: (rssAfter - rssBefore) / n };
  } finally {
    await Promise.all(nodes.slice(1).map(stopNode));
    if (nodes[0]) await stopNode(nodes[0]);
    rmSync(dir, { recursive: true, force: true });
  }
}

async function main() {
  const upstream = createServer((req, res) => res.end('ok\n'));
  await new Promise((r) => upstream.listen(0, '127.0.0.1', r));
  const upstreamUrl = `http://127.0.0.1:${upstream.address().port}`;
  console.log(`real processes; ${ROUNDS} Admin API writes (one route each) per N`);
  console.log('N\twrite ack p50 ms\tall DPs applied p50 ms\tp95 ms\tmax ms\tCP RSS/DP KiB');
  try {
    for (const n of NS) {
      const r = await measure(n, upstreamUrl);
      console.log(
        `${r.n}\t${pct(r.acks, 50).toFixed(1)}\t\t\t${pct(r.times, 50).toFixed(1)}\t\t\t${pct(r.times, 95).toFixed(1)}\t${r.times.at(-1).toFixed(1)}\t${r.rssPerDp.toFixed(0)}`,
      );
    }
  } finally {
    upstream.close();
  }
}

await main();
