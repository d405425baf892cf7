import { afterEach, describe, expect, it } from '@jest/globals';
import { startProxy, startUpstream, type TestUpstream } from './helpers/harness.js';
import type { DataPlaneConfig } from '../../src/runtime/data-plane/engine/types.js';

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  while (cleanups.length > 0) await cleanups.pop()!();
});

function config(ups: Record<string, TestUpstream>): DataPlaneConfig {
  const services = Object.entries(ups).map(([name, u]) => ({
    id: name,
    name,
    host: '127.0.0.1',
    port: u.port,
    protocol: 'http',
    path: null,
  }));
  const r = (id: string, service: string, fields: Record<string, unknown>) => ({
    id,
    service: { id: service },
    created_at: 1,
    ...fields,
  });
  return {
    services,
    routes: [
      r('catch-all', 'a', { paths: ['/'] }),
      r('by-host', 'b', { hosts: ['api.test'] }),
      r('by-wildcard', 'c', { hosts: ['*.wild.test'] }),
      r('by-path', 'b', { paths: ['/v1'] }),
      r('by-longer-path', 'c', { paths: ['/v1/deep'] }),
      r('by-regex', 'd', { paths: ['~/users/(?<id>\\d+)$'], regex_priority: 1 }),
      r('by-method', 'd', { paths: ['/v1'], methods: ['DELETE'] }),
      r('by-header', 'd', { paths: ['/v1'], headers: { 'x-canary': ['yes'] } }),
    ],
  };
}

describe('routing through the proxy', () => {
  it('sends each request to the service of the highest-priority matching route', async () => {
    const ups: Record<string, TestUpstream> = {};
    for (const n of ['a', 'b', 'c', 'd']) {
      ups[n] = await startUpstream(n);
      const u = ups[n];
      cleanups.push(() => u.close());
    }
    const p = await startProxy({ config: config(ups) });
    cleanups.push(() => p.close());
    const cases: [string, Record<string, string>, string, string][] = [
      ['/anything', {}, 'GET', 'a'],
      ['/anything', { host: 'api.test' }, 'GET', 'b'],
      ['/anything', { host: 'x.wild.test' }, 'GET', 'c'],
      ['/v1/x', {}, 'GET', 'b'],
      ['/v1/deep/x', {}, 'GET', 'c'],
      ['/users/42', {}, 'GET', 'd'],
      ['/users/abc', {}, 'GET', 'a'],
      ['/v1/x', {}, 'DELETE', 'd'],
      ['/v1/x', { 'x-canary': 'YES' }, 'GET', 'd'],
    ];
    for (const [path, headers, method, expected] of cases) {
      const r = await p.fetch(path, { method, headers });
      expect({ path, headers, method, upstream: r.headers['x-upstream'] }).toEqual({
        path,
        headers,
        method,
        upstream: expected,
      });
    }
    // strip_path defaults to true: the matched prefix is removed before forwarding.
    await p.fetch('/v1/deep/rest?q=1');
    expect(ups.c!.seen.at(-1)!.url).toBe('/rest?q=1');
  });
});
