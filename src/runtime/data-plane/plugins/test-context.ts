/**
 * Test factory for real RequestContexts (plugin unit tests): a downstream request with defaults and
 * an optional body, plus a helper that runs one plugin's phases the way the proxy would.
 */
import { RequestContext, type Entity, type HeaderMap } from './context.js';
import { buildPluginIndex, type PluginConfig, type PluginIndex } from './plugin-index.js';
import { runPhase } from './runner.js';

/** What a test request may set. */
export interface TestRequest {
  method?: string;
  path?: string;
  query?: string;
  headers?: HeaderMap;
  clientIp?: string;
  scheme?: string;
  body?: Buffer | string;
  route?: Entity | null;
  service?: Entity | null;
}

/** A context over a fake downstream request; `body` is served through readBody(limit) like the proxy. */
export function testContext(req: TestRequest = {}): RequestContext {
  const body = req.body === undefined ? undefined : Buffer.from(req.body);
  const ctx = new RequestContext({
    method: req.method ?? 'GET',
    path: req.path ?? '/',
    rawQuery: req.query ?? '',
    headers: { host: 'example.test', ...(req.headers ?? {}) },
    clientIp: req.clientIp ?? '127.0.0.1',
    scheme: req.scheme ?? 'http',
    host: 'example.test',
    port: 8000,
    readBody:
      body === undefined
        ? undefined
        : (limit?: number) => Promise.resolve(limit !== undefined && body.length > limit ? null : body),
  });
  ctx.route = req.route === undefined ? { id: 'r1', name: 'route-1' } : req.route;
  ctx.service =
    req.service === undefined ? { id: 's1', name: 'service-1', host: 'upstream.test' } : req.service;
  return ctx;
}

/** Builds an index over every bundled plugin with an injected clock. */
export function testIndex(config: PluginConfig, now?: () => number): PluginIndex {
  const names = (config.plugins ?? []).map((p) => String(p.name));
  return buildPluginIndex(config, names, now === undefined ? {} : { now });
}

/** Runs access, then (as the proxy does) a response through header_filter, body_filter and log. */
export async function runRequest(
  index: PluginIndex,
  ctx: RequestContext,
  upstream: { status?: number; headers?: HeaderMap; body?: string } = {},
): Promise<RequestContext> {
  await runPhase(index, 'rewrite', ctx);
  if (ctx.exited === null) await runPhase(index, 'access', ctx);
  const exit = ctx.exited;
  ctx.response =
    exit !== null
      ? { status: exit.status, headers: { ...exit.headers }, body: exit.body, source: 'exit' }
      : {
          status: upstream.status ?? 200,
          headers: { ...(upstream.headers ?? {}) },
          body: null,
          source: 'service',
        };
  await runPhase(index, 'header_filter', ctx);
  if (ctx.wantsResponseBody) {
    if (exit === null) ctx.response.body = Buffer.from(upstream.body ?? '');
    await runPhase(index, 'body_filter', ctx);
  }
  ctx.timings.end = performance.now();
  await runPhase(index, 'log', ctx);
  return ctx;
}

/** The JSON body of an exit, or undefined. */
export function exitJson(ctx: RequestContext): unknown {
  return ctx.exited?.body?.length ? JSON.parse(ctx.exited.body.toString('utf8')) : undefined;
}
