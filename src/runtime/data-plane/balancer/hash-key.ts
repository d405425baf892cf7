/**
 * What consistent-hashing hashes for a request (Kong's `hash_on` / `hash_fallback`): the consumer,
 * the client IP, a header, a cookie, the path, a query argument or a regex capture. An empty or
 * missing value falls back to `hash_fallback`; cookie mode has no fallback because the balancer
 * creates the cookie when the client has none.
 */
import { randomUUID } from 'node:crypto';
import type { PickContext } from './balancer.js';

/** The hash settings of an upstream. */
export interface HashSpec {
  on: string;
  fallback: string;
  onHeader: string | null;
  fallbackHeader: string | null;
  cookie: string | null;
  cookiePath: string;
  onQueryArg: string | null;
  fallbackQueryArg: string | null;
  onUriCapture: string | null;
  fallbackUriCapture: string | null;
}

/** Reads the hash settings from an upstream entity. */
export function readHashSpec(u: Record<string, unknown>): HashSpec {
  const s = (v: unknown) => (typeof v === 'string' && v !== '' ? v : null);
  return {
    on: s(u.hash_on) ?? 'none',
    fallback: s(u.hash_fallback) ?? 'none',
    onHeader: s(u.hash_on_header)?.toLowerCase() ?? null,
    fallbackHeader: s(u.hash_fallback_header)?.toLowerCase() ?? null,
    cookie: s(u.hash_on_cookie),
    cookiePath: s(u.hash_on_cookie_path) ?? '/',
    onQueryArg: s(u.hash_on_query_arg),
    fallbackQueryArg: s(u.hash_fallback_query_arg),
    onUriCapture: s(u.hash_on_uri_capture),
    fallbackUriCapture: s(u.hash_fallback_uri_capture),
  };
}

function headerValue(ctx: PickContext, name: string | null): string | null {
  if (name === null) return null;
  const v = ctx.headers[name];
  if (v === undefined) return null;
  return Array.isArray(v) ? v.join(',') : v;
}

/** The value of one cookie in a Cookie header, or null. */
export function cookieValue(header: string | string[] | undefined, name: string): string | null {
  if (header === undefined) return null;
  const all = Array.isArray(header) ? header.join('; ') : header;
  for (const part of all.split(';')) {
    const eq = part.indexOf('=');
    if (eq < 0) continue;
    if (part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim();
  }
  return null;
}

function queryArg(query: string, name: string | null): string | null {
  if (name === null || query === '') return null;
  const values = new URLSearchParams(query).getAll(name);
  if (values.length === 0) return null;
  // Several values hash as one key regardless of their order in the URL.
  return values.length === 1 ? values[0]! : values.sort().join(',');
}

function valueOf(kind: string, ctx: PickContext, spec: HashSpec, primary: boolean): string | null {
  switch (kind) {
    case 'consumer':
      return ctx.consumerId;
    case 'ip':
      return ctx.clientIp;
    case 'header':
      return headerValue(ctx, primary ? spec.onHeader : spec.fallbackHeader);
    case 'path':
      return ctx.path;
    case 'query_arg':
      return queryArg(ctx.query, primary ? spec.onQueryArg : spec.fallbackQueryArg);
    case 'uri_capture': {
      const name = primary ? spec.onUriCapture : spec.fallbackUriCapture;
      return name === null ? null : (ctx.uriCaptures?.[name] ?? null);
    }
    case 'cookie': {
      if (spec.cookie === null) return null;
      const existing = cookieValue(ctx.headers.cookie, spec.cookie);
      if (existing !== null && existing !== '') return existing;
      const value = randomUUID();
      ctx.setCookie = `${spec.cookie}=${value}; Path=${spec.cookiePath}`;
      return value;
    }
    default:
      return null;
  }
}

/** The key to hash for this request, or null (then the balancer falls back to round-robin). */
export function hashKey(ctx: PickContext, spec: HashSpec): string | null {
  const v = valueOf(spec.on, ctx, spec, true);
  if (v !== null && v !== '') return v;
  const f = valueOf(spec.fallback, ctx, spec, false);
  return f !== null && f !== '' ? f : null;
}
