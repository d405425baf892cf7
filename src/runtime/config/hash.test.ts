import { describe, expect, it } from '@jest/globals';
import {
  configHashes,
  EMPTY_CONFIG_HASH,
  EntityTextCache,
  hashValue,
  luaNumber,
  updateConfigHashes,
} from './hash.js';

// Expected values were computed outside this code from the algorithm's definition: the canonical
// string written out by hand, then `printf '%s' '<string>' | md5sum` (or python's hashlib for the
// >1 MB collapse case).
describe('config hash', () => {
  it('hashes the canonical serialisation (hand-computed vectors)', () => {
    // "{}"
    expect(hashValue({})).toBe('99914b932bd37a50b983c5e7c90ae93b');
    expect(hashValue([])).toBe('99914b932bd37a50b983c5e7c90ae93b');
    // "id:a;paths:/x;" — a one-element array has no separator.
    expect(hashValue([{ paths: ['/x'], id: 'a' }])).toBe('99072c56da7b8f2b053a0dff8ecc478e');
    // "1;2;3;4;5" — up to five elements, separators only between.
    expect(hashValue([1, 2, 3, 4, 5])).toBe('8121cbeca8c59ed606a12188087241c7');
    // "1;2;3;4;5;6;" — past five, a separator after every element.
    expect(hashValue([1, 2, 3, 4, 5, 6])).toBe('c79fb8044faf9b08d2c625c980992b05');
    // "_format_version:3.0;b:/null/;c:true;d:{};e:1.5;"
    expect(hashValue({ e: 1.5, d: {}, c: true, b: null, _format_version: '3.0' })).toBe(
      '2542ce885535d3d129f3a466fd6b47ef',
    );
    // "x:1e+15;y:0.33333333333333;" — LuaJIT's %.14g number formatting.
    expect(hashValue({ x: 1e15, y: 1 / 3 })).toBe('5c892ec11339faabb706a535125da00e');
  });

  it('collapses the buffer to its binary md5 past 1,000,000 bytes, as Kong does', () => {
    const a = 'a'.repeat(600000);
    // Third element starts with 1,200,002 bytes buffered: buffer := md5_bin("a…;a…;"), then "a…".
    expect(hashValue([a, a, a])).toBe('311405b227a3ad9539cd27c501d538da');
  });

  it('formats numbers as LuaJIT does', () => {
    expect(luaNumber(42)).toBe('42');
    expect(luaNumber(-0.5)).toBe('-0.5');
    expect(luaNumber(1e15)).toBe('1e+15');
    expect(luaNumber(123456789012345.6)).toBe('1.2345678901235e+14');
    expect(luaNumber(0.0001)).toBe('0.0001');
    expect(luaNumber(0.00001)).toBe('1e-05');
    expect(luaNumber(60000)).toBe('60000');
  });

  it('combines section hashes in Kong order; missing sections are zeros', () => {
    const h = configHashes({ routes: [{ id: 'a', paths: ['/x'] }] });
    expect(h.routes).toBe('99072c56da7b8f2b053a0dff8ecc478e');
    expect(h.services).toBe(EMPTY_CONFIG_HASH);
    expect(h.targets).toBe(EMPTY_CONFIG_HASH);
    expect(h.rest).toBe('99914b932bd37a50b983c5e7c90ae93b');
    // md5(routes ‖ 4×zeros ‖ md5("{}"))
    expect(h.config).toBe('2e5569061ad5217c5f9c2873b874daa0');
    // md5(5×zeros ‖ md5("{}"))
    expect(configHashes({}).config).toBe('2da3c26e4dbd6dd6ea3ab60a3dd7fb3e');
  });

  it('does not depend on key order', () => {
    const a = { _format_version: '3.0', services: [{ id: 's', host: 'h', port: 80 }], consumers: [{ username: 'u', id: 'c' }] };
    const b = { consumers: [{ id: 'c', username: 'u' }], services: [{ port: 80, host: 'h', id: 's' }], _format_version: '3.0' };
    expect(configHashes(a)).toEqual(configHashes(b));
  });

  it('isolates sub-hashes: changing a route changes only routes and config', () => {
    const base = {
      _format_version: '3.0',
      services: [{ id: 's', host: 'h' }],
      routes: [{ id: 'r', paths: ['/a'] }],
      plugins: [{ id: 'p', name: 'cors' }],
      upstreams: [{ id: 'u', name: 'up' }],
      targets: [{ id: 't', target: 'a:80' }],
      consumers: [{ id: 'c', username: 'x' }],
    };
    const before = configHashes(base);
    const after = configHashes({ ...base, routes: [{ id: 'r', paths: ['/b'] }] });
    expect(after.routes).not.toBe(before.routes);
    expect(after.config).not.toBe(before.config);
    for (const k of ['services', 'plugins', 'upstreams', 'targets', 'rest'] as const) expect(after[k]).toBe(before[k]);
    const rest = configHashes({ ...base, consumers: [{ id: 'c', username: 'y' }] });
    expect(rest.rest).not.toBe(before.rest);
    expect(rest.routes).toBe(before.routes);
  });

  it('updateConfigHashes re-hashes only the changed keys and gives the bytes configHashes gives', () => {
    const base = {
      _format_version: '3.0',
      services: [{ id: 's', host: 'h' }],
      routes: [{ id: 'r', paths: ['/a'] }],
      consumers: [{ id: 'c', username: 'x' }],
    };
    const h0 = configHashes(base);
    // Still the hand-computed vector through the shared combiner.
    expect(configHashes({ routes: [{ id: 'a', paths: ['/x'] }] }).config).toBe('2e5569061ad5217c5f9c2873b874daa0');
    const routes = { ...base, routes: [{ id: 'r', paths: ['/b'] }] };
    expect(updateConfigHashes(h0, routes, ['routes'])).toEqual(configHashes(routes));
    const { consumers: _dropped, ...noConsumers } = base;
    expect(updateConfigHashes(h0, noConsumers, ['consumers'])).toEqual(configHashes(noConsumers));
    const { routes: _gone, ...noRoutes } = base;
    expect(updateConfigHashes(h0, noRoutes, ['routes']).routes).toBe(EMPTY_CONFIG_HASH);
    expect(updateConfigHashes(h0, base, [])).toEqual(h0);
    // What it was not told about it does not see: the caller owns the list of changed keys.
    expect(updateConfigHashes(h0, routes, ['services']).config).toBe(h0.config);
  });

  it('an EntityTextCache gives the same bytes, across collapse points and non-ASCII text', () => {
    const cache = new EntityTextCache();
    const routes = Array.from({ length: 4000 }, (_, i) => ({
      id: `r${String(i).padStart(5, '0')}`,
      name: i % 7 === 0 ? `rüte-${i}-€` : `route-${i}`,
      paths: [`/p/${i}`, '/x'],
      regex_priority: i / 3,
      service: { id: 's' },
      tags: null,
    }));
    const config = { _format_version: '3.0', routes, consumers: routes.map((r) => ({ ...r, id: `c${r.id}` })) };
    const plain = configHashes(config);
    expect(configHashes(config, cache)).toEqual(plain);
    // Warm cache: texts reused, collapse points still where Kong puts them (over 1 MB per section).
    expect(configHashes(config, cache)).toEqual(plain);
    const a = 'a'.repeat(600000);
    expect(hashValue([{ a }, { a }, { a }], cache)).toBe(hashValue([{ a }, { a }, { a }]));
    const changed = { ...config, routes: [...routes.slice(1), { ...routes[0]!, id: 'z' }] };
    expect(updateConfigHashes(plain, changed, ['routes'], cache)).toEqual(configHashes(changed));
  });

  it('hashes 100,000 entities quickly (timing printed, not asserted)', () => {
    const routes = Array.from({ length: 50000 }, (_, i) => ({
      id: `00000000-0000-4000-8000-${String(i).padStart(12, '0')}`,
      name: `route-${i}`,
      paths: [`/p/${i}`],
      methods: ['GET', 'POST'],
      strip_path: true,
      service: { id: 'svc' },
      tags: null,
    }));
    const services = Array.from({ length: 50000 }, (_, i) => ({ id: `s${i}`, host: `h${i}.internal`, port: 80, retries: 5 }));
    const start = process.hrtime.bigint();
    const h = configHashes({ _format_version: '3.0', routes, services });
    const ms = Number(process.hrtime.bigint() - start) / 1e6;
    console.log(`config hash of 100000 entities: ${ms.toFixed(0)} ms`);
    expect(h.config).toMatch(/^[0-9a-f]{32}$/);
  });
});
