import { afterEach, describe, expect, it } from '@jest/globals';
import net from 'node:net';
import type { AddressInfo } from 'node:net';
import { startProxy, startUpstream, simpleConfig, type TestProxy } from './helpers/harness.js';

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  while (cleanups.length > 0) await cleanups.pop()!();
});

async function proxy(opts: Parameters<typeof startProxy>[0]): Promise<TestProxy> {
  const p = await startProxy(opts);
  cleanups.push(() => p.close());
  return p;
}

/** A port that was just bound and released: connecting to it is refused. */
async function closedPort(): Promise<number> {
  const s = net.createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const { port } = s.address() as AddressInfo;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

/** A raw TCP server; `onSocket` decides what it does with each connection. */
async function tcpServer(onSocket: (s: net.Socket) => void): Promise<number> {
  const sockets = new Set<net.Socket>();
  const s = net.createServer((sock) => {
    sockets.add(sock);
    sock.on('error', () => undefined);
    onSocket(sock);
  });
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  cleanups.push(
    () =>
      new Promise<void>((r) => {
        for (const sock of sockets) sock.destroy();
        s.close(() => r());
      }),
  );
  return (s.address() as AddressInfo).port;
}

function upstreamConfig(targets: string[], service: Record<string, unknown> = {}) {
  return {
    services: [
      { id: 's1', name: 'svc', host: 'pool.internal', port: 80, protocol: 'http', retries: 3, ...service },
    ],
    routes: [{ id: 'r1', paths: ['/'], strip_path: false, service: { id: 's1' } }],
    upstreams: [{ id: 'u1', name: 'pool.internal' }],
    targets: targets.map((t, i) => ({ id: `t${i}`, target: t, weight: 100, upstream: { id: 'u1' } })),
  };
}

describe('proxy retries and timeouts', () => {
  it('retries a refused connection on the next target and succeeds', async () => {
    const dead = await closedPort();
    const u = await startUpstream('live');
    cleanups.push(() => u.close());
    const p = await proxy({ config: upstreamConfig([`127.0.0.1:${dead}`, `127.0.0.1:${u.port}`]) });
    for (let i = 0; i < 4; i++) {
      const r = await p.fetch('/ok');
      expect(r.status).toBe(200);
      expect(r.headers['x-upstream']).toBe('live');
      // Host is the target's, not the upstream name (Kong sends the target host when not preserving).
      expect(u.seen.at(-1)!.headers.host).toBe(`127.0.0.1:${u.port}`);
    }
  });

  it('answers 502 once retries on a closed port are exhausted', async () => {
    const dead = await closedPort();
    const p = await proxy({ config: simpleConfig(dead, {}, { retries: 2 }) });
    const r = await p.fetch('/');
    expect(r.status).toBe(502);
    expect(r.json()).toEqual({ message: 'An invalid response was received from the upstream server' });
  });

  it('answers 502 on a malformed upstream response', async () => {
    const port = await tcpServer((s) => s.end('this is not http\r\n\r\n'));
    const p = await proxy({ config: simpleConfig(port, {}, { retries: 0 }) });
    expect((await p.fetch('/')).status).toBe(502);
  });

  it('answers 504 within read_timeout when the upstream never answers', async () => {
    const port = await tcpServer(() => undefined);
    const p = await proxy({ config: simpleConfig(port, {}, { retries: 0, read_timeout: 300 }) });
    const t0 = Date.now();
    const r = await p.fetch('/');
    const elapsed = Date.now() - t0;
    expect(r.status).toBe(504);
    expect(r.json()).toEqual({ message: 'The upstream server is timed out' });
    expect(elapsed).toBeGreaterThanOrEqual(250);
    expect(elapsed).toBeLessThan(3000);
  });

  it('answers 503 when the upstream has no target to pick', async () => {
    const p = await proxy({ config: upstreamConfig([]) });
    const r = await p.fetch('/');
    expect(r.status).toBe(503);
    expect(r.json()).toEqual({ message: 'failure to get a peer from the ring-balancer' });
  });

  it('cuts the client connection when the upstream dies mid-body, and keeps serving', async () => {
    const port = await tcpServer((s) => {
      s.once('data', () => s.end('HTTP/1.1 200 OK\r\ncontent-length: 100\r\n\r\npartial'));
    });
    const p = await proxy({ config: simpleConfig(port, {}, { retries: 0 }) });
    await expect(p.fetch('/')).rejects.toThrow();
    const u = await startUpstream('after');
    cleanups.push(() => u.close());
    await p.engine.apply(simpleConfig(u.port));
    expect((await p.fetch('/')).status).toBe(200);
  });
});
