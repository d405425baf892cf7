/**
 * response-transformer: edits response headers in header_filter and, for JSON responses, the body
 * in body_filter (the body is buffered only when JSON ops exist and the response is JSON). Non-JSON
 * or malformed JSON bodies pass unchanged. json_types gives replace/add/append values a JSON type.
 */
import { responseTransformerSchema } from '../../../plugins/response-transformer/schema.js';
import { isJsonType, mediaType } from '../body-parse.js';
import type { HeaderMap } from '../context.js';
import { defineHandler } from '../handler.js';
import { applyOps, hasOps, opsFrom, type TransformOps } from '../transform-ops.js';

interface ResponseTransformerConf {
  headers: TransformOps;
  json: TransformOps | null;
  types: Record<'replace' | 'add' | 'append', readonly string[]>;
}

// The json op lists and json_types are parallel arrays (Kong: the n-th type types the n-th value).
function typed(
  conf: ResponseTransformerConf,
  op: 'replace' | 'add' | 'append',
  name: string,
  value: string,
): unknown {
  const list = conf.json![op];
  const idx = list.findIndex(([n]) => n === name);
  const type = idx < 0 ? undefined : conf.types[op][idx];
  if (type === 'number') {
    const n = Number(value);
    return Number.isFinite(n) ? n : value;
  }
  if (type === 'boolean') return value === 'true';
  return value;
}

/** The response-transformer handler (priority 800, Kong's). */
export const responseTransformerHandler = defineHandler<ResponseTransformerConf>({
  name: 'response-transformer',
  version: responseTransformerSchema.version,
  priority: responseTransformerSchema.priority,
  prepare(config) {
    const json = opsFrom(config, 'json', false);
    const types = (op: string) => {
      const v = (config[op] as Record<string, unknown> | undefined)?.json_types;
      return Array.isArray(v) ? (v as string[]) : [];
    };
    return {
      headers: opsFrom(config, 'headers', true),
      json: hasOps(json) ? json : null,
      types: { replace: types('replace'), add: types('add'), append: types('append') },
    };
  },
  phases: {
    header_filter(ctx, conf) {
      const res = ctx.response;
      if (res === null) return;
      if (hasOps(conf.headers)) applyOps(res.headers as Record<string, unknown>, conf.headers);
      if (conf.json !== null && isJsonType(mediaType(first(res.headers, 'content-type')))) {
        ctx.bufferResponseBody();
        delete res.headers['content-length'];
      }
    },
    body_filter(ctx, conf) {
      const res = ctx.response;
      if (conf.json === null || res === null || res.body === null) return;
      if (!isJsonType(mediaType(first(res.headers, 'content-type')))) return;
      let value: unknown;
      try {
        value = JSON.parse(res.body.toString('utf8'));
      } catch {
        return;
      }
      if (typeof value !== 'object' || value === null || Array.isArray(value)) return;
      applyOps(value as Record<string, unknown>, conf.json, (name, v, op) => typed(conf, op, name, v));
      res.body = Buffer.from(JSON.stringify(value));
    },
  },
});

function first(h: HeaderMap, name: string): string | undefined {
  const v = h[name];
  return Array.isArray(v) ? v[0] : v;
}
