import { describe, expect, it, jest } from '@jest/globals';
import { literalPrefix, PrefixIndex } from './prefix-index.js';
import { Router } from './router.js';

function prefixesOf(index: PrefixIndex<string>, path: string): string[] {
  const out: string[] = [];
  for (let e = index.first(path); e >= 0; e = index.next(e)) out.push(index.prefixAt(e));
  return out;
}

describe('PrefixIndex', () => {
  const all = ['/', '/a', '/a/b', '/a/bc', '/ab', '/a/b/c/d', '/b', '/a/b/c'];
  const index = new PrefixIndex<string>();
  for (const p of all) index.add(p, p);
  index.seal();

  it('finds every prefix of a path, longest first, and nothing else', () => {
    const cases: Record<string, string[]> = {
      '/a/b/c/x': ['/a/b/c', '/a/b', '/a', '/'],
      '/a/bcd': ['/a/bc', '/a/b', '/a', '/'],
      '/a/b/d': ['/a/b', '/a', '/'],
      '/abc': ['/ab', '/a', '/'],
      '/a': ['/a', '/'],
      '/c': ['/'],
      '': [],
      '/a/b/c/d/e': ['/a/b/c/d', '/a/b/c', '/a/b', '/a', '/'],
    };
    for (const [path, expected] of Object.entries(cases)) expect(prefixesOf(index, path)).toEqual(expected);
  });

  it('agrees with a linear scan on generated paths', () => {
    const chars = ['/', 'a', 'b', 'c'];
    for (let n = 0; n < 400; n++) {
      let path = '';
      for (let k = n; k > 0; k = Math.floor(k / 4)) path += chars[k % 4];
      const expected = all.filter((p) => path.startsWith(p)).sort((x, y) => y.length - x.length);
      expect(prefixesOf(index, path)).toEqual(expected);
    }
  });

  it('keeps every value added under one prefix', () => {
    const i = new PrefixIndex<number>();
    i.add('/x', 1);
    i.add('/x', 2);
    i.seal();
    expect(i.valuesAt(i.first('/x/y'))).toEqual([1, 2]);
    expect(i.first('/y')).toBe(-1);
  });
});

describe('literalPrefix', () => {
  it('takes the plain characters a match must start with', () => {
    expect(literalPrefix('/items/(?<id>\\d+)$')).toBe('/items/');
    expect(literalPrefix('/v\\.1/users')).toBe('/v.1/users');
    expect(literalPrefix('/api/vs?/x')).toBe('/api/v');
    expect(literalPrefix('/files/\\d+')).toBe('/files/');
    expect(literalPrefix('/a+')).toBe('/');
  });

  it('gives up on alternations, leading groups and classes', () => {
    expect(literalPrefix('/a|/b')).toBe('');
    expect(literalPrefix('(/a)/b')).toBe('');
    expect(literalPrefix('[/]x')).toBe('');
    expect(literalPrefix('/x/(a|b)')).toBe('');
    expect(literalPrefix('.*')).toBe('');
  });
});

describe('Router index', () => {
  it('runs no regex whose literal does not start the path, nor any of host-less routes a host route outranks', () => {
    const routes = [
      { id: 'host', hosts: ['a.test'], paths: ['/api'], service: { id: 's' } },
      ...Array.from({ length: 200 }, (_, i) => ({
        id: `re${i}`,
        paths: [`~/re/${i}/\\d+$`],
        service: { id: 's' },
      })),
      ...Array.from({ length: 50 }, (_, i) => ({
        id: `hre${i}`,
        hosts: ['a.test'],
        paths: [`~/items/${i}/\\d+$`],
        service: { id: 's' },
      })),
    ];
    const router = new Router(routes, [{ id: 's', host: 'up.test' }], { cacheSize: 0 });
    const exec = jest.spyOn(RegExp.prototype, 'exec');
    try {
      const req = { method: 'GET', headers: {}, sni: undefined, scheme: 'http' as const };
      expect(router.match({ ...req, host: 'a.test', path: '/api/x' })?.route.id).toBe('host');
      const afterHostMatch = exec.mock.calls.length;
      expect(router.match({ ...req, host: 'a.test', path: '/items/7/42' })?.route.id).toBe('hre7');
      expect(router.match({ ...req, host: 'b.test', path: '/re/123/9' })?.route.id).toBe('re123');
      // The prefix route's request ran no regex at all; the two regex requests ran one each (the
      // literal index leaves out the other 249).
      expect(afterHostMatch).toBe(0);
      expect(exec.mock.calls.length).toBe(2);
    } finally {
      exec.mockRestore();
    }
  });
});
