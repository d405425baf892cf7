import type { CompiledRoute, RegexPath } from './compile-route.js';

interface TrieNode {
  children: Map<number, TrieNode> | null;
  /** Routes having a prefix path that ends at this node. */
  routes: CompiledRoute[] | null;
}

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
 * The routes of one host bucket, indexed by path: prefix paths in a character trie (a lookup walks the
 * request path once, whatever the number of routes), regex paths in a list evaluated in order, routes
 * without paths in a list. Built once per config, read-only afterwards.
 */
export class PathBucket {
  private readonly root: TrieNode = { children: null, routes: null };
  private readonly regexRoutes: { cr: CompiledRoute; path: RegexPath }[] = [];
  private readonly pathless: CompiledRoute[] = [];
  private sealed = false;

  /** Adds a compiled route under each of its paths. */
  add(cr: CompiledRoute): void {
    if (cr.prefixPaths.length === 0 && cr.regexPaths.length === 0) this.pathless.push(cr);
    for (const prefix of cr.prefixPaths) this.insert(prefix, cr);
    for (const path of cr.regexPaths) this.regexRoutes.push({ cr, path });
  }

  private insert(prefix: string, cr: CompiledRoute): void {
    let node = this.root;
    for (let i = 0; i < prefix.length; i++) {
      const c = prefix.charCodeAt(i);
      node.children ??= new Map();
      let next = node.children.get(c);
      if (next === undefined) {
        next = { children: null, routes: null };
        node.children.set(c, next);
      }
      node = next;
    }
    (node.routes ??= []).push(cr);
  }

  /** Orders regex paths by regex_priority so that the first hits are the likely winners. */
  seal(): void {
    if (this.sealed) return;
    this.regexRoutes.sort((a, b) => b.cr.regexPriority - a.cr.regexPriority || a.cr.order - b.cr.order);
    this.sealed = true;
  }

  /** Offers every route whose path matches `path` (and every pathless route) to `sink`. */
  collect(path: string, sink: CandidateSink): void {
    for (const cr of this.pathless) if (sink.accept(cr)) sink.offer(cr, -1, null, null);
    let node: TrieNode | undefined = this.root;
    for (let i = 0; node !== undefined; i++) {
      if (node.routes !== null)
        for (const cr of node.routes) if (sink.accept(cr)) sink.offer(cr, i, null, null);
      if (i >= path.length || node.children === null) break;
      node = node.children.get(path.charCodeAt(i));
    }
    for (const { cr, path: rp } of this.regexRoutes) {
      if (!sink.accept(cr)) continue;
      const m = rp.re.exec(path);
      if (m !== null) sink.offer(cr, -1, rp, m);
    }
  }
}
