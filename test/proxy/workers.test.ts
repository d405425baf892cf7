import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import cluster from 'node:cluster';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { pino } from 'pino';
import { request } from 'undici';
import { startDataPlane, type RunningDataPlane } from '../../src/runtime/data-plane/start-data-plane.js';
import { dataPlaneConf } from './helpers/dp-conf.js';
import { simpleConfig, startUpstream, type TestUpstream } from './helpers/harness.js';
import { transpileSrc, type TranspiledSrc } from './helpers/transpile-src.js';

// Real worker processes (node:cluster) with this jest worker as their primary: they run a swc build of
// the current sources, share the proxy listener, and report to the primary's status API.

let src: TranspiledSrc;
let upstream: TestUpstream;
let dp: RunningDataPlane;
let prefix: string;
const logLines: Record<string, unknown>[] = [];
const exits: { pid: number; code: number | null; signal: string | null }[] = [];
const onExit = (w: { process: { pid?: number } }, code: number | null, signal: string | null): void => {
  exits.push({ pid: w.process.pid ?? 0, code, signal });
};

async function poll<T>(what: string, fn: () => Promise<T | null>, timeoutMs = 15_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn().catch(() => null);
    if (v !== null) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

const proxyUrl = (): string => `http://127.0.0.1:${dp.addresses.proxy[0]!.port}`;
const statusUrl = (): string => `http://127.0.0.1:${dp.addresses.status[0]!.port}`;

/** A GET on a fresh connection (the cluster hands each new connection to the next worker). */
async function freshGet(path: string): Promise<number> {
  const r = await request(proxyUrl() + path, { headers: { connection: 'close' }, reset: true });
  await r.body.text();
  return r.statusCode;
}

async function perWorker(): Promise<Map<string, number>> {
  const r = await request(statusUrl() + '/metrics');
  const text = await r.body.text();
  const out = new Map<string, number>();
  for (const m of text.matchAll(/^hybridgate_worker_requests_total\{worker="(\d+)"\} (\d+)$/gm))
    out.set(m[1]!, Number(m[2]));
  return out;
}

/** n fresh-connection GETs that must all answer `status`. */
async function allAnswer(path: string, status: number, n = 10): Promise<boolean> {
  for (let i = 0; i < n; i++) if ((await freshGet(path)) !== status) return false;
  return true;
}

beforeAll(async () => {
  src = await transpileSrc();
  upstream = await startUpstream('up');
  prefix = mkdtempSync(join(tmpdir(), 'hg-workers-'));
  cluster.on('exit', onExit);
  const conf = dataPlaneConf(prefix, { upstream_keepalive_pool_size: 16, worker_processes: 2 });
  const sink = new Writable({
    write(chunk: Buffer, _enc, cb) {
      for (const line of chunk.toString().split('\n'))
        if (line !== '') logLines.push(JSON.parse(line) as Record<string, unknown>);
      cb();
    },
  });
  dp = await startDataPlane(conf, pino({ level: 'warn' }, sink), {
    workerExec: join(src.dir, 'runtime/data-plane/workers/worker-main.js'),
    workerExecArgv: [],
  });
}, 60_000);

afterAll(async () => {
  await dp?.close(2000);
  cluster.off('exit', onExit);
  await upstream?.close();
  rmSync(prefix, { recursive: true, force: true });
  src?.remove();
}, 30_000);

describe('multi-process data plane (worker_processes = 2)', () => {
  it('answers 404 until a config arrives, then both workers serve it', async () => {
    expect(dp.workers?.pids()).toHaveLength(2);
    expect(await freshGet('/')).toBe(404);
    const ready = await request(statusUrl() + '/status/ready');
    await ready.body.text();
    expect(ready.statusCode).toBe(503);
    const r = await dp.engine.apply(simpleConfig(upstream.port));
    expect(r.applied).toBe(true);
    await poll('every worker serving the config', async () => ((await allAnswer('/', 200)) ? true : null));
    const before = await perWorker();
    for (let i = 0; i < 10; i++) expect(await freshGet('/a')).toBe(200);
    const after = await perWorker();
    // Both workers' counters moved: each one served some of the ten connections.
    expect([...after.keys()].sort()).toEqual(['1', '2']);
    for (const id of ['1', '2']) expect(after.get(id)!).toBeGreaterThan(before.get(id) ?? 0);
    // One metric family, summed over the workers: the route's 200s equal both counters' total.
    const text = await (await request(statusUrl() + '/metrics')).body.text();
    expect(text.match(/^# TYPE hybridgate_http_requests_total counter$/gm)).toHaveLength(1);
    const served = Number(
      /^hybridgate_http_requests_total\{service="svc",route="route",code="200"\} (\d+)$/m.exec(text)?.[1],
    );
    const notFound = Number(
      /^hybridgate_http_requests_total\{service="",route="",code="404"\} (\d+)$/m.exec(text)?.[1],
    );
    expect(served + notFound).toBe(after.get('1')! + after.get('2')!);
    expect(text).toMatch(/^hybridgate_data_plane_config_info\{hash="[0-9a-f]{32}"\} 1$/m);
    const status = await request(statusUrl() + '/status');
    const body = (await status.body.json()) as {
      server: { total_requests: number };
      configuration_hash: string;
    };
    expect(body.configuration_hash).toBe(r.hash);
    expect(body.server.total_requests).toBeGreaterThanOrEqual(20);
    // The primary's own recorder (what telemetry taps) gets every worker's exchanges within a second.
    await poll('the exchanges batched to the primary', async () =>
      dp.metrics.totalRequests >= body.server.total_requests ? true : null,
    );
  }, 60_000);

  it('a config change reaches every worker', async () => {
    const cfg = simpleConfig(upstream.port, { paths: ['/v2'] });
    expect((await dp.engine.apply(cfg)).applied).toBe(true);
    await poll('the new route on every worker', async () => ((await allAnswer('/v2', 200)) ? true : null));
    expect(await allAnswer('/', 404)).toBe(true);
  }, 60_000);

  it('a killed worker is restarted, logged, and serves the current config', async () => {
    const [victim] = dp.workers!.pids();
    process.kill(victim!, 'SIGKILL');
    const pids = await poll('a replacement worker', async () => {
      const p = dp.workers!.pids();
      return p.length === 2 && !p.includes(victim!) ? p : null;
    });
    expect(pids).not.toContain(victim);
    const restartLog = logLines.find((l) => l.msg === 'proxy worker exited; restarting it');
    expect(restartLog).toMatchObject({ signal: 'SIGKILL', pid: victim });
    await poll('the replacement serving /v2', async () => ((await allAnswer('/v2', 200)) ? true : null));
    const before = await perWorker();
    for (let i = 0; i < 10; i++) expect(await freshGet('/v2')).toBe(200);
    const after = await perWorker();
    for (const id of ['1', '2']) expect(after.get(id)!).toBeGreaterThan(before.get(id) ?? 0);
  }, 60_000);

  it('close (SIGTERM) lets an in-flight request finish and every worker exits 0', async () => {
    const slow = await startUpstream('slow', (_req, res) => {
      setTimeout(() => res.end('late'), 400);
      return true;
    });
    try {
      await dp.engine.apply(simpleConfig(slow.port, { paths: ['/slow'], name: 'slow' }, { name: 'slowsvc' }));
      await poll('the slow route everywhere', async () => ((await allAnswer('/slow', 200, 4)) ? true : null));
      const pids = dp.workers!.pids();
      const inflight = request(proxyUrl() + '/slow').then(async (r) => ({
        status: r.statusCode,
        text: await r.body.text(),
      }));
      await poll('the request reaching the upstream', async () => (slow.seen.length >= 5 ? true : null));
      await dp.close(5000);
      expect(await inflight).toEqual({ status: 200, text: 'late' });
      // Each worker flushed its last exchanges (the drained one included) to the primary before
      // exiting: every request the upstream saw is in the primary's recorder.
      const text = dp.metrics.render(null);
      const slowOk =
        /^hybridgate_http_requests_total\{service="slowsvc",route="slow",code="200"\} (\d+)$/m.exec(text);
      expect(Number(slowOk?.[1])).toBe(slow.seen.length);
      for (const pid of pids)
        expect(exits.find((e) => e.pid === pid)).toMatchObject({ code: 0, signal: null });
    } finally {
      await slow.close();
    }
  }, 60_000);
});
