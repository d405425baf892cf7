// Helpers for benchmarks that run `hybridgate start` processes: a node whose JSON log lines can be
// awaited (stamped with their arrival time), a plain HTTP call, and a graceful stop.
import { spawn } from 'node:child_process';
import { request } from 'node:http';
import { createInterface } from 'node:readline';

/** Starts `cli start` with `env`; returns { name, child, lines, waitFor(pred, what, timeoutMs) }. */
export function startNode(cli, name, env) {
  const child = spawn(process.execPath, [cli, 'start'], {
    env: { PATH: process.env.PATH ?? '', ...env },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
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
        fail(new Error(`${name}: timed out waiting for ${what}`));
      }, timeoutMs);
      node.waiters.add(check);
      check();
    });
  return node;
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
