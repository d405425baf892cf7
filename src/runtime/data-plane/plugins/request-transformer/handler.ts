/**
 * request-transformer: rewrites the upstream request's method, URI, headers, query string and body
 * (JSON and url-encoded forms; other bodies pass untouched). Kong's order of targets: http_method
 * (moving a form body into the query string for GET/HEAD/TRACE), uri, headers, query, body.
 * Kong's `$(...)` value templates are not supported: values are literal.
 */
import { requestTransformerSchema } from '../../../plugins/request-transformer/schema.js';
import { mediaType, parseBody, serializeBody } from '../body-parse.js';
import type { RequestContext } from '../context.js';
import { defineHandler } from '../handler.js';
import { applyOps, hasOps, opsFrom, type TransformOps } from '../transform-ops.js';

interface RequestTransformerConf {
  method: string | null;
  uri: string | null;
  headers: TransformOps;
  query: TransformOps;
  body: TransformOps | null;
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
  applyOps(q, conf.query);
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
  applyOps(body.value, conf.body, body.kind === 'json' ? jsonValue : undefined);
  ctx.setUpstreamBody(serializeBody(body));
}

// Kong stores body values as strings; JSON bodies get them as JSON strings too.
function jsonValue(_name: string, value: string): unknown {
  return value;
}

/** The request-transformer handler (priority 801, Kong's). */
export const requestTransformerHandler = defineHandler<RequestTransformerConf>({
  name: 'request-transformer',
  version: requestTransformerSchema.version,
  priority: requestTransformerSchema.priority,
  prepare(config) {
    const body = opsFrom(config, 'body', false);
    const replace = config.replace as Record<string, unknown> | undefined;
    return {
      method: typeof config.http_method === 'string' ? config.http_method.toUpperCase() : null,
      uri: typeof replace?.uri === 'string' ? replace.uri : null,
      headers: opsFrom(config, 'headers', true),
      query: opsFrom(config, 'querystring', false),
      body: hasOps(body) ? body : null,
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
      if (conf.uri !== null) ctx.upstream.path = conf.uri;
      if (hasOps(conf.headers)) applyOps(ctx.request.headers as Record<string, unknown>, conf.headers);
      if (conf.body !== null || movedToQuery) return transformBodyAndQuery(ctx, conf, movedToQuery);
      transformQuery(ctx, conf, null);
    },
  },
});
