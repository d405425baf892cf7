// Helpers for benchmarks that run `hybridgate start` processes: a node whose JSON log lines can be
// awaited (stamped with their arrival time), the environments of a CP and a DP sharing one cluster
// certificate, a plain HTTP call, and a graceful stop.
import { execFileSync, spawn } from 'node:child_process';
import { request } from 'node:http';
import { dirname, join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

/** The repository root (benchmarks import from its node_modules and run its bin/). */
export const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
/** The CLI the benchmarks start: HG_BENCH_CLI (another build tree) or this tree's bin/hybridgate.js. */
export const CLI = resolve(process.env.HG_BENCH_CLI || join(REPO_ROOT, 'bin', 'hybridgate.js'));

// Every node still running; killed when the benchmark exits, even on a crash between start and stop.
const live = new Set();
process.on('exit', () => {
  for (const child of live) child.kill('SIGKILL');
});

/** Starts `cli start` with `env`; returns { name, child, lines, waitFor(pred, what, timeoutMs) }. */
export function startNode(cli, name, env) {
  const child = spawn(process.execPath, [cli, 'start'], {
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
        // The last lines usually say why (a refused connection, a config error).
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

/**
 * Makes the shared cluster certificate in `dir` with `cli hybrid gen_cert`; returns the env every node
 * of the cluster needs (certificate, key, info logs so the awaited lines are written).
 */
export function clusterEnv(cli, dir) {
  const cert = join(dir, 'cluster.crt');
  const key = join(dir, 'cluster.key');
  execFileSync(process.execPath, [cli, 'hybrid', 'gen_cert', cert, key], { stdio: 'ignore' });
  return { HYBRIDGATE_CLUSTER_CERT: cert, HYBRIDGATE_CLUSTER_CERT_KEY: key, HYBRIDGATE_LOG_LEVEL: 'info' };
}

/** The env of a CP with its prefix in `dir`/cp and the Admin API and cluster listeners on loopback port 0. */
export function controlPlaneEnv(common, dir) {
  return {
    ...common,
    HYBRIDGATE_ROLE: 'control_plane',
    HYBRIDGATE_PREFIX: join(dir, 'cp'),
    HYBRIDGATE_ADMIN_LISTEN: '127.0.0.1:0',
    HYBRIDGATE_CLUSTER_LISTEN: '127.0.0.1:0',
    HYBRIDGATE_CLUSTER_TELEMETRY_LISTEN: 'off',
  };
}

/** The env of DP `name` (prefix `dir`/`name`, proxy on loopback port 0) connecting to the CP's cluster port. */
export function dataPlaneEnv(common, dir, name, clusterPort) {
  return {
    ...common,
    HYBRIDGATE_ROLE: 'data_plane',
    HYBRIDGATE_DATABASE: 'off',
    HYBRIDGATE_PREFIX: join(dir, name),
    HYBRIDGATE_PROXY_LISTEN: '127.0.0.1:0',
    HYBRIDGATE_CLUSTER_CONTROL_PLANE: `127.0.0.1:${clusterPort}`,
  };
}

/** One HTTP request on a fresh connection; resolves { status, body }. */
export function http(port, method, path, body) {
  const payload = body === undefined ? undefined : JSON.stringify(body);
  return new Promise((ok, fail) => {
    const headers = payload
      ? { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload) }
      : {};
    const req = request({ host: '127.0.0.1', port, method, path, agent: false, headers }, (res) => {
      let text = '';
      res.on('data', (c) => (text += c));
      res.on('end', () => ok({ status: res.statusCode, body: text }));
    });
    req.on('error', fail);
    req.end(payload);
  });
}

/** SIGTERM, then SIGKILL after 5 s; resolves when the process has exited. */
export function stopNode(node) {
  return new Promise((done) => {
    if (node.child.exitCode !== null) return done();
    const t = setTimeout(() => node.child.kill('SIGKILL'), 5000);
    node.child.once('exit', () => {
      clearTimeout(t);
      done();
    });
    node.child.kill('SIGTERM');
  });
}
