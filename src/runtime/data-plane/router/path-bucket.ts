import type { CompiledRoute, RegexPath } from './compile-route.js';
import { literalPrefix, PrefixIndex } from './prefix-index.js';

/**
 * Receives the routes a lookup reaches. `accept` filters on the cheap categories first so regexes of
 * routes that fail on method/header/sni never run; `offer` gets each full match without allocating.
 */
export interface CandidateSink {
  accept(cr: CompiledRoute): boolean;
  /** prefixLen is -1 for pathless and regex matches; regex/match are null for prefix and pathless. */
  offer(cr: CompiledRoute, prefixLen: number, regex: RegexPath | null, match: RegExpExecArray | null): void;
}

/** Kong's first two ordering keys (category count, then category bits) folded into one number. */
export function categoryRank(cr: CompiledRoute): number {
  return cr.categoryCount * 256 + cr.categoryBits;
}

/**
 * The routes of one host bucket, indexed by path: prefix paths in a PrefixIndex, regex paths in a
 * second one keyed by the literal text their matches must start with (a regex runs only when its
 * literal starts the path; regexes without one run for every path), routes without paths in a list.
 * So a lookup touches the routes that can match, whatever the size of the bucket. Built once,
 * read-only after.
 */
export class PathBucket {
  private readonly prefixes = new PrefixIndex<CompiledRoute>();
  private readonly regexByLiteral = new PrefixIndex<{ cr: CompiledRoute; path: RegexPath }>();
  private readonly regexAlways: { cr: CompiledRoute; path: RegexPath }[] = [];
  private readonly pathless: CompiledRoute[] = [];
  /**
   * The highest (category count, category bits) rank of the bucket's routes as one number: a lookup
   * whose best candidate already ranks above it can skip the bucket, since no route in it could win.
   */
  bestRank = -1;

  /** Adds a compiled route under each of its paths. */
  add(cr: CompiledRoute): void {
    const rank = categoryRank(cr);
    if (rank > this.bestRank) this.bestRank = rank;
    if (cr.prefixPaths.length === 0 && cr.regexPaths.length === 0) this.pathless.push(cr);
    for (const prefix of cr.prefixPaths) this.prefixes.add(prefix, cr);
    for (const path of cr.regexPaths) {
      const literal = literalPrefix(path.raw.slice(1));
      if (literal === '') this.regexAlways.push({ cr, path });
      else this.regexByLiteral.add(literal, { cr, path });
    }
  }

  /** Freezes the indexes. */
  seal(): void {
    this.prefixes.seal();
    this.regexByLiteral.seal();
  }

  /** Offers every route whose path matches `path` (and every pathless route) to `sink`. */
  collect(path: string, sink: CandidateSink): void {
    for (const cr of this.pathless) if (sink.accept(cr)) sink.offer(cr, -1, null, null);
    const prefixes = this.prefixes;
    if (prefixes.size > 0) {
      for (let e = prefixes.first(path); e >= 0; e = prefixes.next(e)) {
        const len = prefixes.prefixAt(e).length;
        for (const cr of prefixes.valuesAt(e)) if (sink.accept(cr)) sink.offer(cr, len, null, null);
      }
    }
    const literals = this.regexByLiteral;
    if (literals.size > 0) {
      for (let e = literals.first(path); e >= 0; e = literals.next(e))
        for (const r of literals.valuesAt(e)) runRegex(r.cr, r.path, path, sink);
    }
    for (const r of this.regexAlways) runRegex(r.cr, r.path, path, sink);
  }
}

function runRegex(cr: CompiledRoute, rp: RegexPath, path: string, sink: CandidateSink): void {
  if (!sink.accept(cr)) return;
  const m = rp.re.exec(path);
  if (m !== null) sink.offer(cr, -1, rp, m);
}
