import { normalizePath } from './normalize-path.js';
import { RouterBuildError } from './router-error.js';
import type { RouterRoute, RouterService } from './types.js';

/** Kong's match categories, most specific first; a route's bits order routes with equal counts. */
export const CATEGORY = { HOST: 0x40, HEADER: 0x20, URI: 0x10, METHOD: 0x08, SNI: 0x04 } as const;

/** A `*.example.com` / `example.*` host, split so the index can key it without scanning. */
export interface WildcardHost {
  kind: 'suffix' | 'prefix';
  /** `.example.com` for a leading wildcard, `example.` for a trailing one. */
  fixed: string;
  port: number | null;
}

/** A route header rule: any of `values` (lower-cased) or of `patterns` (Kong's `~*` regex values). */
export interface HeaderRule {
  name: string;
  values: readonly string[];
  patterns: readonly RegExp[];
}

/** A regex path, anchored at the start of the request path as Kong's 3.x router does. */
export interface RegexPath {
  raw: string;
  re: RegExp;
}

/** Everything the matcher needs about a route, computed once per config. */
export interface CompiledRoute<R extends RouterRoute = RouterRoute, S extends RouterService = RouterService> {
  route: R;
  service: S | null;
  /** Position in the config, the final tie-breaker so that a build is deterministic. */
  order: number;
  plainHosts: readonly string[];
  wildcardHosts: readonly WildcardHost[];
  prefixPaths: readonly string[];
  regexPaths: readonly RegexPath[];
  methods: ReadonlySet<string> | null;
  headers: readonly HeaderRule[];
  snis: ReadonlySet<string> | null;
  protocols: ReadonlySet<string>;
  categoryBits: number;
  categoryCount: number;
  regexPriority: number;
  createdAt: number;
  stripPath: boolean;
  preserveHost: boolean;
  pathHandling: 'v0' | 'v1';
}

const HOST_RE = /^(\*\.)?([a-z0-9_-]+(?:\.[a-z0-9_-]+)*)(\.\*)?(?::(\d{1,5}))?$/;

/** Splits `host[:port]` into its lower-cased parts; handles `[v6]:port`. Port is null when absent. */
export function splitHostPort(value: string): { host: string; port: number | null } {
  const v = value.toLowerCase();
  if (v.charCodeAt(0) === 91) {
    const close = v.indexOf(']');
    if (close < 0) return { host: v, port: null };
    const port = v.charCodeAt(close + 1) === 58 ? Number(v.slice(close + 2)) : NaN;
    return { host: v.slice(0, close + 1), port: Number.isInteger(port) ? port : null };
  }
  const colon = v.lastIndexOf(':');
  if (colon < 0 || v.indexOf(':') !== colon) return { host: stripDot(v), port: null };
  const port = Number(v.slice(colon + 1));
  return { host: stripDot(v.slice(0, colon)), port: Number.isInteger(port) ? port : null };
}

function stripDot(host: string): string {
  return host.charCodeAt(host.length - 1) === 46 ? host.slice(0, -1) : host;
}

function compileHosts(route: RouterRoute): { plain: string[]; wild: WildcardHost[] } {
  const plain: string[] = [];
  const wild: WildcardHost[] = [];
  for (const raw of route.hosts ?? []) {
    const host = raw.toLowerCase();
    const m = HOST_RE.exec(host) ?? (host.startsWith('[') ? [host, undefined, host] : null);
    const leading = m?.[1] !== undefined;
    const trailing = m?.[3] !== undefined;
    if (m === null || (leading && trailing)) {
      throw new RouterBuildError(
        `invalid host '${raw}' on route ${route.id}: expected a hostname with at most one wildcard`,
        {
          routeId: route.id,
          field: 'hosts',
          value: raw,
        },
      );
    }
    const port = m[4] !== undefined ? Number(m[4]) : null;
    if (leading) wild.push({ kind: 'suffix', fixed: '.' + m[2], port });
    else if (trailing) wild.push({ kind: 'prefix', fixed: m[2] + '.', port });
    else plain.push(port === null ? m[2]! : `${m[2]!}:${port}`);
  }
  return { plain, wild };
}

function compilePaths(route: RouterRoute): { prefixes: string[]; regexes: RegexPath[] } {
  const prefixes: string[] = [];
  const regexes: RegexPath[] = [];
  for (const raw of route.paths ?? []) {
    if (raw.startsWith('~')) {
      try {
        regexes.push({ raw, re: new RegExp('^(?:' + raw.slice(1) + ')') });
      } catch (err) {
        throw new RouterBuildError(
          `invalid regex path '${raw}' on route ${route.id}: ${(err as Error).message}`,
          {
            routeId: route.id,
            field: 'paths',
            value: raw,
          },
        );
      }
    } else if (raw.startsWith('/')) {
      // Requests are matched in normalised form, so the route's prefix is compared in the same form.
      const normalized = normalizePath(raw);
      if (normalized === null) {
        throw new RouterBuildError(`invalid path '${raw}' on route ${route.id}: malformed percent-encoding`, {
          routeId: route.id,
          field: 'paths',
          value: raw,
        });
      }
      prefixes.push(normalized);
    } else {
      throw new RouterBuildError(`invalid path '${raw}' on route ${route.id}: expected '/…' or '~/…'`, {
        routeId: route.id,
        field: 'paths',
        value: raw,
      });
    }
  }
  return { prefixes, regexes };
}

function compileHeaders(route: RouterRoute): HeaderRule[] {
  const rules: HeaderRule[] = [];
  for (const [name, list] of Object.entries(route.headers ?? {})) {
    const values: string[] = [];
    const patterns: RegExp[] = [];
    for (const value of list) {
      if (value.startsWith('~*')) {
        try {
          patterns.push(new RegExp(value.slice(2), 'i'));
        } catch (err) {
          throw new RouterBuildError(
            `invalid header regex '${value}' on route ${route.id}: ${(err as Error).message}`,
            {
              routeId: route.id,
              field: `headers.${name}`,
              value,
            },
          );
        }
      } else values.push(value.toLowerCase());
    }
    rules.push({ name: name.toLowerCase(), values, patterns });
  }
  return rules;
}

/** Compiles one route; throws RouterBuildError naming the route and field on bad input. */
export function compileRoute<R extends RouterRoute, S extends RouterService>(
  route: R,
  service: S | null,
  order: number,
): CompiledRoute<R, S> {
  const { plain, wild } = compileHosts(route);
  const { prefixes, regexes } = compilePaths(route);
  const headers = compileHeaders(route);
  const methods =
    route.methods && route.methods.length > 0 ? new Set(route.methods.map((m) => m.toUpperCase())) : null;
  const snis = route.snis && route.snis.length > 0 ? new Set(route.snis.map((s) => s.toLowerCase())) : null;
  let bits = 0;
  if (plain.length + wild.length > 0) bits |= CATEGORY.HOST;
  if (headers.length > 0) bits |= CATEGORY.HEADER;
  if (prefixes.length + regexes.length > 0) bits |= CATEGORY.URI;
  if (methods) bits |= CATEGORY.METHOD;
  if (snis) bits |= CATEGORY.SNI;
  let count = 0;
  for (let b = bits; b !== 0; b &= b - 1) count++;
  return {
    route,
    service,
    order,
    plainHosts: plain,
    wildcardHosts: wild,
    prefixPaths: prefixes,
    regexPaths: regexes,
    methods,
    headers,
    snis,
    protocols: new Set(route.protocols && route.protocols.length > 0 ? route.protocols : ['http', 'https']),
    categoryBits: bits,
    categoryCount: count,
    regexPriority: route.regex_priority ?? 0,
    createdAt: route.created_at ?? 0,
    stripPath: route.strip_path ?? true,
    preserveHost: route.preserve_host ?? false,
    pathHandling: route.path_handling ?? 'v0',
  };
}
