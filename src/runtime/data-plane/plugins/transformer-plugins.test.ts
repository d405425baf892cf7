import { describe, expect, it } from '@jest/globals';
import { PluginConfigError } from './plugin-error.js';
import { prometheusRegistry, setUpstreamHealthProvider } from './prometheus/metrics.js';
import { runRequest, testContext, testIndex } from './test-context.js';

const one = (name: string, config: Record<string, unknown>) =>
  testIndex({ plugins: [{ id: name, name, config }] });

describe('request-transformer', () => {
  it("applies header operations in Kong's order: remove, rename, replace, add, append", async () => {
    const index = one('request-transformer', {
      remove: { headers: ['x-drop'] },
      rename: { headers: ['x-old:x-new'] },
      replace: { headers: ['x-new:replaced', 'x-absent:never'] },
      add: { headers: ['x-new:not-added', 'x-added:yes'] },
      append: { headers: ['x-added:again'] },
    });
    const ctx = await runRequest(index, testContext({ headers: { 'x-drop': '1', 'x-old': 'v' } }));
    const h = ctx.request.headers;
    expect(h['x-drop']).toBeUndefined();
    expect(h['x-old']).toBeUndefined();
    expect(h['x-new']).toBe('replaced');
    expect(h['x-absent']).toBeUndefined();
    expect(h['x-added']).toEqual(['yes', 'again']);
  });

  it('transforms the query string, the method and the uri', async () => {
    const index = one('request-transformer', {
      http_method: 'POST',
      replace: { uri: '/new' },
      remove: { querystring: ['a'] },
      add: { querystring: ['b:2'] },
      rename: { querystring: ['c:d'] },
    });
    const ctx = await runRequest(index, testContext({ query: 'a=1&c=3&keep=x' }));
    expect(ctx.upstream.method).toBe('POST');
    expect(ctx.upstream.path).toBe('/new');
    expect(new URLSearchParams(ctx.upstream.query!).toString()).toBe('keep=x&d=3&b=2');
  });

  it('transforms JSON and form bodies, leaving other bodies alone', async () => {
    const index = one('request-transformer', {
      remove: { body: ['secret'] },
      rename: { body: ['old:new'] },
      add: { body: ['added:1'] },
      append: { body: ['list:x'] },
    });
    const json = await runRequest(
      index,
      testContext({
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: '{"secret":1,"old":"v","list":"a"}',
      }),
    );
    expect(JSON.parse(json.upstream.body!.toString())).toEqual({ new: 'v', added: '1', list: ['a', 'x'] });
    const form = await runRequest(
      index,
      testContext({
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: 'secret=1&old=v',
      }),
    );
    expect(form.upstream.body!.toString()).toBe('new=v&added=1&list=x');
    expect(form.request.headers['content-length']).toBe(String(form.upstream.body!.length));
    const text = await runRequest(
      index,
      testContext({ method: 'POST', headers: { 'content-type': 'text/plain' }, body: 'raw' }),
    );
    expect(text.upstream.body).toBeNull();
  });

  it('moves a form body into the query string when the method becomes GET', async () => {
    const index = one('request-transformer', { http_method: 'GET' });
    const ctx = await runRequest(
      index,
      testContext({
        method: 'POST',
        query: 'a=1',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: 'b=2&a=3',
      }),
    );
    expect(ctx.upstream.method).toBe('GET');
    expect(new URLSearchParams(ctx.upstream.query!).getAll('a')).toEqual(['1', '3']);
    expect(new URLSearchParams(ctx.upstream.query!).get('b')).toBe('2');
  });
});

describe('request-transformer templates', () => {
  it('renders headers, query_params and uri_captures, with defaults', async () => {
    const index = one('request-transformer', {
      add: {
        headers: ['x-user:$(headers["x-user-id"])', 'x-tier:$(query_params.tier or "free")'],
        querystring: ['id:$(uri_captures.id)'],
      },
      replace: { uri: '/items/$(uri_captures[1])' },
    });
    const ctx = testContext({ headers: { 'x-user-id': 'u7' } });
    ctx.uriCaptures = { unnamed: ['42'], named: { id: '42' } };
    await runRequest(index, ctx);
    expect(ctx.request.headers['x-user']).toBe('u7');
    expect(ctx.request.headers['x-tier']).toBe('free');
    expect(ctx.upstream.query).toBe('id=42');
    expect(ctx.upstream.path).toBe('/items/42');
  });

  it('rejects expressions outside the supported subset at config time', () => {
    expect(() => one('request-transformer', { add: { headers: ['x:$(os.exit())'] } })).toThrow(
      PluginConfigError,
    );
    expect(() => one('request-transformer', { add: { headers: ['x:$(os.exit())'] } })).toThrow(
      "unsupported template '$(os.exit())'",
    );
  });
});

describe('response-transformer', () => {
  it('edits response headers', async () => {
    const index = one('response-transformer', {
      remove: { headers: ['server'] },
      rename: { headers: ['x-up:x-down'] },
      add: { headers: ['x-added:1'] },
      append: { headers: ['x-added:2'] },
    });
    const ctx = await runRequest(index, testContext(), { headers: { server: 'up', 'x-up': 'v' } });
    expect(ctx.response?.headers).toEqual({ 'x-down': 'v', 'x-added': ['1', '2'] });
    expect(ctx.wantsResponseBody).toBe(false);
  });

  it('edits JSON bodies with json_types, and leaves other bodies alone', async () => {
    const index = one('response-transformer', {
      remove: { json: ['secret'] },
      replace: { json: ['count:5'], json_types: ['number'] },
      add: { json: ['ok:true', 'name:n'], json_types: ['boolean', 'string'] },
    });
    const json = await runRequest(index, testContext(), {
      headers: { 'content-type': 'application/json', 'content-length': '40' },
      body: '{"secret":"s","count":1}',
    });
    expect(JSON.parse(json.response!.body!.toString())).toEqual({ count: 5, ok: true, name: 'n' });
    expect(json.response?.headers['content-length']).toBeUndefined();
    const text = await runRequest(index, testContext(), {
      headers: { 'content-type': 'text/plain' },
      body: 'plain',
    });
    expect(text.wantsResponseBody).toBe(false);
    const broken = await runRequest(index, testContext(), {
      headers: { 'content-type': 'application/json' },
      body: '{nope',
    });
    expect(broken.response?.body?.toString()).toBe('{nope');
  });
});

describe('prometheus', () => {
  it("records requests, latencies and bandwidth under Kong's metric names", async () => {
    const index = testIndex({
      plugins: [
        {
          id: 'prom',
          name: 'prometheus',
          config: {
            status_code_metrics: true,
            latency_metrics: true,
            bandwidth_metrics: true,
            per_consumer: true,
          },
        },
      ],
    });
    const ctx = testContext({
      service: { id: 's9', name: 'billing' },
      route: { id: 'r9', name: 'invoices' },
    });
    ctx.bytesIn = 120;
    ctx.bytesOut = 450;
    ctx.timings.upstreamStart = ctx.timings.start + 1;
    ctx.timings.upstreamHeaders = ctx.timings.start + 4;
    await runRequest(index, ctx, { status: 201 });
    const text = await prometheusRegistry.metrics();
    expect(text).toContain(
      'kong_http_requests_total{service="billing",route="invoices",code="201",source="service",workspace="default",consumer=""} 1',
    );
    expect(text).toMatch(
      /kong_upstream_latency_ms_bucket\{le="5",service="billing",route="invoices",workspace="default"\} 1/,
    );
    expect(text).toContain(
      'kong_bandwidth_bytes{service="billing",route="invoices",direction="egress",workspace="default",consumer=""} 450',
    );
    index.close();
  });

  it('exports target health only while an instance enables it', async () => {
    setUpstreamHealthProvider(() => [
      { upstream: 'up', targets: [{ id: 't', target: 'a:1', weight: 100, health: 'UNHEALTHY' }] },
    ]);
    const off = await prometheusRegistry.metrics();
    expect(off).not.toContain('kong_upstream_target_health{');
    const index = testIndex({
      plugins: [{ id: 'p2', name: 'prometheus', config: { upstream_health_metrics: true } }],
    });
    const on = await prometheusRegistry.metrics();
    expect(on).toContain(
      'kong_upstream_target_health{upstream="up",target="a:1",address="",state="unhealthy",subsystem="http"} 1',
    );
    expect(on).toContain(
      'kong_upstream_target_health{upstream="up",target="a:1",address="",state="healthy",subsystem="http"} 0',
    );
    index.close();
    expect(await prometheusRegistry.metrics()).not.toContain('kong_upstream_target_health{');
    setUpstreamHealthProvider(null);
  });
});
