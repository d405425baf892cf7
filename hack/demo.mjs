#!/usr/bin/env node
// `make demo`: a control plane and two data planes on this machine, in shared-certificate hybrid mode,
// in front of a local echo upstream, loaded with a sample configuration. Prints what to try, runs until
// Ctrl-C, and stops everything it started. Uses only the built CLI (dist/), as a user would.
import { spawn, execFileSync } from 'node:child_process';
import { createWriteStream, mkdirSync, rmSync, readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { createServer as createNetServer } from 'node:net';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const work = join(root, '.tmp', 'demo');
const cli = join(root, 'bin', 'hybridgate.js');

const PORTS = { upstream: 9000, admin: 8001, cluster: 8005, dp1: 8000, dp2: 8010, status1: 8100, status2: 8110 };
const children = [];
let upstream;

function say(msg) {
  process.stdout.write(`==> ${msg}\n`);
}

async function assertFree(name, port) {
  await new Promise((ok, fail) => {
    const srv = createNetServer();
    srv.once('error', () => fail(new Error(`port ${port} (${name}) is in use: stop what uses it, then run make demo again`)));
    srv.listen(port, '127.0.0.1', () => srv.close(ok));
  });
}

function startNode(name, env) {
  const logFile = join(work, `${name}.log`);
  const child = spawn(process.execPath, [cli, 'start'], {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  child.stderr.pipe(createWriteStream(logFile));
  child.on('exit', (code, signal) => {
    if (!shuttingDown) {
      const tail = readFileSync(logFile, 'utf8').split('\n').slice(-20).join('\n');
      process.stderr.write(`${name} exited (code=${code} signal=${signal}); the end of ${logFile}:\n${tail}\n`);
      shutdown(1);
    }
  });
  children.push(child);
  return child;
}

async function waitFor(what, fn, timeoutMs = 20000) {
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

let shuttingDown = false;
async function shutdown(code) {
  if (shuttingDown) return;
  shuttingDown = true;
  say('stopping the demo');
  for (const child of children) child.kill('SIGTERM');
  await Promise.all(children.map((c) => (c.exitCode === null ? new Promise((r) => c.once('exit', r)) : null)));
  upstream?.close();
  process.exit(code);
}
process.on('SIGINT', () => shutdown(0));
process.on('SIGTERM', () => shutdown(0));

async function main() {
  for (const [name, port] of Object.entries(PORTS)) await assertFree(name, port);
  rmSync(work, { recursive: true, force: true });
  mkdirSync(work, { recursive: true });

  say(`starting an echo upstream on 127.0.0.1:${PORTS.upstream}`);
  upstream = createServer((req, res) => {
    const body = JSON.stringify({ method: req.method, url: req.url, headers: req.headers }, null, 2);
    res.writeHead(200, { 'content-type': 'application/json' }).end(body + '\n');
  });
  await new Promise((r) => upstream.listen(PORTS.upstream, '127.0.0.1', r));

  say('generating the shared cluster certificate (hybridgate hybrid gen_cert)');
  execFileSync(process.execPath, [cli, 'hybrid', 'gen_cert', join(work, 'cluster.crt'), join(work, 'cluster.key')], {
    stdio: 'inherit',
  });
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
    HYBRIDGATE_CLUSTER_TELEMETRY_LISTEN: 'off',
  });
  await waitFor('the Admin API', async () => (await fetch(`http://127.0.0.1:${PORTS.admin}/`)).ok);

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
      HYBRIDGATE_CLUSTER_TELEMETRY_ENDPOINT: `127.0.0.1:${PORTS.cluster + 1}`,
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
  shutdown(1);
});
