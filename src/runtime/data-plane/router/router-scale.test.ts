import { describe, it, expect } from '@jest/globals';
import { Router } from './router.js';
import { syntheticRequests, syntheticRoutes } from './synthetic-routes.js';

function timePerMatch(router: Router, reqs: ReturnType<typeof syntheticRequests>): number {
  const start = process.hrtime.bigint();
  for (const r of reqs)
    router.match({
      method: r.method,
      host: r.host,
      path: r.path,
      headers: r.headers,
      sni: undefined,
      scheme: 'http',
    });
  return Number(process.hrtime.bigint() - start) / reqs.length;
}

describe('Router with 10,000 routes', () => {
  it('matches every sampled request to its route', () => {
    const { routes, services } = syntheticRoutes(10_000);
    const router = new Router(routes, services, { cacheSize: 0 });
    expect(router.size).toBe(10_000);
    for (const r of syntheticRequests(10_000, 2_000)) {
      const m = router.match({
        method: r.method,
        host: r.host,
        path: r.path,
        headers: r.headers,
        sni: undefined,
        scheme: 'http',
      });
      expect(m?.route.id).toBe(r.expected);
    }
    expect(
      router.match({
        method: 'DELETE',
        host: 'h0.example.com',
        path: '/api/v0',
        headers: {},
        sni: undefined,
        scheme: 'http',
      }),
    ).toBeNull();
  });

  it('reports uncached match time for 100 vs 10,000 routes (informational)', () => {
    const lines: string[] = [];
    for (const n of [100, 10_000]) {
      const { routes, services } = syntheticRoutes(n);
      const router = new Router(routes, services, { cacheSize: 0 });
      const reqs = syntheticRequests(n, 5_000);
      timePerMatch(router, reqs);
      lines.push(`${n} routes: ${timePerMatch(router, reqs).toFixed(0)} ns/match`);
    }
    process.stdout.write(`router match time (no cache): ${lines.join(', ')}\n`);
    expect(lines).toHaveLength(2);
  });
});
