import { afterEach, describe, expect, it } from '@jest/globals';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { E2ECluster } from '../cluster/e2e-cluster.js';
import { describeLoad, startLoadLoop, type PodSource } from './load-loop.js';
import { startUpstream, type UpstreamServer } from './upstream-server.js';
import { NotYet, waitFor } from './wait.js';

// The load loop's accounting decides whether the e2e scenarios pass: test it against real loopback
// servers standing in for data plane pods (reachPod maps a pod name to one of them).
const closers: (() => Promise<void>)[] = [];
afterEach(async () => {
  while (closers.length) await closers.pop()!();
});

async function listen(
  handler: Parameters<typeof createServer>[1],
): Promise<{ server: Server; port: number }> {
  const server = createServer(handler);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { server, port: (server.address() as AddressInfo).port };
}

function fakeCluster(ports: Record<string, number>): E2ECluster {
  const no = (): never => {
    throw new Error('not used by the load loop');
  };
  return {
    kubeconfigPath: '',
    binDir: '',
    imageValues: {},
    hostAddress: '127.0.0.1',
    reachPod: (_ns, pod) => {
      const port = ports[pod];
      if (port === undefined) return Promise.reject(new Error(`no pod ${pod}`));
      return Promise.resolve({ host: '127.0.0.1', port, close: () => Promise.resolve() });
    },
    kubectl: no,
    helm: no,
    podLogTail: no,
    stop: () => Promise.resolve(),
  };
}

class FakePods implements PodSource {
  readonly deleted = new Map<string, number>();
  constructor(private readonly names: string[]) {}
  ready() {
    return this.names.filter((n) => !this.deleted.has(n)).map((name) => ({ name }));
  }
  get(name: string) {
    const at = this.deleted.get(name);
    return at === undefined ? {} : { deletionRequestedAt: at };
  }
}

describe('load loop', () => {
  let upstream: UpstreamServer;

  it('excuses failures on a pod only after its deletion was requested', async () => {
    upstream = await startUpstream('127.0.0.1');
    closers.push(() => upstream.close());
    const doomed = await listen((_req, res) =>
      res.writeHead(200, { 'x-hg-e2e-upstream': upstream.id }).end(),
    );
    const pods = new FakePods(['kept', 'doomed']);
    const loop = startLoadLoop({
      cluster: fakeCluster({ kept: upstream.port, doomed: doomed.port }),
      namespace: 'ns',
      tracker: pods,
      pinned: ['kept', 'doomed'],
      path: '/x',
      upstreamId: upstream.id,
      intervalMs: 2,
    });
    await waitFor('answers', () => (loop.okCount() >= 10 ? true : new NotYet(String(loop.okCount()))));
    pods.deleted.set('doomed', Date.now());
    doomed.server.closeAllConnections();
    await new Promise<void>((r) => doomed.server.close(() => r()));
    const after = loop.okCount();
    await waitFor('answers from the kept pod after the deletion', () =>
      loop.okCount() >= after + 10 ? true : new NotYet(String(loop.okCount())),
    );
    const result = await loop.stop();
    expect(result.unexcused).toEqual([]);
    expect(result.failures.length).toBeGreaterThan(0);
    expect(result.failures.every((f) => f.pod === 'doomed' && f.excused)).toBe(true);
    expect(result.okByPod['kept']).toBeGreaterThan(10);
  });

  it('counts an error status, a missing upstream header and a refused connection on a pod that stays', async () => {
    upstream = await startUpstream('127.0.0.1');
    closers.push(() => upstream.close());
    const bad = await listen((req, res) => {
      if (req.url === '/x') res.writeHead(502).end('bad gateway');
    });
    closers.push(() => new Promise<void>((r) => bad.server.close(() => r())));
    const other = await listen((_req, res) => res.writeHead(200).end('not the upstream'));
    closers.push(() => new Promise<void>((r) => other.server.close(() => r())));
    const gone = await listen(() => undefined);
    const gonePort = gone.port;
    await new Promise<void>((r) => gone.server.close(() => r()));
    const pods = new FakePods(['bad', 'other', 'refused']);
    const loop = startLoadLoop({
      cluster: fakeCluster({ bad: bad.port, other: other.port, refused: gonePort }),
      namespace: 'ns',
      tracker: pods,
      path: '/x',
      upstreamId: upstream.id,
      intervalMs: 2,
    });
    // Round robin over three pods: nine failures mean each pod failed at least three times.
    await waitFor('failures on every pod', () =>
      loop.failedCount() >= 9 ? true : new NotYet(`${loop.failedCount()} failures`),
    );
    const result = await loop.stop();
    const reasons = new Set(result.unexcused.map((f) => `${f.pod}:${f.reason.split(':')[0]}`));
    expect(reasons).toContain('bad:status 502');
    expect([...reasons].some((r) => r.startsWith('other:200 without'))).toBe(true);
    expect([...reasons].some((r) => r.startsWith('refused:ECONNREFUSED'))).toBe(true);
    expect(result.ok).toBe(0);
    expect(describeLoad('t', result!)).toMatch(/0 ok, \d+ failed \(0 on pods being deleted/);
  });
});
