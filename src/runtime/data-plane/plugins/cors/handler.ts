/**
 * cors: answers preflights (OPTIONS with Access-Control-Request-Method) in access unless
 * preflight_continue, and adds CORS headers to other responses in header_filter. Origins are literal
 * (compared scheme://host[:port], default ports ignored) or regexes matched against the whole Origin.
 */
import { corsSchema } from '../../../plugins/cors/schema.js';
import type { HeaderMap, RequestContext } from '../context.js';
import { defineHandler } from '../handler.js';

interface CorsConf {
  allowAll: boolean;
  literals: Set<string>;
  regexes: RegExp[];
  /** The one configured literal origin, sent as is (Kong does not compare when there is only one). */
  single: string | null;
  headers: string | null;
  exposed: string | null;
  methods: string;
  maxAge: string | null;
  credentials: boolean;
  privateNetwork: boolean;
  preflightContinue: boolean;
}

const PREFLIGHT_KEY = 'cors:preflight';

/** Normalises an origin for comparison: lower-case scheme and host, default port dropped. */
export function normalizeOrigin(origin: string): string {
  try {
    const u = new URL(origin);
    return `${u.protocol}//${u.host}`;
  } catch {
    return origin.toLowerCase();
  }
}

// Kong treats an origin as a regex when it holds characters an origin cannot.
function isRegexOrigin(o: string): boolean {
  return /[\\^$*+?()[\]{}|]/.test(o.replace(/^\*$/, ''));
}

function addVary(headers: HeaderMap, value: string): void {
  const cur = headers.vary;
  const s = Array.isArray(cur) ? cur.join(', ') : cur;
  if (s === undefined || s === '') headers.vary = value;
  else if (
    !s
      .toLowerCase()
      .split(/\s*,\s*/)
      .includes(value.toLowerCase())
  )
    headers.vary = `${s}, ${value}`;
}

// Sets Allow-Origin (and Vary); returns whether the response allows every origin ('*').
function configureOrigin(ctx: RequestContext, conf: CorsConf, out: HeaderMap): boolean {
  if (conf.allowAll) {
    out['access-control-allow-origin'] = '*';
    return true;
  }
  if (conf.single !== null) {
    out['access-control-allow-origin'] = conf.single;
    addVary(out, 'Origin');
    return false;
  }
  const origin = ctx.header('origin');
  addVary(out, 'Origin');
  if (origin === undefined) return false;
  const norm = normalizeOrigin(origin);
  if (conf.literals.has(norm) || conf.regexes.some((r) => r.test(origin) || r.test(norm))) {
    out['access-control-allow-origin'] = origin;
  }
  return false;
}

function configureCredentials(ctx: RequestContext, conf: CorsConf, allowAll: boolean, out: HeaderMap): void {
  if (!conf.credentials) return;
  if (!allowAll) {
    out['access-control-allow-credentials'] = 'true';
    return;
  }
  // '*' cannot go with credentials: echo the request's origin instead.
  const origin = ctx.header('origin');
  if (origin !== undefined) {
    out['access-control-allow-origin'] = origin;
    out['access-control-allow-credentials'] = 'true';
    addVary(out, 'Origin');
  }
}

/** The cors handler (priority 2000, Kong's: before auth, so preflights need no credentials). */
export const corsHandler = defineHandler<CorsConf>({
  name: 'cors',
  version: corsSchema.version,
  priority: corsSchema.priority,
  prepare(config) {
    const origins = Array.isArray(config.origins) ? (config.origins as string[]) : [];
    const allowAll = origins.length === 0 || origins.includes('*');
    const literals = new Set<string>();
    const regexes: RegExp[] = [];
    for (const o of origins) {
      if (o === '*') continue;
      if (isRegexOrigin(o)) regexes.push(new RegExp(`^(?:${o})$`));
      else literals.add(normalizeOrigin(o));
    }
    const single = !allowAll && origins.length === 1 && regexes.length === 0 ? origins[0]! : null;
    const list = (v: unknown) => (Array.isArray(v) && v.length > 0 ? (v as string[]).join(',') : null);
    return {
      allowAll,
      literals,
      regexes,
      single,
      headers: list(config.headers),
      exposed: list(config.exposed_headers),
      methods: list(config.methods) ?? 'GET,HEAD,PUT,PATCH,POST,DELETE,OPTIONS,TRACE,CONNECT',
      maxAge: typeof config.max_age === 'number' ? String(config.max_age) : null,
      credentials: config.credentials === true,
      privateNetwork: config.private_network === true,
      preflightContinue: config.preflight_continue === true,
    };
  },
  phases: {
    access(ctx, conf) {
      if (ctx.request.method !== 'OPTIONS' || ctx.header('access-control-request-method') === undefined)
        return;
      if (conf.preflightContinue) return;
      ctx.shared.set(PREFLIGHT_KEY, true);
      const out: HeaderMap = {};
      const allowAll = configureOrigin(ctx, conf, out);
      configureCredentials(ctx, conf, allowAll, out);
      const reqHeaders = ctx.header('access-control-request-headers');
      const allowHeaders = conf.headers ?? reqHeaders;
      if (allowHeaders !== undefined) out['access-control-allow-headers'] = allowHeaders;
      out['access-control-allow-methods'] = conf.methods;
      if (conf.maxAge !== null) out['access-control-max-age'] = conf.maxAge;
      if (conf.privateNetwork && ctx.header('access-control-request-private-network') === 'true') {
        out['access-control-allow-private-network'] = 'true';
      }
      ctx.exit(200, undefined, out as Record<string, string>);
    },
    header_filter(ctx, conf) {
      if (ctx.response === null || ctx.peekShared(PREFLIGHT_KEY) === true) return;
      const out = ctx.response.headers;
      const allowAll = configureOrigin(ctx, conf, out);
      configureCredentials(ctx, conf, allowAll, out);
      if (conf.exposed !== null) out['access-control-expose-headers'] = conf.exposed;
    },
  },
});
