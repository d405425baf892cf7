#!/usr/bin/env node
// `make demo`: a control plane and two data planes on this machine, in shared-certificate hybrid mode,
// in front of a local echo upstream, loaded with a sample configuration. Prints what to try, runs until
// Ctrl-C (or SIGTERM), and stops everything it started. Uses only the built CLI (dist/), as a user would.
//
// Environment (all optional):
//   HYBRIDGATE_DEMO_PORT_BASE  first port (default 8000); the demo uses base+0, +1, +5, +6, +10, +100,
//                              +110 and +1000 (data plane 1, Admin API, cluster, telemetry, data plane 2,
//                              their status APIs, the echo upstream)
//   HYBRIDGATE_DEMO_DIR        where certificates, prefixes and logs go (default .tmp/demo), wiped first
//   HYBRIDGATE_DEMO_CLI        the bin/hybridgate.js to run (default: this checkout's)
import { spawn, execFileSync } from 'node:child_process';
import { createWriteStream, mkdirSync, rmSync, readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { createServer as createNetServer } from 'node:net';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const work = resolve(process.env.HYBRIDGATE_DEMO_DIR || join(root, '.tmp', 'demo'));
const cli = resolve(process.env.HYBRIDGATE_DEMO_CLI || join(root, 'bin', 'hybridgate.js'));

// How long a node may take to stop gracefully before the demo kills it.
const STOP_GRACE_MS = 5000;
const OFFSETS = {
  dp1: 0,
  admin: 1,
  cluster: 5,
  telemetry: 6,
  dp2: 10,
  status1: 100,
  status2: 110,
  upstream: 1000,
};

function portBase() {
  const raw = process.env.HYBRIDGATE_DEMO_PORT_BASE;
  if (raw === undefined || raw === '') return 8000;
  const base = Number(raw);
  const top = 65535 - OFFSETS.upstream;
  if (!/^\d+$/.test(raw) || base < 1024 || base > top) {
    throw new Error(
      `HYBRIDGATE_DEMO_PORT_BASE must be an integer from 1024 to ${top}, got ${JSON.stringify(raw)}`,
    );
  }
  return base;
}

const children = [];
let upstream;
let shuttingDown = false;
let PORTS;

function say(msg) {
  process.stdout.write(`==> ${msg}\n`);
}

async function assertFree(name, port) {
  await new Promise((ok, fail) => {
    const srv = createNetServer();
    srv.once('error', () =>
      fail(
        new Error(
          `port ${port} (${name}) is in use: stop what uses it, or pick other ports with HYBRIDGATE_DEMO_PORT_BASE`,
        ),
      ),
    );
    srv.listen(port, '127.0.0.1', () => srv.close(ok));
  });
}

/** The demo's own settings never reach the nodes (they would be unknown conf keys there). */
function nodeEnv(env) {
  const base = Object.fromEntries(
    Object.entries(process.env).filter(([k]) => !k.startsWith('HYBRIDGATE_DEMO_')),
  );
  return { ...base, ...env };
}

function startNode(name, env) {
  const logFile = join(work, `${name}.log`);
  const log = createWriteStream(logFile);
  // Own process group: a terminal's Ctrl-C reaches only the demo, which stops the nodes in order
  // (data planes first, so they say goodbye) instead of every process racing to stop at once.
  const child = spawn(process.execPath, [cli, 'start'], {
    env: nodeEnv(env),
    stdio: ['ignore', 'ignore', 'pipe'],
    detached: true,
  });
  child.stderr.pipe(log);
  child.name = name;
  child.on('close', (code, signal) => {
    if (shuttingDown) return;
    const report = () => {
      const tail = readFileSync(logFile, 'utf8').split('\n').slice(-20).join('\n');
      process.stderr.write(
        `${name} exited (code=${code} signal=${signal}); the end of ${logFile}:\n${tail}\n`,
      );
      void shutdown(1);
    };
    // The log stream may still be flushing what the node wrote last.
    if (log.closed) report();
    else log.once('close', report);
  });
  children.push(child);
  return child;
}

async function waitFor(what, fn, timeoutMs = 30000) {
  const deadline = Date.now() + timeoutMs;
  let last;
  while (Date.now() < deadline) {
    try {
      if (await fn()) return;
    } catch (err) {
      last = err;
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`timed out waiting for ${what}${last ? `: ${last.message}` : ''}`);
}

/** SIGTERM, then SIGKILL after the grace period; resolves once the child is gone. */
function stopChild(child) {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((done) => {
    const timer = setTimeout(() => {
      say(`${child.name} did not stop within ${STOP_GRACE_MS} ms, killing it`);
      child.kill('SIGKILL');
    }, STOP_GRACE_MS);
    child.once('exit', () => {
      clearTimeout(timer);
      done();
    });
    child.kill('SIGTERM');
  });
}

async function shutdown(code) {
  if (shuttingDown) return;
  shuttingDown = true;
  say('stopping the demo');
  // Data planes first (they say goodbye to the control plane), then the control plane.
  const [cp, ...dps] = children;
  await Promise.all(dps.map(stopChild));
  if (cp) await stopChild(cp);
  await new Promise((r) => (upstream ? upstream.close(r) : r()));
  process.exit(code);
}
process.on('SIGINT', () => void shutdown(0));
process.on('SIGTERM', () => void shutdown(0));
// Last resort if the demo itself dies of a bug: no node is left running.
process.on('exit', () => {
  for (const child of children)
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
});

async function main() {
  const base = portBase();
  PORTS = Object.fromEntries(Object.entries(OFFSETS).map(([k, off]) => [k, base + off]));
  for (const [name, port] of Object.entries(PORTS)) await assertFree(name, port);
  rmSync(work, { recursive: true, force: true });
  mkdirSync(work, { recursive: true });

  say(`starting an echo upstream on 127.0.0.1:${PORTS.upstream}`);
  upstream = createServer((req, res) => {
    const body = JSON.stringify({ method: req.method, url: req.url, headers: req.headers }, null, 2);
    res.writeHead(200, { 'content-type': 'application/json' }).end(body + '\n');
  });
  await new Promise((r, fail) => upstream.once('error', fail).listen(PORTS.upstream, '127.0.0.1', r));

  say('generating the shared cluster certificate (hybridgate hybrid gen_cert)');
  execFileSync(
    process.execPath,
    [cli, 'hybrid', 'gen_cert', join(work, 'cluster.crt'), join(work, 'cluster.key')],
    {
      stdio: ['ignore', 'inherit', 'inherit'],
      env: nodeEnv({}),
    },
  );
  const certEnv = {
    HYBRIDGATE_CLUSTER_CERT: join(work, 'cluster.crt'),
    HYBRIDGATE_CLUSTER_CERT_KEY: join(work, 'cluster.key'),
    HYBRIDGATE_LOG_LEVEL: 'info',
  };

  say(`starting the control plane (Admin API 127.0.0.1:${PORTS.admin}, cluster 127.0.0.1:${PORTS.cluster})`);
  startNode('control-plane', {
    ...certEnv,
    HYBRIDGATE_ROLE: 'control_plane',
    HYBRIDGATE_PREFIX: join(work, 'cp'),
    HYBRIDGATE_ADMIN_LISTEN: `127.0.0.1:${PORTS.admin}`,
    HYBRIDGATE_CLUSTER_LISTEN: `127.0.0.1:${PORTS.cluster}`,
    HYBRIDGATE_CLUSTER_TELEMETRY_LISTEN: `127.0.0.1:${PORTS.telemetry}`,
  });
  await waitFor('the Admin API', async () => {
    const r = await fetch(`http://127.0.0.1:${PORTS.admin}/`);
    await r.arrayBuffer();
    return r.ok;
  });

  for (const [i, proxy, status] of [
    [1, PORTS.dp1, PORTS.status1],
    [2, PORTS.dp2, PORTS.status2],
  ]) {
    say(`starting data plane ${i} (proxy 127.0.0.1:${proxy}, status 127.0.0.1:${status})`);
    startNode(`data-plane-${i}`, {
      ...certEnv,
      HYBRIDGATE_ROLE: 'data_plane',
      HYBRIDGATE_DATABASE: 'off',
      HYBRIDGATE_PREFIX: join(work, `dp${i}`),
      HYBRIDGATE_PROXY_LISTEN: `127.0.0.1:${proxy}`,
      HYBRIDGATE_STATUS_LISTEN: `127.0.0.1:${status}`,
      HYBRIDGATE_CLUSTER_CONTROL_PLANE: `127.0.0.1:${PORTS.cluster}`,
      HYBRIDGATE_CLUSTER_TELEMETRY_ENDPOINT: `127.0.0.1:${PORTS.telemetry}`,
    });
  }

  say('loading the sample configuration into the control plane (POST /config)');
  const sample = readFileSync(join(root, 'hack', 'demo', 'kong.yaml'), 'utf8').replaceAll(
    '${UPSTREAM}',
    `http://127.0.0.1:${PORTS.upstream}`,
  );
  const res = await fetch(`http://127.0.0.1:${PORTS.admin}/config`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ config: sample }),
  });
  if (!res.ok) throw new Error(`POST /config answered ${res.status}: ${await res.text()}`);
  await res.arrayBuffer().catch(() => undefined);

  for (const port of [PORTS.dp1, PORTS.dp2]) {
    await waitFor(`data plane on ${port} to serve the config`, async () => {
      const r = await fetch(`http://127.0.0.1:${port}/echo`, { headers: { apikey: 'demo-key' } });
      await r.arrayBuffer();
      return r.status === 200;
    });
  }

  process.stdout.write(`
Hybridgate demo is running: one control plane, two data planes, one echo upstream.

  # the data planes the control plane knows (sync_status, config_hash):
  curl -s http://127.0.0.1:${PORTS.admin}/clustering/data-planes

  # request statistics the data planes stream to the control plane (telemetry, every 10 s):
  curl -s http://127.0.0.1:${PORTS.admin}/clustering/telemetry

  # through data plane 1 and 2 (key-auth protects /echo; /open is public):
  curl -i http://127.0.0.1:${PORTS.dp1}/echo -H 'apikey: demo-key'
  curl -i http://127.0.0.1:${PORTS.dp2}/open
  curl -i http://127.0.0.1:${PORTS.dp1}/echo                 # 401: no key

  # change the configuration on the control plane; both data planes follow within milliseconds:
  curl -s -X POST http://127.0.0.1:${PORTS.admin}/services/echo/routes -d name=extra -d 'paths[]=/extra'
  curl -i http://127.0.0.1:${PORTS.dp2}/extra -H 'apikey: demo-key'

  # readiness and metrics of a data plane:
  curl -s http://127.0.0.1:${PORTS.status1}/status/ready
  curl -s http://127.0.0.1:${PORTS.status1}/metrics | head

Logs (JSON, one file per node): ${work}/*.log. Press Ctrl-C to stop.
`);
}

main().catch((err) => {
  process.stderr.write(`demo failed: ${err.message}\n`);
  void shutdown(1);
});
