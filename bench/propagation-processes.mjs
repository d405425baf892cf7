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
import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer, request } from 'node:http';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const CLI = resolve(process.env.HG_BENCH_CLI || join(ROOT, 'bin', 'hybridgate.js'));
const ROUNDS = Number(process.env.HG_BENCH_ROUNDS ?? 20);
const NS = (process.env.HG_BENCH_N ?? '1,10').split(',').map(Number);
const live = new Set();

/** A node process whose stderr lines arrive as parsed JSON, stamped with their arrival time. */
function startNode(name, env) {
  const child = spawn(process.execPath, [CLI, 'start'], {
    env: { PATH: process.env.PATH ?? '', ...env },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  live.add(child);
  child.once('exit', () => live.delete(child));
  const node = { name, child, lines: [], waiters: new Set() };
  createInterface({ input: child.stderr }).on('line', (raw) => {
    let line;
    try {
      line = JSON.parse(raw);
    } catch {
      line = { msg: raw };
    }
    line.at = performance.now();
    node.lines.push(line);
    for (const w of [...node.waiters]) w();
  });
  node.waitFor = (pred, what, timeoutMs = 60_000) =>
    new Promise((ok, fail) => {
      let i = 0;
      const check = () => {
        for (; i < node.lines.length; i++) {
          if (pred(node.lines[i])) {
            node.waiters.delete(check);
            clearTimeout(timer);
            return ok(node.lines[i]);
          }
        }
      };
      const timer = setTimeout(() => {
        node.waiters.delete(check);
        const tail = node.lines
          .slice(-10)
          .map((l) => JSON.stringify(l))
          .join('\n');
        fail(new Error(`${name}: timed out waiting for ${what}\n${tail}`));
      }, timeoutMs);
      node.waiters.add(check);
      check();
    });
  return node;
}

function http(port, method, path, body) {
  const payload = body === undefined ? undefined : JSON.stringify(body);
  return new Promise((ok, fail) => {
    const req = request(
      {
        host: '127.0.0.1',
        port,
        method,
        path,
        agent: false,
        headers: payload
          ? { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload) }
          : {},
      },
      (res) => {
        let text = '';
        res.on('data', (c) => (text += c));
        res.on('end', () => ok({ status: res.statusCode, body: text }));
      },
    );
    req.on('error', fail);
    req.end(payload);
  });
}

const rssKiB = (pid) =>
  Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? NaN);
const pct = (sorted, p) => sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];
const stop = (node) =>
  new Promise((done) => {
    if (node.child.exitCode !== null) return done();
    const t = setTimeout(() => node.child.kill('SIGKILL'), 5000);
    node.child.once('exit', () => {
      clearTimeout(t);
      done();
    });
    node.child.kill('SIGTERM');
  });

async function measure(n, upstreamUrl) {
  const dir = mkdtempSync(join(tmpdir(), 'hg-bench-prop-'));
  const nodes = [];
  try {
    const cert = join(dir, 'cluster.crt');
    const key = join(dir, 'cluster.key');
    execFileSync(process.execPath, [CLI, 'hybrid', 'gen_cert', cert, key], { stdio: 'ignore' });
    const common = {
      HYBRIDGATE_CLUSTER_CERT: cert,
      HYBRIDGATE_CLUSTER_CERT_KEY: key,
      HYBRIDGATE_LOG_LEVEL: 'info',
    };
    const cp = startNode('cp', {
      ...common,
      HYBRIDGATE_ROLE: 'control_plane',
      HYBRIDGATE_PREFIX: join(dir, 'cp'),
      HYBRIDGATE_ADMIN_LISTEN: '127.0.0.1:0',
      HYBRIDGATE_CLUSTER_LISTEN: '127.0.0.1:0',
      HYBRIDGATE_CLUSTER_TELEMETRY_LISTEN: 'off',
    });
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
        const dp = startNode(`dp${j}`, {
          ...common,
          HYBRIDGATE_ROLE: 'data_plane',
          HYBRIDGATE_DATABASE: 'off',
          HYBRIDGATE_PREFIX: join(dir, `dp${j}`),
          HYBRIDGATE_PROXY_LISTEN: '127.0.0.1:0',
          HYBRIDGATE_CLUSTER_CONTROL_PLANE: `127.0.0.1:${cluster}`,
        });
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
    await Promise.all(nodes.slice(1).map(stop));
    if (nodes[0]) await stop(nodes[0]);
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

process.on('exit', () => {
  for (const child of live) child.kill('SIGKILL');
});
await main();
