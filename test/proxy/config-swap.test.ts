import { afterEach, describe, expect, it } from '@jest/globals';
import { startProxy, startUpstream, type TestUpstream } from './helpers/harness.js';
import type { DataPlaneConfig } from '../../src/runtime/data-plane/engine/types.js';

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  while (cleanups.length > 0) await cleanups.pop()!();
});

/** Version `v` of a config: the route set changes every time, alternating between two upstreams. */
function version(v: number, a: TestUpstream, b: TestUpstream): DataPlaneConfig {
  const port = v % 2 === 0 ? a.port : b.port;
  return {
    services: [{ id: 's1', name: 'svc', host: '127.0.0.1', port, protocol: 'http' }],
    routes: [
      { id: 'main', paths: ['/load'], strip_path: false, service: { id: 's1' } },
      // Extra routes that differ per version force a real router rebuild on every apply.
      ...Array.from({ length: 50 }, (_, i) => ({
        id: `v${v}-${i}`,
        paths: [`/v${v}/${i}`],
        service: { id: 's1' },
      })),
    ],
  };
}

describe('config swap under load', () => {
  it('finishes an in-flight request on the state it started with', async () => {
    let releaseA: () => void = () => undefined;
    let arrivedA: () => void = () => undefined;
    const arrived = new Promise<void>((r) => {
      arrivedA = r;
    });
    const a = await startUpstream('a', (_req, res) => {
      releaseA = () => res.end('from-a');
      arrivedA();
      return true;
    });
    const b = await startUpstream('b', (_req, res) => (res.end('from-b'), true));
    cleanups.push(
      () => a.close(),
      () => b.close(),
    );
    const p = await startProxy({ config: version(0, a, b) });
    cleanups.push(() => p.close());
    const inFlight = p.fetch('/load');
    await arrived;
    expect((await p.engine.apply(version(1, a, b))).applied).toBe(true);
    expect((await p.fetch('/load')).text).toBe('from-b');
    releaseA();
    expect((await inFlight).text).toBe('from-a');
  });

  it('loses no request while the router is replaced repeatedly', async () => {
    const a = await startUpstream('a');
    const b = await startUpstream('b', (req, res) => {
      // A slow upstream keeps requests in flight across swaps.
      setTimeout(() => res.end('b'), 2);
      return true;
    });
    cleanups.push(
      () => a.close(),
      () => b.close(),
    );
    const p = await startProxy({ config: version(0, a, b) });
    cleanups.push(() => p.close());

    const TOTAL = 1500;
    const SWAPS = 20;
    let sent = 0;
    const failures: string[] = [];
    const served = { a: 0, b: 0 };
    const worker = async (): Promise<void> => {
      while (sent < TOTAL) {
        sent++;
        try {
          const r = await p.fetch('/load');
          if (r.status !== 200) failures.push(`status ${r.status}: ${r.text}`);
          else if (r.text === 'b') served.b++;
          else served.a++;
        } catch (err) {
          failures.push((err as Error).message);
        }
      }
    };
    const swapper = async (): Promise<number> => {
      let applied = 0;
      for (let v = 1; v <= SWAPS; v++) {
        // Spread the swaps over the load: wait until the next slice of requests went out.
        const until = Math.floor((TOTAL * v) / (SWAPS + 1));
        while (sent < until) await new Promise((r) => setImmediate(r));
        const res = await p.engine.apply(version(v, a, b));
        if (res.applied) applied++;
      }
      return applied;
    };
    const [applied] = await Promise.all([swapper(), ...Array.from({ length: 12 }, worker)]);
    expect(failures).toEqual([]);
    expect(applied).toBe(SWAPS);
    expect(served.a + served.b).toBe(TOTAL);
    expect(served.a).toBeGreaterThan(0);
    expect(served.b).toBeGreaterThan(0);
    expect(
      p.engine.current()!.router.match({
        method: 'GET',
        host: 'x',
        path: `/v${SWAPS}/1`,
        headers: {},
        sni: undefined,
        scheme: 'http',
      }),
    ).not.toBeNull();
  });
});
