#!/usr/bin/env node
// Cluster port flood benchmark (not a test): a control plane and one legitimate data plane as real
// processes (`hybridgate start`, real mTLS). Measures Admin API throughput (GET /services at a fixed
// concurrency) and config propagation to the DP (POST a route → the DP's "configuration applied"),
// first quiet, then while a flood process hammers the cluster port with
//   - idle TCP connections that never send (HG_FLOOD_IDLE, default 2000, from 20 loopback addresses,
//     reopened as the CP drops them),
//   - TLS handshakes in a loop without a client certificate or with a self-made one,
//   - a DP-authenticated connection spamming heartbeats (reconnecting when it is closed with 4007),
// and prints flooded/quiet ratios. The DP connects from 127.0.0.1, the flood from 127.0.0.2-21.
//   node bench/cluster-flood.mjs
//   HG_BENCH_CLI=/other/tree/bin/hybridgate.js HG_BENCH_SECONDS=5 node bench/cluster-flood.mjs
import { fork } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:http';
import { connect as netConnect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect as tlsConnect } from 'node:tls';
import { fileURLToPath } from 'node:url';
import {
  CLI,
  clusterEnv,
  controlPlaneEnv,
  dataPlaneEnv,
  http,
  REPO_ROOT as ROOT,
  startNode,
  stopNode,
} from './lib/node-processes.mjs';

const SECONDS = Number(process.env.HG_BENCH_SECONDS ?? 5);
const ROUNDS = Number(process.env.HG_BENCH_ROUNDS ?? 10);
const CONCURRENCY = 16;

/** The flood, in its own process so that it does not share the measuring event loop. */
async function flood({ port, cert, key, idle }) {
  const { WebSocket } = await import(join(ROOT, 'node_modules', 'ws', 'wrapper.mjs'));
  const stats = { idleOpened: 0, handshakes: 0, pingSessions: 0, pings: 0 };
  let stopped = false;
  process.on('message', (m) => {
    if (m === 'stop') {
      stopped = true;
      process.send(stats, () => process.exit(0));
    }
  });
  const from = (i) => `127.0.0.${2 + (i % 20)}`;
  const openIdle = (i) => {
    if (stopped) return;
    const s = netConnect({ host: '127.0.0.1', port, localAddress: from(i) });
    stats.idleOpened++;
    s.on('error', () => undefined);
    // Reopen as soon as the CP drops it (over a limit or at the handshake deadline), after a tick.
    s.once('close', () => setTimeout(() => openIdle(i), 50));
  };
  const handshake = (i) => {
    if (stopped) return;
    const raw = netConnect({ host: '127.0.0.1', port, localAddress: from(i + 7) });
    raw.on('error', () => undefined);
    const s = tlsConnect({ socket: raw, rejectUnauthorized: false, servername: 'kong_clustering' });
    s.on('error', () => undefined);
    s.once('close', () => {
      stats.handshakes++;
      setImmediate(() => handshake(i));
    });
  };
  const pinger = (onOpen = () => undefined) => {
    if (stopped) return;
    const id = crypto.randomUUID();
    const ws = new WebSocket(
      `wss://127.0.0.1:${port}/v1/outlet?node_id=${id}&node_version=0.1.0&node_hostname=flood`,
      {
        cert: readFileSync(cert),
        key: readFileSync(key),
        rejectUnauthorized: false,
        localAddress: '127.0.0.22',
      },
    );
    ws.on('error', () => undefined);
    ws.once('open', () => {
      stats.pingSessions++;
      onOpen();
      ws.send(Buffer.from(JSON.stringify({ type: 'basic_info', plugins: [] })), { binary: true });
      const spam = () => {
        if (ws.readyState !== ws.OPEN) return;
        for (let i = 0; i < 100; i++) ws.ping(Buffer.from('a'.repeat(32)));
        stats.pings += 100;
        setImmediate(spam);
      };
      spam();
    });
    ws.once('close', () => setTimeout(pinger, 10));
  };
  // The authenticated spammer connects first (while the slots are free), then the rest piles on.
  let piledOn = false;
  const pileOn = () => {
    if (piledOn) return;
    piledOn = true;
    for (let i = 0; i < idle; i++) openIdle(i);
    for (let i = 0; i < 32; i++) handshake(i);
  };
  setTimeout(pileOn, 2000);
  pinger(pileOn);
}

/** Admin API requests per second: CONCURRENCY loops of GET /services on keep-alive connections. */
async function adminThroughput(port) {
  const { Pool } = await import(join(ROOT, 'node_modules', 'undici', 'index.js'));
  const pool = new Pool(`http://127.0.0.1:${port}`, { connections: CONCURRENCY });
  const until = performance.now() + SECONDS * 1000;
  let done = 0;
  let failed = 0;
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (performance.now() < until) {
        const r = await pool.request({ method: 'GET', path: '/services' }).catch(() => null);
        if (r === null || r.statusCode !== 200) failed++;
        else done++;
        await r?.body.dump();
      }
    }),
  );
  await pool.close();
  return { rps: done / SECONDS, failed };
}

/** Median ms from an Admin API write to the DP's "configuration applied". */
async function propagation(admin, dp, tag) {
  const times = [];
  for (let r = 1; r <= ROUNDS; r++) {
    const t0 = performance.now();
    const applied = dp.waitFor((l) => l.msg === 'configuration applied' && l.at > t0, `${tag} round ${r}`);
    const res = await http(admin, 'POST', '/services/bench/routes', {
      name: `${tag}${r}`,
      paths: [`/${tag}${r}`],
    });
    if (res.status !== 201) throw new Error(`POST route answered ${res.status}: ${res.body}`);
    times.push((await applied).at - t0);
  }
  times.sort((a, b) => a - b);
  return times[Math.floor(times.length / 2)];
}

async function main() {
  const dir = mkdtempSync(join(tmpdir(), 'hg-bench-flood-'));
  const upstream = createServer((_req, res) => res.end('ok\n'));
  await new Promise((r) => upstream.listen(0, '127.0.0.1', r));
  const nodes = [];
  let flooder = null;
  try {
    const common = clusterEnv(CLI, dir);
    const { HYBRIDGATE_CLUSTER_CERT: cert, HYBRIDGATE_CLUSTER_CERT_KEY: key } = common;
    const cp = startNode(CLI, 'cp', controlPlaneEnv(common, dir));
    nodes.push(cp);
    const started = await cp.waitFor((l) => l.msg === 'node started', 'cp started');
    const admin = started.addresses.admin.port;
    const cluster = started.addresses.cluster.port;
    await http(admin, 'POST', '/services', {
      name: 'bench',
      url: `http://127.0.0.1:${upstream.address().port}`,
    });
    const dp = startNode(CLI, 'dp', dataPlaneEnv(common, dir, 'dp', cluster));
    nodes.push(dp);
    await dp.waitFor((l) => l.msg === 'configuration applied', 'dp first config');

    const quiet = { admin: await adminThroughput(admin), propagation: await propagation(admin, dp, 'q') };
    const idle = Number(process.env.HG_FLOOD_IDLE ?? 2000);
    flooder = fork(
      fileURLToPath(import.meta.url),
      ['--flood', JSON.stringify({ port: cluster, cert, key, idle })],
      {
        stdio: 'inherit',
      },
    );
    // Let the flood build up: wait for the CP to report refusals.
    await cp.waitFor(
      (l) => /refusing connections over its limits/.test(l.msg ?? ''),
      'the flood to bite',
      30_000,
    );
    const flooded = { admin: await adminThroughput(admin), propagation: await propagation(admin, dp, 'f') };
    const stats = await new Promise((ok) => {
      flooder.once('message', ok);
      flooder.send('stop');
    });
    const refusals = cp.lines.filter((l) => /refusing connections over its limits/.test(l.msg ?? '')).length;
    const rateLimited = cp.lines.filter((l) => l.close_code === 4007).length;
    console.log(
      `admin API: GET /services, ${CONCURRENCY} concurrent, ${SECONDS} s; propagation: median of ${ROUNDS} writes`,
    );
    console.log('\tadmin req/s\tadmin failures\tpropagation ms');
    console.log(
      `quiet\t${quiet.admin.rps.toFixed(0)}\t\t${quiet.admin.failed}\t\t${quiet.propagation.toFixed(1)}`,
    );
    console.log(
      `flooded\t${flooded.admin.rps.toFixed(0)}\t\t${flooded.admin.failed}\t\t${flooded.propagation.toFixed(1)}`,
    );
    console.log(
      `ratio flooded/quiet: admin throughput ${(flooded.admin.rps / quiet.admin.rps).toFixed(2)}, ` +
        `propagation time ${(flooded.propagation / quiet.propagation).toFixed(2)}`,
    );
    console.log(
      `flood: ${stats.idleOpened} idle sockets opened, ${stats.handshakes} certificate-less handshakes, ` +
        `${stats.pingSessions} heartbeat-spamming sessions (${stats.pings} pings sent); CP: ${refusals} refusal summary lines, ` +
        `${rateLimited} sessions closed 4007; DP still connected: ${dp.lines.every((l) => l.msg !== 'lost connection to control plane, reconnecting')}`,
    );
  } catch (err) {
    for (const n of nodes) {
      const tail = n.lines
        .filter((l) => l.level >= 40 || /connect|applied|refusing/.test(l.msg ?? ''))
        .slice(-8);
      console.error(`--- ${n.name}\n${tail.map((l) => JSON.stringify(l)).join('\n')}`);
    }
    throw err;
  } finally {
    if (flooder && flooder.exitCode === null) flooder.kill('SIGKILL');
    for (const n of nodes.reverse()) await stopNode(n);
    upstream.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

if (process.argv[2] === '--flood') await flood(JSON.parse(process.argv[3]));
else await main();
