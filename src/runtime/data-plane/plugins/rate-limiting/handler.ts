/**
 * rate-limiting (local policy): one counter per window and identifier, checked and incremented in
 * access. Headers as Kong 3.x: X-RateLimit-Limit-<Window>/X-RateLimit-Remaining-<Window> for each
 * configured window, RateLimit-Limit/Remaining/Reset for the most constrained one, Retry-After on
 * the error response.
 */
import { rateLimitingSchema } from '../../../plugins/rate-limiting/schema.js';
import type { RequestContext } from '../context.js';
import { defineHandler, type PluginEntity } from '../handler.js';
import { sharedCounterStore, type CounterStore } from './counter-store.js';
import { WINDOWS, WINDOW_HEADER_NAME, windowBounds, type Window } from './windows.js';

interface Limit {
  window: Window;
  limit: number;
  /** Lower-cased header names (the response header map's form) and the limit as text, precomputed. */
  limitHeader: string;
  remainingHeader: string;
  limitText: string;
}

interface RateLimitConf {
  id: string;
  limits: Limit[];
  limitBy: string;
  headerName: string | null;
  path: string | null;
  hideHeaders: boolean;
  errorCode: number;
  errorMessage: string;
  now: () => number;
  store: CounterStore;
}

const HEADERS_KEY = 'rate-limiting:headers';

function identifierOf(ctx: RequestContext, conf: RateLimitConf): string {
  switch (conf.limitBy) {
    case 'consumer':
      return ctx.consumer?.id ?? ctx.credential?.id ?? ctx.request.clientIp;
    case 'credential':
      return ctx.credential?.id ?? ctx.request.clientIp;
    case 'service':
      return ctx.service?.id ?? ctx.request.clientIp;
    case 'header':
      return (conf.headerName !== null ? ctx.header(conf.headerName) : undefined) ?? ctx.request.clientIp;
    case 'path':
      return conf.path !== null && ctx.request.path === conf.path ? conf.path : ctx.request.clientIp;
    default:
      return ctx.request.clientIp;
  }
}

/** Checks and counts one request; exported for tests that drive the clock. */
export function limitRequest(ctx: RequestContext, conf: RateLimitConf): void {
  const now = conf.now();
  const scope = `${conf.id}:${ctx.route?.id ?? ''}:${ctx.service?.id ?? ''}:${identifierOf(ctx, conf)}:`;
  // Response headers as [name, value, ...] pairs (lower-cased names): header_filter copies them
  // without building or re-casing an object per request.
  const headers: string[] = [];
  let stop = false;
  let bestRemaining = Infinity;
  let bestLimit = 0;
  let bestReset = 0;
  const limits = conf.limits;
  const keys: string[] = [];
  const ends: number[] = [];
  for (let i = 0; i < limits.length; i++) {
    const l = limits[i]!;
    const { start, end } = windowBounds(l.window, now);
    const key = scope + l.window + ':' + start;
    keys.push(key);
    ends.push(end);
    const used = conf.store.get(key, now);
    let remaining = l.limit - used;
    if (remaining <= 0) stop = true;
    else remaining -= 1; // this request, if it passes
    remaining = Math.max(0, remaining);
    headers.push(l.limitHeader, l.limitText, l.remainingHeader, String(remaining));
    const reset = Math.max(1, Math.ceil((end - now) / 1000));
    // The most constrained window: fewest remaining, then the longer reset.
    if (remaining < bestRemaining || (remaining === bestRemaining && reset > bestReset)) {
      bestRemaining = remaining;
      bestLimit = l.limit;
      bestReset = reset;
    }
  }
  headers.push(
    'ratelimit-limit',
    String(bestLimit),
    'ratelimit-remaining',
    String(bestRemaining),
    'ratelimit-reset',
    String(bestReset),
  );
  if (stop) {
    const out: Record<string, string> = {};
    if (!conf.hideHeaders) for (let i = 0; i < headers.length; i += 2) out[headers[i]!] = headers[i + 1]!;
    out['retry-after'] = String(bestReset);
    return ctx.exit(conf.errorCode, { message: conf.errorMessage }, out);
  }
  for (let i = 0; i < keys.length; i++) conf.store.increment(keys[i]!, 1, ends[i]!, now);
  if (!conf.hideHeaders) ctx.shared.set(HEADERS_KEY, headers);
}

/** The rate-limiting handler (priority 910, Kong's). */
export const rateLimitingHandler = defineHandler<RateLimitConf>({
  name: 'rate-limiting',
  version: rateLimitingSchema.version,
  priority: rateLimitingSchema.priority,
  prepare(config, entity: PluginEntity, env) {
    const limits: Limit[] = [];
    for (const w of WINDOWS) {
      const v = config[w];
      if (typeof v === 'number') {
        limits.push({
          window: w,
          limit: v,
          limitHeader: `x-ratelimit-limit-${WINDOW_HEADER_NAME[w].toLowerCase()}`,
          remainingHeader: `x-ratelimit-remaining-${WINDOW_HEADER_NAME[w].toLowerCase()}`,
          limitText: String(v),
        });
      }
    }
    return {
      id: entity.id,
      limits,
      limitBy: String(config.limit_by ?? 'consumer'),
      headerName: typeof config.header_name === 'string' ? config.header_name.toLowerCase() : null,
      path: typeof config.path === 'string' ? config.path : null,
      hideHeaders: config.hide_client_headers === true,
      errorCode: Number(config.error_code ?? 429),
      errorMessage: String(config.error_message ?? 'API rate limit exceeded'),
      now: env.now,
      store: sharedCounterStore,
    };
  },
  phases: {
    access: limitRequest,
    header_filter(ctx) {
      if (ctx.exited !== null && ctx.response?.source === 'exit') return;
      const headers = ctx.peekShared(HEADERS_KEY) as string[] | undefined;
      if (headers === undefined || ctx.response === null) return;
      const out = ctx.response.headers;
      for (let i = 0; i < headers.length; i += 2) out[headers[i]!] = headers[i + 1];
    },
  },
});
