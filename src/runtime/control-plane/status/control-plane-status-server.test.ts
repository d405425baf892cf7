import { afterEach, describe, expect, it } from '@jest/globals';
import { request } from 'node:http';
import pino from 'pino';
import { Counter, Registry } from 'prom-client';
import { parseListenEntry } from '../../config/conf/listen-parser.js';
import type { StatusHttpServer } from '../../status-api/status-http-server.js';
import type { Store } from '../store/store.js';
import { CLUSTER_NOT_LISTENING, startControlPlaneStatusServer } from './control-plane-status-server.js';

const started: StatusHttpServer[] = [];
afterEach(async () => {
  await Promise.all(started.splice(0).map((s) => s.close()));
});

const LISTEN = parseListenEntry('127.0.0.1:0', () => undefined);

/** A store whose ping the test decides: only ping is read by the status API. */
function storeAnswering(ping: () => Promise<boolean>): Store {
  return { ping } as unknown as Store;
}

async function get(port: number, path: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, agent: false }, (res) => {
      let body = '';
      res.on('data', (c: Buffer) => (body += c.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

async function start(state: { store: Store | null; listening: boolean }, registry = new Registry()) {
  const s = await startControlPlaneStatusServer({
    listen: [LISTEN],
    logger: pino({ level: 'silent' }),
    store: () => state.store,
    clusterListening: () => state.listening,
    registry,
    pingTimeoutMs: 100,
  });
  started.push(s);
  return s.addresses[0]!.port;
}

describe('control plane status API', () => {
  it('is live before the store opens and ready only with the store and the cluster listener', async () => {
    const state = { store: null as Store | null, listening: false };
    const port = await start(state);
    const status = await get(port, '/status');
    expect(status.status).toBe(200);
    expect(JSON.parse(status.body).database).toEqual({ reachable: false });
    expect(await get(port, '/status/ready')).toEqual({
      status: 503,
      body: '{"message":"failed to connect to database"}',
    });
    state.store = storeAnswering(async () => true);
    expect(await get(port, '/status/ready')).toEqual({
      status: 503,
      body: JSON.stringify({ message: CLUSTER_NOT_LISTENING }),
    });
    state.listening = true;
    expect(await get(port, '/status/ready')).toEqual({ status: 200, body: '{"message":"ready"}' });
    const body = JSON.parse((await get(port, '/status')).body);
    expect(body.database).toEqual({ reachable: true });
    // Its own requests are counted: four before this one, and this one.
    expect(body.server.total_requests).toBe(5);
  });

  it('treats a failing or hanging database as unreachable', async () => {
    const state = { store: storeAnswering(() => Promise.reject(new Error('boom'))), listening: true };
    const port = await start(state);
    expect((await get(port, '/status/ready')).status).toBe(503);
    let release: (v: boolean) => void = () => undefined;
    state.store = storeAnswering(() => new Promise<boolean>((r) => (release = r)));
    const t0 = performance.now();
    expect((await get(port, '/status/ready')).status).toBe(503);
    expect(performance.now() - t0).toBeLessThan(2000);
    release(true);
  });

  it('serves the given registry on /metrics', async () => {
    const registry = new Registry();
    new Counter({ name: 'kong_probe_test_total', help: 'test', registers: [registry] }).inc(3);
    const port = await start({ store: storeAnswering(async () => true), listening: true }, registry);
    const m = await get(port, '/metrics');
    expect(m.status).toBe(200);
    expect(m.body).toContain('kong_probe_test_total 3');
    expect((await get(port, '/nope')).status).toBe(404);
  });
});
