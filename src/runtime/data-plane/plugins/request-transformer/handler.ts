/**
 * request-transformer: rewrites the upstream request's method, URI, headers, query string and body
 * (JSON and url-encoded forms; other bodies pass untouched). Kong's order of targets: http_method
 * (moving a form body into the query string for GET/HEAD/TRACE), uri, headers, query, body.
 * Values may use Kong's templates in the subset ./template.ts supports (headers, query_params,
 * uri_captures).
 */
import { requestTransformerSchema } from '../../../plugins/request-transformer/schema.js';
import { mediaType, parseBody, serializeBody } from '../body-parse.js';
import type { RequestContext } from '../context.js';
import { defineHandler } from '../handler.js';
import { applyOps, hasOps, opsFrom, type TransformOps } from '../transform-ops.js';
import { compileTemplate, renderTemplate, type Template } from './template.js';

interface RequestTransformerConf {
  method: string | null;
  uri: string | null;
  headers: TransformOps;
  query: TransformOps;
  body: TransformOps | null;
  /** Compiled templates by raw value; empty when no value uses one (then values are used as is). */
  templates: ReadonlyMap<string, Template>;
}

// Request bodies above this are forwarded untouched rather than buffered for a transform.
const BODY_LIMIT = 8 * 1024 * 1024;

function toPairs(map: Record<string, unknown>): [string, string][] {
  const out: [string, string][] = [];
  for (const [k, v] of Object.entries(map)) {
    if (Array.isArray(v)) for (const x of v) out.push([k, String(x)]);
    else if (v !== undefined) out.push([k, String(v)]);
  }
  return out;
}

function transformQuery(
  ctx: RequestContext,
  conf: RequestTransformerConf,
  extra: Record<string, unknown> | null,
): void {
  if (!hasOps(conf.query) && extra === null) return;
  const q: Record<string, unknown> = {
    ...(ctx.upstream.query !== null
      ? Object.fromEntries(new URLSearchParams(ctx.upstream.query))
      : ctx.query()),
  };
  if (extra !== null) {
    for (const [k, v] of Object.entries(extra)) {
      const cur = q[k];
      q[k] = cur === undefined ? v : ([] as unknown[]).concat(cur, v);
    }
  }
  applyOps(q, conf.query, valueFor(ctx, conf));
  ctx.upstream.query = new URLSearchParams(toPairs(q)).toString();
}

async function transformBodyAndQuery(
  ctx: RequestContext,
  conf: RequestTransformerConf,
  movedToQuery: boolean,
): Promise<void> {
  const buf = await ctx.readBody(BODY_LIMIT);
  if (buf === null) {
    transformQuery(ctx, conf, null);
    return;
  }
  const body = parseBody(buf, ctx.header('content-type'));
  transformQuery(ctx, conf, movedToQuery && body.kind === 'form' ? body.value : null);
  if (conf.body === null || body.kind === 'other') return;
  if (movedToQuery && body.kind === 'form') body.value = {};
  applyOps(body.value, conf.body, valueFor(ctx, conf));
  ctx.setUpstreamBody(serializeBody(body));
}

// The value converter applyOps calls: renders templated values, passes literal ones through.
function valueFor(
  ctx: RequestContext,
  conf: RequestTransformerConf,
): ((n: string, v: string) => string) | undefined {
  if (conf.templates.size === 0) return undefined;
  return (_name, value) => {
    const t = conf.templates.get(value);
    return t === undefined ? value : renderTemplate(t, ctx);
  };
}

function collectTemplates(ops: TransformOps[], uri: string | null): Map<string, Template> {
  const out = new Map<string, Template>();
  const values = ops.flatMap((o) => [...o.replace, ...o.add, ...o.append].map(([, v]) => v));
  if (uri !== null) values.push(uri);
  for (const v of values) {
    const t = compileTemplate(v);
    if (t !== null) out.set(v, t);
  }
  return out;
}

/** The request-transformer handler (priority 801, Kong's). */
export const requestTransformerHandler = defineHandler<RequestTransformerConf>({
  name: 'request-transformer',
  version: requestTransformerSchema.version,
  priority: requestTransformerSchema.priority,
  prepare(config) {
    const body = opsFrom(config, 'body', false);
    const replace = config.replace as Record<string, unknown> | undefined;
    const uri = typeof replace?.uri === 'string' ? replace.uri : null;
    const headers = opsFrom(config, 'headers', true);
    const query = opsFrom(config, 'querystring', false);
    return {
      method: typeof config.http_method === 'string' ? config.http_method.toUpperCase() : null,
      uri,
      headers,
      query,
      body: hasOps(body) ? body : null,
      templates: collectTemplates([headers, query, body], uri),
    };
  },
  phases: {
    access(ctx, conf) {
      let movedToQuery = false;
      if (conf.method !== null) {
        ctx.upstream.method = conf.method;
        movedToQuery =
          (conf.method === 'GET' || conf.method === 'HEAD' || conf.method === 'TRACE') &&
          mediaType(ctx.header('content-type')) === 'application/x-www-form-urlencoded';
      }
      if (conf.uri !== null) {
        const t = conf.templates.get(conf.uri);
        ctx.upstream.path = t === undefined ? conf.uri : renderTemplate(t, ctx);
      }
      if (hasOps(conf.headers)) {
        applyOps(ctx.request.headers as Record<string, unknown>, conf.headers, valueFor(ctx, conf));
      }
      if (conf.body !== null || movedToQuery) return transformBodyAndQuery(ctx, conf, movedToQuery);
      transformQuery(ctx, conf, null);
    },
  },
});
