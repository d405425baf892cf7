import { describe, expect, it } from '@jest/globals';
import { ManualScheduler } from '../healthcheck/scheduler.js';
import type { PickContext, Target, TargetEntity } from './balancer.js';
import { createBalancer } from './create-balancer.js';
import { parseTarget } from './parse-target.js';

function ctx(over: Partial<PickContext> = {}): PickContext {
  return { clientIp: '10.0.0.1', headers: {}, path: '/', query: '', consumerId: null, tried: [], ...over };
}

function targets(...spec: [string, number][]): TargetEntity[] {
  return spec.map(([target, weight], i) => ({ id: `t${i}`, target, weight }));
}

function count(picks: (Target | null)[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const p of picks) {
    const k = p === null ? 'null' : `${p.host}:${p.port}`;
    out[k] = (out[k] ?? 0) + 1;
  }
  return out;
}

describe('round-robin', () => {
  it('spreads 3000 picks by weight (100/50/0) and never picks weight 0', () => {
    const b = createBalancer({}, targets(['10.0.0.1:80', 100], ['10.0.0.2:80', 50], ['10.0.0.3:80', 0]));
    const c = count(Array.from({ length: 3000 }, () => b.pick(ctx())));
    expect(c).toEqual({ '10.0.0.1:80': 2000, '10.0.0.2:80': 1000 });
    b.close();
  });

  it('interleaves heavy targets smoothly instead of in bursts', () => {
    const b = createBalancer({}, targets(['10.0.0.1:80', 5], ['10.0.0.2:80', 1], ['10.0.0.3:80', 1]));
    const seq = Array.from({ length: 7 }, () => b.pick(ctx())!.host.slice(-1)).join('');
    expect(seq).toBe('1121311');
    b.close();
  });

  it('avoids targets already tried in this request, and returns null when nothing is left', () => {
    const b = createBalancer({}, targets(['10.0.0.1:80', 100], ['10.0.0.2:80', 100]));
    const first = b.pick(ctx())!;
    const second = b.pick(ctx({ tried: [first] }))!;
    expect(second).not.toBe(first);
    expect(b.pick(ctx({ tried: [first, second] }))).toBeNull();
    b.close();
  });
});

describe('consistent-hashing', () => {
  const upstream = (over: Record<string, unknown> = {}) => ({
    algorithm: 'consistent-hashing',
    hash_on: 'header',
    hash_on_header: 'X-User',
    ...over,
  });
  const five = () => targets(...[1, 2, 3, 4, 5].map((i) => [`10.0.0.${i}:80`, 100] as [string, number]));

  it('maps a key to the same target every time, and spreads keys evenly', () => {
    const b = createBalancer(upstream(), five());
    const keys = Array.from({ length: 2000 }, (_, i) => `user-${i}`);
    const first = keys.map((k) => b.pick(ctx({ headers: { 'x-user': k } })));
    const again = keys.map((k) => b.pick(ctx({ headers: { 'x-user': k } })));
    expect(again).toEqual(first);
    for (const n of Object.values(count(first))) expect(Math.abs(n - 400)).toBeLessThan(120);
    b.close();
  });

  it('remaps only about 1/n of the keys when a target is removed', () => {
    const b = createBalancer(upstream(), five());
    const keys = Array.from({ length: 2000 }, (_, i) => `user-${i}`);
    const before = keys.map((k) => b.pick(ctx({ headers: { 'x-user': k } }))!.host);
    b.update(five().slice(0, 4));
    const after = keys.map((k) => b.pick(ctx({ headers: { 'x-user': k } }))!.host);
    let moved = 0;
    for (let i = 0; i < keys.length; i++) {
      if (before[i] !== after[i]) {
        moved++;
        expect(before[i]).toBe('10.0.0.5'); // only keys of the removed target move
      }
    }
    expect(moved / keys.length).toBeGreaterThan(0.1);
    expect(moved / keys.length).toBeLessThan(0.3);
    b.close();
  });

  it('falls back when the header is absent, and hashes ip, path, query_arg and consumer', () => {
    const b = createBalancer(upstream({ hash_fallback: 'ip' }), five());
    const byIp = b.pick(ctx({ clientIp: '192.0.2.7' }));
    expect(b.pick(ctx({ clientIp: '192.0.2.7' }))).toBe(byIp);
    b.close();
    for (const [over, same, other] of [
      [{ hash_on: 'path' }, ctx({ path: '/a' }), ctx({ path: '/a', clientIp: '1.1.1.1' })],
      [
        { hash_on: 'query_arg', hash_on_query_arg: 'u' },
        ctx({ query: 'u=1&v=2' }),
        ctx({ query: 'v=3&u=1' }),
      ],
      [{ hash_on: 'consumer' }, ctx({ consumerId: 'c1' }), ctx({ consumerId: 'c1', path: '/x' })],
    ] as const) {
      const hb = createBalancer(upstream(over), five());
      expect(hb.pick(same)).toBe(hb.pick(other));
      hb.close();
    }
  });

  it('sets the hash cookie when the client has none, and hashes it when present', () => {
    const b = createBalancer(
      upstream({ hash_on: 'cookie', hash_on_cookie: 'sticky', hash_on_cookie_path: '/app' }),
      five(),
    );
    const c = ctx();
    const first = b.pick(c);
    expect(c.setCookie).toMatch(/^sticky=[0-9a-f-]{36}; Path=\/app$/);
    const value = c.setCookie!.split(';')[0]!;
    const next = ctx({ headers: { cookie: `other=1; ${value}` } });
    expect(b.pick(next)).toBe(first);
    expect(next.setCookie).toBeUndefined();
    b.close();
  });

  it('walks on to the next target when the owner was tried', () => {
    const b = createBalancer(upstream(), five());
    const c = ctx({ headers: { 'x-user': 'k' } });
    const owner = b.pick(c)!;
    const next = b.pick({ ...c, tried: [owner] });
    expect(next).not.toBeNull();
    expect(next).not.toBe(owner);
    b.close();
  });
});

describe('least-connections', () => {
  it('sends new requests where the fewest are in flight, by weight', () => {
    const b = createBalancer(
      { algorithm: 'least-connections' },
      targets(['10.0.0.1:80', 200], ['10.0.0.2:80', 100]),
    );
    const held = Array.from({ length: 30 }, () => b.pick(ctx())!);
    const c = count(held);
    expect(c).toEqual({ '10.0.0.1:80': 20, '10.0.0.2:80': 10 });
    // Releasing everything on .2 makes it the least loaded.
    for (const p of held.filter((p) => p.host === '10.0.0.2')) b.release(p);
    expect(b.pick(ctx())!.host).toBe('10.0.0.2');
    b.close();
  });
});

describe('targets and DNS', () => {
  it('parses host, port and bracketed IPv6 with Kong default port 8000', () => {
    expect(parseTarget('example.com')).toEqual({ host: 'example.com', port: 8000 });
    expect(parseTarget('example.com:81')).toEqual({ host: 'example.com', port: 81 });
    expect(parseTarget('[::1]:9000')).toEqual({ host: '::1', port: 9000 });
    expect(parseTarget('::1')).toEqual({ host: '::1', port: 8000 });
  });

  it('resolves hostnames, refreshes them on schedule, and reports DNS_ERROR', async () => {
    const scheduler = new ManualScheduler();
    const answers: Record<string, string[] | Error> = {
      'api.test': ['10.1.0.1', '10.1.0.2'],
      'gone.test': new Error('ENOTFOUND'),
    };
    const b = createBalancer({}, targets(['api.test:8080', 100], ['gone.test:80', 100]), {
      scheduler,
      dnsRefreshMs: 1000,
      resolve: async (h) => {
        const a = answers[h];
        if (a instanceof Error) throw a;
        return a ?? [];
      },
    });
    await b.ready();
    expect(count(Array.from({ length: 4 }, () => b.pick(ctx())))).toEqual({
      '10.1.0.1:8080': 2,
      '10.1.0.2:8080': 2,
    });
    expect(b.health().map((t) => t.health)).toEqual(['HEALTHCHECKS_OFF', 'DNS_ERROR']);
    answers['api.test'] = ['10.1.0.3'];
    scheduler.advance(1000);
    await b.ready();
    expect(b.pick(ctx())!.host).toBe('10.1.0.3');
    b.close();
    expect(scheduler.activeTimers).toBe(0);
  });
});
