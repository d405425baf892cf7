import { describe, it, expect } from '@jest/globals';
import { pino } from 'pino';
import { createDataPlaneEngine } from './create-data-plane-engine.js';
import { fallbackHashes } from './fallback-hashes.js';
import { opensslCert } from '../../../../test/proxy/helpers/openssl-cert.js';
import type { Balancer, ConfigEntity, DataPlaneConfig } from './types.js';

const logger = pino({ level: 'silent' });

function baseConfig(): DataPlaneConfig {
  return {
    services: [{ id: 's1', host: 'up', port: 80, protocol: 'http' }],
    routes: [{ id: 'r1', paths: ['/a'], service: { id: 's1' } }],
    upstreams: [{ id: 'u1', name: 'up' }],
    targets: [
      { id: 't1', target: '127.0.0.1:1', weight: 100, upstream: { id: 'u1' } },
      { id: 't2', target: '127.0.0.1:2', weight: 0, upstream: { id: 'u1' } },
    ],
    plugins: [],
  };
}

describe('createDataPlaneEngine', () => {
  it('applies a config, skips an identical hash, and notifies listeners', async () => {
    const engine = createDataPlaneEngine({ logger });
    const seen: string[] = [];
    engine.onApplied((s) => seen.push(s.hash));
    expect(engine.current()).toBeNull();
    const first = await engine.apply(baseConfig());
    expect(first.applied).toBe(true);
    const state = engine.current()!;
    expect(
      state.router.match({
        method: 'GET',
        host: 'x',
        path: '/a/b',
        headers: {},
        sni: undefined,
        scheme: 'http',
      })?.route.id,
    ).toBe('r1');
    expect(state.plans.get('s1')?.upstreamName).toBe('up');
    expect(
      state.balancers
        .get('up')
        ?.pick({ clientIp: '', headers: {}, path: '/', query: '', consumerId: null, tried: [] }),
    ).toMatchObject({ port: 1 });
    const again = await engine.apply(baseConfig());
    expect(again).toEqual({ applied: false, hash: first.hash });
    expect(seen).toEqual([first.hash]);
  });

  it('rebuilds only the parts whose sub-hashes changed', async () => {
    const built: string[] = [];
    const engine = createDataPlaneEngine({
      logger,
      buildPlugins: (c) => (built.push('plugins'), { count: c.plugins?.length ?? 0 }),
      createBalancer: (u): Balancer => (built.push(`balancer:${String(u.name)}`), { pick: () => null }),
    });
    await engine.apply(baseConfig());
    const s1 = engine.current()!;
    const withPlugin = { ...baseConfig(), plugins: [{ id: 'p1', name: 'cors', config: {} } as ConfigEntity] };
    await engine.apply(withPlugin);
    const s2 = engine.current()!;
    expect(s2.router).toBe(s1.router);
    expect(s2.balancers).toBe(s1.balancers);
    expect(s2.plugins).toEqual({ count: 1 });
    const moreRoutes = {
      ...withPlugin,
      routes: [...withPlugin.routes!, { id: 'r2', paths: ['/b'], service: { id: 's1' } }],
    };
    await engine.apply(moreRoutes);
    expect(engine.current()!.router).not.toBe(s2.router);
    expect(engine.current()!.balancers).toBe(s1.balancers);
    expect(built).toEqual(['balancer:up', 'plugins', 'plugins', 'plugins']);
  });

  it('keeps the old state and reports why when a build fails', async () => {
    const engine = createDataPlaneEngine({ logger });
    const ok = await engine.apply(baseConfig());
    const bad = { ...baseConfig(), routes: [{ id: 'rx', paths: ['~/(broken'], service: { id: 's1' } }] };
    const res = await engine.apply(bad);
    expect(res.applied).toBe(false);
    expect(res.hash).toBe(ok.hash);
    expect(res.error?.code).toBe('HG_ERR_ROUTER_BUILD');
    expect(res.error?.message).toMatch(/route rx/);
    expect(engine.current()!.hash).toBe(ok.hash);
    const badCert = { ...baseConfig(), certificates: [{ id: 'c1', cert: 'nope', key: 'nope' }] };
    expect((await engine.apply(badCert)).error?.code).toBe('HG_ERR_DP_CONFIG_BUILD');
    expect(engine.current()!.hash).toBe(ok.hash);
  });

  it('indexes certificates by exact and wildcard SNI', async () => {
    const a = opensslCert('a.test');
    const w = opensslCert('wild.test');
    const engine = createDataPlaneEngine({ logger });
    const cfg: DataPlaneConfig = {
      ...baseConfig(),
      certificates: [
        { id: 'ca', cert: a.cert, key: a.key },
        { id: 'cw', cert: w.cert, key: w.key },
      ],
      snis: [
        { id: 'n1', name: 'a.test', certificate: { id: 'ca' } },
        { id: 'n2', name: '*.wild.test', certificate: { id: 'cw' } },
      ],
    };
    expect((await engine.apply(cfg)).applied).toBe(true);
    const idx = engine.current()!.certificates;
    expect(idx.lookup('A.test')).toBeDefined();
    expect(idx.lookup('x.y.wild.test')).toBeDefined();
    expect(idx.lookup('x.y.wild.test')).not.toBe(idx.lookup('a.test'));
    expect(idx.lookup('other.test')).toBeUndefined();
  });

  it('uses caller-provided hashes verbatim', async () => {
    const engine = createDataPlaneEngine({ logger });
    const hashes = { ...fallbackHashes(baseConfig()), config: 'f'.repeat(32) };
    expect((await engine.apply(baseConfig(), hashes)).hash).toBe('f'.repeat(32));
  });
});
