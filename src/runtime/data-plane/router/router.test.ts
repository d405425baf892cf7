import { describe, it, expect } from '@jest/globals';
import { Router } from './router.js';
import { RouterBuildError } from './router-error.js';
import { joinUpstreamPath } from './upstream-path.js';
import type { MatchRequest, RouterRoute, RouterService } from './types.js';

const svc: RouterService = { id: 's1', host: 'upstream.test', port: 80, path: null };
const svcPath: RouterService = { id: 's2', host: 'upstream.test', port: 80, path: '/s' };

function route(id: string, fields: Partial<RouterRoute>): RouterRoute {
  return { id, service: { id: 's1' }, created_at: 1, ...fields };
}

function req(fields: Partial<MatchRequest>): MatchRequest {
  return {
    method: 'GET',
    host: 'example.com',
    path: '/',
    headers: {},
    sni: undefined,
    scheme: 'http',
    ...fields,
  };
}

function winner(routes: RouterRoute[], r: Partial<MatchRequest>): string | null {
  return new Router(routes, [svc, svcPath]).match(req(r))?.route.id ?? null;
}

describe('Router categories', () => {
  it('matches exact hosts, with or without a port in the Host header', () => {
    const routes = [route('a', { hosts: ['example.com'] }), route('b', { hosts: ['other.com:8080'] })];
    expect(winner(routes, { host: 'example.com' })).toBe('a');
    expect(winner(routes, { host: 'EXAMPLE.com:9000' })).toBe('a');
    expect(winner(routes, { host: 'other.com:8080' })).toBe('b');
    expect(winner(routes, { host: 'other.com' })).toBeNull();
    expect(winner(routes, { host: 'nope.com' })).toBeNull();
  });

  it('matches leading and trailing wildcard hosts, preferring plain hosts', () => {
    const routes = [
      route('lead', { hosts: ['*.example.com'] }),
      route('trail', { hosts: ['api.*'] }),
      route('plain', { hosts: ['www.example.com'] }),
    ];
    expect(winner(routes, { host: 'a.b.example.com' })).toBe('lead');
    expect(winner(routes, { host: 'example.com' })).toBeNull();
    expect(winner(routes, { host: 'api.org' })).toBe('trail');
    expect(winner(routes, { host: 'www.example.com' })).toBe('plain');
    const r = new Router(routes, [svc]).match(req({ host: 'x.example.com' }));
    expect(r?.matchedHost).toBe('*.example.com');
  });

  it('matches prefix paths, preferring the longest', () => {
    const routes = [route('short', { paths: ['/api'] }), route('long', { paths: ['/api/v1'] })];
    expect(winner(routes, { path: '/api/v1/users' })).toBe('long');
    expect(winner(routes, { path: '/api/v2' })).toBe('short');
    expect(winner(routes, { path: '/apix' })).toBe('short');
    expect(winner(routes, { path: '/ap' })).toBeNull();
  });

  it('matches regex paths anchored at the start and exposes captures', () => {
    const routes = [route('re', { paths: ['~/users/(?<id>\\d+)/(\\w+)$'] })];
    const r = new Router(routes, [svc]).match(req({ path: '/users/42/posts' }));
    expect(r?.route.id).toBe('re');
    expect(r?.captures).toEqual({ unnamed: ['42', 'posts'], named: { id: '42' } });
    expect(winner(routes, { path: '/x/users/42/posts' })).toBeNull();
  });

  it('ranks regex paths before prefix paths, then by regex_priority', () => {
    const routes = [
      route('prefix', { paths: ['/users/42'] }),
      route('low', { paths: ['~/users/\\d+'], regex_priority: 1 }),
      route('high', { paths: ['~/users/4\\d'], regex_priority: 5 }),
    ];
    expect(winner(routes, { path: '/users/42' })).toBe('high');
    expect(winner(routes, { path: '/users/52' })).toBe('low');
    expect(winner(routes, { path: '/users/abc' })).toBeNull();
  });

  it('matches methods and headers (any value, case-insensitive, ~* regex)', () => {
    const routes = [
      route('post', { methods: ['POST'] }),
      route('hdr', { headers: { 'X-Version': ['V1', 'v2'] } }),
      route('hdr-re', { headers: { 'x-tenant': ['~*^acme-\\d+$'] } }),
    ];
    expect(winner(routes, { method: 'POST' })).toBe('post');
    expect(winner(routes, { method: 'GET' })).toBeNull();
    expect(winner(routes, { headers: { 'x-version': 'v1' } })).toBe('hdr');
    expect(winner(routes, { headers: { 'x-version': 'V2' } })).toBe('hdr');
    expect(winner(routes, { headers: { 'x-version': 'v3' } })).toBeNull();
    expect(winner(routes, { headers: { 'x-tenant': 'ACME-12' } })).toBe('hdr-re');
  });

  it('matches snis only on TLS requests carrying them', () => {
    const routes = [route('sni', { snis: ['secure.test'], protocols: ['https'] })];
    expect(winner(routes, { scheme: 'https', sni: 'secure.test' })).toBe('sni');
    expect(winner(routes, { scheme: 'https', sni: 'other.test' })).toBeNull();
    expect(winner(routes, { scheme: 'http' })).toBeNull();
  });

  it('reports a protocol the route does not accept instead of falling through', () => {
    const r = new Router([route('tls', { protocols: ['https'], paths: ['/'] })], [svc]).match(req({}));
    expect(r?.route.id).toBe('tls');
    expect(r?.protocolAllowed).toBe(false);
  });
});

describe('Router priority', () => {
  it('prefers more matching categories, then host over path, then older routes', () => {
    const routes = [
      route('path', { paths: ['/a'], created_at: 1 }),
      route('host', { hosts: ['example.com'], created_at: 1 }),
      route('host+path', { hosts: ['example.com'], paths: ['/a'], created_at: 5 }),
      route('host+path+method', { hosts: ['example.com'], paths: ['/a'], methods: ['PUT'], created_at: 9 }),
    ];
    expect(winner(routes, { path: '/a', method: 'PUT' })).toBe('host+path+method');
    expect(winner(routes, { path: '/a' })).toBe('host+path');
    expect(winner(routes, { path: '/b' })).toBe('host');
    expect(winner(routes, { host: 'else.com', path: '/a' })).toBe('path');
    const tie = [
      route('new', { paths: ['/t'], created_at: 20 }),
      route('old', { paths: ['/t'], created_at: 10 }),
    ];
    expect(winner(tie, { path: '/t' })).toBe('old');
  });

  it('prefers more header rules among routes with the same categories', () => {
    const routes = [
      route('one', { headers: { a: ['1'] } }),
      route('two', { headers: { a: ['1'], b: ['2'] } }),
    ];
    expect(winner(routes, { headers: { a: '1', b: '2' } })).toBe('two');
    expect(winner(routes, { headers: { a: '1' } })).toBe('one');
  });

  it('skips routes of disabled services and returns null services for service-less routes', () => {
    const disabled: RouterService = { id: 'off', host: 'x', enabled: false };
    const routes = [
      route('dis', { paths: ['/d'], service: { id: 'off' } }),
      route('bare', { paths: ['/b'], service: null }),
    ];
    const router = new Router(routes, [disabled]);
    expect(router.match(req({ path: '/d' }))).toBeNull();
    expect(router.match(req({ path: '/b' }))?.service).toBeNull();
  });
});

describe('Router paths upstream', () => {
  it('strips prefix and regex matches and joins with service.path (v0 and v1)', () => {
    const routes = [
      route('strip', { paths: ['/tv0'], service: { id: 's2' } }),
      route('keep', { paths: ['/fv0'], strip_path: false, service: { id: 's2' } }),
      route('v1', { paths: ['/tv1'], path_handling: 'v1', service: { id: 's2' } }),
      route('re', { paths: ['~/r/\\d+'], service: { id: 's1' } }),
    ];
    const router = new Router(routes, [svc, svcPath]);
    expect(router.match(req({ path: '/tv0req' }))?.upstreamPath).toBe('/s/req');
    expect(router.match(req({ path: '/tv0' }))?.upstreamPath).toBe('/s');
    expect(router.match(req({ path: '/fv0req' }))?.upstreamPath).toBe('/s/fv0req');
    expect(router.match(req({ path: '/tv1req' }))?.upstreamPath).toBe('/sreq');
    expect(router.match(req({ path: '/r/12/x' }))?.upstreamPath).toBe('/x');
    expect(router.match(req({ path: '/r/12' }))?.upstreamPath).toBe('/');
  });

  it('joins like Kong for trailing slashes', () => {
    expect(joinUpstreamPath('/s/', '/x', 'v0')).toBe('/s/x');
    expect(joinUpstreamPath('/s/', 'x', 'v0')).toBe('/s/x');
    expect(joinUpstreamPath('/s', 'x', 'v0')).toBe('/s/x');
    expect(joinUpstreamPath(null, '', 'v0')).toBe('/');
    expect(joinUpstreamPath('/', '/fv1', 'v1')).toBe('/fv1');
    expect(joinUpstreamPath('/s', '/fv1', 'v1')).toBe('/sfv1');
  });
});

describe('Router build errors and cache', () => {
  it('refuses invalid regexes and hosts with a typed error naming the route', () => {
    expect(() => new Router([route('bad', { paths: ['~/(unclosed'] })], [svc])).toThrow(RouterBuildError);
    expect(() => new Router([route('bad', { hosts: ['*.a.*'] })], [svc])).toThrow(/route bad/);
    expect(() => new Router([route('bad', { paths: ['relative'] })], [svc])).toThrow(/expected/);
  });

  it('serves repeated lookups from the cache with identical results, misses included', () => {
    const router = new Router([route('a', { paths: ['/a'], headers: { v: ['1'] } })], [svc]);
    const first = router.match(req({ path: '/a', headers: { v: '1' } }));
    expect(router.match(req({ path: '/a', headers: { v: '1' } }))).toBe(first);
    expect(router.match(req({ path: '/a', headers: { v: '2' } }))).toBeNull();
    expect(router.match(req({ path: '/a', headers: { v: '2' } }))).toBeNull();
  });
});
