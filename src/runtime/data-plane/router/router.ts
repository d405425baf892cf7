import {
  compileRoute,
  splitHostPort,
  type CompiledRoute,
  type HeaderRule,
  type RegexPath,
} from './compile-route.js';
import { LruCache } from './lru-cache.js';
import { categoryRank, PathBucket, type CandidateSink } from './path-bucket.js';
import { joinUpstreamPath } from './upstream-path.js';
import type { MatchRequest, MatchResult, RouterRoute, RouterService } from './types.js';

/** Options of a router build. */
export interface RouterOptions {
  /** Entries of the match cache (Kong keeps one too); 0 disables it. */
  cacheSize?: number;
}

const MISS = Symbol('miss');

function headerMatches(rule: HeaderRule, raw: string | string[] | undefined): boolean {
  if (raw === undefined) return false;
  const list = typeof raw === 'string' ? (raw.includes(',') ? [raw, ...raw.split(',')] : [raw]) : raw;
  for (const v0 of list) {
    const v = v0.trim().toLowerCase();
    if (rule.values.includes(v)) return true;
    for (const re of rule.patterns) if (re.test(v)) return true;
  }
  return false;
}

/**
 * Keeps the best candidate of one lookup in fields (no object per candidate) and decides with Kong's
 * traditional priority: more categories, then category bits, plain over wildcard host, more header
 * rules, regex over prefix paths, regex_priority, longer prefix, older created_at, config order.
 */
class BestMatch implements CandidateSink {
  cr: CompiledRoute | null = null;
  /** categoryRank of `cr`. */
  rank = -1;
  prefixLen = -1;
  regex: RegexPath | null = null;
  regexMatch: RegExpExecArray | null = null;
  plainHost = false;
  matchedHost: string | null = null;
  private hostIsPlain = false;
  private host: string | null = null;

  constructor(
    private readonly method: string,
    private readonly sni: string | undefined,
    private readonly headers: MatchRequest['headers'],
  ) {}

  /** Sets the host bucket the next offers come from. */
  from(matchedHost: string | null, plain: boolean): void {
    this.host = matchedHost;
    this.hostIsPlain = plain;
  }

  accept(cr: CompiledRoute): boolean {
    if (cr.methods !== null && !cr.methods.has(this.method)) return false;
    if (cr.snis !== null && (this.sni === undefined || !cr.snis.has(this.sni))) return false;
    for (const rule of cr.headers) if (!headerMatches(rule, this.headers[rule.name])) return false;
    return true;
  }

  offer(cr: CompiledRoute, prefixLen: number, regex: RegexPath | null, m: RegExpExecArray | null): void {
    if (this.cr !== null && !this.outranks(cr, prefixLen, regex)) return;
    this.cr = cr;
    this.rank = categoryRank(cr);
    this.prefixLen = prefixLen;
    this.regex = regex;
    this.regexMatch = m;
    this.plainHost = this.hostIsPlain;
    this.matchedHost = this.host;
  }

  private outranks(x: CompiledRoute, prefixLen: number, regex: RegexPath | null): boolean {
    const y = this.cr!;
    if (x.categoryCount !== y.categoryCount) return x.categoryCount > y.categoryCount;
    if (x.categoryBits !== y.categoryBits) return x.categoryBits > y.categoryBits;
    if (this.hostIsPlain !== this.plainHost) return this.hostIsPlain;
    if (x.headers.length !== y.headers.length) return x.headers.length > y.headers.length;
    const xr = regex !== null;
    if (xr !== (this.regex !== null)) return xr;
    if (xr && x.regexPriority !== y.regexPriority) return x.regexPriority > y.regexPriority;
    if (prefixLen !== this.prefixLen) return prefixLen > this.prefixLen;
    if (x.createdAt !== y.createdAt) return x.createdAt < y.createdAt;
    return x.order < y.order;
  }
}

/**
 * Kong's traditional router, compiled once per config. Routes are indexed by host (exact map, leading
 * and trailing wildcard maps keyed by the fixed part, and a bucket for routes without hosts), and
 * within each host bucket by path (a prefix trie plus regex paths in priority order), so a lookup
 * touches only the routes that can match. Results are kept in an LRU keyed by everything that
 * influences them. Instances are immutable: a config change builds a new Router beside this one.
 */
export class Router<R extends RouterRoute = RouterRoute, S extends RouterService = RouterService> {
  private readonly exact = new Map<string, PathBucket>();
  private readonly suffixWild = new Map<string, PathBucket>();
  private readonly prefixWild = new Map<string, PathBucket>();
  private readonly anyHost = new PathBucket();
  private readonly headerNames: readonly string[];
  private readonly cache: LruCache<string, MatchResult<R, S> | typeof MISS> | null;
  /** Number of routes compiled into this router. */
  readonly size: number;

  /** Compiles routes (with their services looked up by id); throws RouterBuildError on bad input. */
  constructor(routes: readonly R[], services: readonly S[], opts: RouterOptions = {}) {
    const byId = new Map<string, S>();
    for (const s of services) byId.set(s.id, s);
    const headerNames = new Set<string>();
    let n = 0;
    for (let i = 0; i < routes.length; i++) {
      const route = routes[i]!;
      const service = route.service ? (byId.get(route.service.id) ?? null) : null;
      // Kong leaves disabled services (and their routes) out of the config it routes with.
      if (service !== null && service.enabled === false) continue;
      const cr = compileRoute(route, service, i) as CompiledRoute;
      for (const h of cr.headers) headerNames.add(h.name);
      this.index(cr);
      n++;
    }
    this.size = n;
    for (const b of [
      this.anyHost,
      ...this.exact.values(),
      ...this.suffixWild.values(),
      ...this.prefixWild.values(),
    ])
      b.seal();
    this.headerNames = [...headerNames].sort();
    const cacheSize = opts.cacheSize ?? 4096;
    this.cache = cacheSize > 0 ? new LruCache(cacheSize) : null;
  }

  private index(cr: CompiledRoute): void {
    if (cr.plainHosts.length === 0 && cr.wildcardHosts.length === 0) this.anyHost.add(cr);
    for (const h of cr.plainHosts) bucketOf(this.exact, h).add(cr);
    for (const w of cr.wildcardHosts) {
      const key = w.port === null ? w.fixed : `${w.fixed}:${w.port}`;
      bucketOf(w.kind === 'suffix' ? this.suffixWild : this.prefixWild, key).add(cr);
    }
  }

  /** The best route for a request, or null (Kong: 404 "no Route matched with those values"). */
  match(req: MatchRequest): MatchResult<R, S> | null {
    let key: string | undefined;
    if (this.cache !== null) {
      key = `${req.method}|${req.scheme}|${req.host}|${req.sni ?? ''}|${req.path}`;
      for (const name of this.headerNames) {
        const v = req.headers[name];
        key += '|' + (v === undefined ? '' : typeof v === 'string' ? v : v.join(','));
      }
      const hit = this.cache.get(key);
      if (hit !== undefined) return hit === MISS ? null : hit;
    }
    const result = this.find(req);
    if (key !== undefined) this.cache!.set(key, result ?? MISS);
    return result;
  }

  private find(req: MatchRequest): MatchResult<R, S> | null {
    const { host, port } = splitHostPort(req.host);
    const best = new BestMatch(req.method, req.sni?.toLowerCase(), req.headers);
    const path = req.path;
    const scan = (bucket: PathBucket | undefined, matchedHost: string | null, plain: boolean): void => {
      if (bucket === undefined) return;
      // Branch and bound: a bucket whose best route ranks below the candidate in hand cannot win
      // (equal ranks still go through the tie-breakers). Typically the host's bucket decides and the
      // host-less routes are never scanned.
      if (best.cr !== null && bucket.bestRank < best.rank) return;
      best.from(matchedHost, plain);
      bucket.collect(path, best);
    };
    if (port !== null) {
      const withPort = `${host}:${port}`;
      scan(this.exact.get(withPort), withPort, true);
    }
    scan(this.exact.get(host), host, true);
    if (this.suffixWild.size > 0 || this.prefixWild.size > 0) {
      for (let i = host.indexOf('.'); i > 0; i = host.indexOf('.', i + 1)) {
        const suffix = host.slice(i);
        const prefix = host.slice(0, i + 1);
        if (i + 1 < host.length) {
          if (port !== null) scan(this.prefixWild.get(`${prefix}:${port}`), prefix + '*', false);
          scan(this.prefixWild.get(prefix), prefix + '*', false);
        }
        if (port !== null) scan(this.suffixWild.get(`${suffix}:${port}`), '*' + suffix, false);
        scan(this.suffixWild.get(suffix), '*' + suffix, false);
      }
    }
    scan(this.anyHost, null, false);
    return best.cr === null ? null : this.result(best, req);
  }

  private result(b: BestMatch, req: MatchRequest): MatchResult<R, S> {
    const cr = b.cr!;
    let stripped = req.path;
    let matchedPath: string | null = null;
    let captures: MatchResult['captures'] = null;
    if (b.prefixLen >= 0) {
      matchedPath = req.path.slice(0, b.prefixLen);
      if (cr.stripPath) stripped = req.path.slice(b.prefixLen);
    } else if (b.regex !== null && b.regexMatch !== null) {
      matchedPath = b.regex.raw;
      const m = b.regexMatch;
      captures = { unnamed: m.slice(1).map((v) => v ?? ''), named: { ...(m.groups ?? {}) } };
      if (cr.stripPath) stripped = req.path.slice(m[0].length);
    }
    const service = cr.service as S | null;
    // With nothing stripped the upstream gets the request path as is, joined to service.path.
    const upstreamPath = joinUpstreamPath(service?.path, stripped, cr.pathHandling);
    return {
      route: cr.route as R,
      service,
      strippedPath: stripped === '' ? '/' : stripped,
      strippedPrefix:
        stripped.length < req.path.length ? req.path.slice(0, req.path.length - stripped.length) : null,
      upstreamPath,
      matchedPath,
      matchedHost: b.matchedHost,
      captures,
      protocolAllowed: cr.protocols.has(req.scheme),
    };
  }
}

function bucketOf(map: Map<string, PathBucket>, key: string): PathBucket {
  let b = map.get(key);
  if (b === undefined) {
    b = new PathBucket();
    map.set(key, b);
  }
  return b;
}
