import type { CompiledRoute, RegexPath } from './compile-route.js';

/**
 * Receives the routes a lookup reaches. `accept` filters on the cheap categories first so regexes of
 * routes that fail on method/header/sni never run; `offer` gets each full match without allocating.
 */
export interface CandidateSink {
  accept(cr: CompiledRoute): boolean;
  /** prefixLen is -1 for pathless and regex matches; regex/match are null for prefix and pathless. */
  offer(cr: CompiledRoute, prefixLen: number, regex: RegexPath | null, match: RegExpExecArray | null): void;
}

/**
 * The routes of one host bucket, indexed by path: prefix paths in one map keyed by the prefix, with
 * the distinct prefix lengths kept sorted, so a lookup costs one map probe per distinct length (a
 * handful) whatever the number of routes, and the whole index is a few objects per bucket rather than
 * a node per character (which made large configs slow through cache misses). Regex paths sit in a
 * list evaluated in priority order, routes without paths in another. Built once, read-only after.
 */
export class PathBucket {
  private readonly prefixes = new Map<string, CompiledRoute[]>();
  private lengths: number[] = [];
  private readonly regexRoutes: { cr: CompiledRoute; path: RegexPath }[] = [];
  private readonly pathless: CompiledRoute[] = [];

  /** Adds a compiled route under each of its paths. */
  add(cr: CompiledRoute): void {
    if (cr.prefixPaths.length === 0 && cr.regexPaths.length === 0) this.pathless.push(cr);
    for (const prefix of cr.prefixPaths) {
      const list = this.prefixes.get(prefix);
      if (list === undefined) this.prefixes.set(prefix, [cr]);
      else list.push(cr);
    }
    for (const path of cr.regexPaths) this.regexRoutes.push({ cr, path });
  }

  /** Orders regex paths by regex_priority and collects the distinct prefix lengths, longest first. */
  seal(): void {
    this.regexRoutes.sort((a, b) => b.cr.regexPriority - a.cr.regexPriority || a.cr.order - b.cr.order);
    this.lengths = [...new Set([...this.prefixes.keys()].map((p) => p.length))].sort((a, b) => b - a);
  }

  /** Offers every route whose path matches `path` (and every pathless route) to `sink`. */
  collect(path: string, sink: CandidateSink): void {
    for (const cr of this.pathless) if (sink.accept(cr)) sink.offer(cr, -1, null, null);
    const lengths = this.lengths;
    for (let i = 0; i < lengths.length; i++) {
      const len = lengths[i]!;
      if (len > path.length) continue;
      const routes = this.prefixes.get(len === path.length ? path : path.slice(0, len));
      if (routes !== undefined) for (const cr of routes) if (sink.accept(cr)) sink.offer(cr, len, null, null);
    }
    for (const { cr, path: rp } of this.regexRoutes) {
      if (!sink.accept(cr)) continue;
      const m = rp.re.exec(path);
      if (m !== null) sink.offer(cr, -1, rp, m);
    }
  }
}
