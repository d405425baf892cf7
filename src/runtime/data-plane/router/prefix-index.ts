/**
 * A set of string prefixes, each holding values, that answers "which of my prefixes start this path,
 * longest first" in O(log n) comparisons without allocating. The prefixes are kept sorted, each linked
 * to its longest proper prefix in the set: a lookup binary-searches the last prefix sorted at or
 * before the path, measures how much of it the path shares, and walks the links down to the first
 * entry within that shared part; every entry from there down the links is a prefix of the path (the
 * prefixes of the path in the set all start the entry found, so they are all on its chain). Unlike a
 * map probe per distinct prefix length, the cost does not depend on the lengths or their number.
 */
export class PrefixIndex<T> {
  private readonly building = new Map<string, T[]>();
  private sorted: string[] = [];
  private values: T[][] = [];
  /** Index in `sorted` of the longest proper prefix of each entry, -1 when none. */
  private parent: Int32Array = new Int32Array(0);

  /** Adds a value under a prefix (before seal). */
  add(prefix: string, value: T): void {
    const list = this.building.get(prefix);
    if (list === undefined) this.building.set(prefix, [value]);
    else list.push(value);
  }

  /** Number of distinct prefixes. */
  get size(): number {
    return this.sorted.length;
  }

  /** Sorts the prefixes and links each to its parent; the index is read-only afterwards. */
  seal(): void {
    this.sorted = [...this.building.keys()].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
    this.values = this.sorted.map((p) => this.building.get(p)!);
    this.building.clear();
    this.parent = new Int32Array(this.sorted.length);
    // In sorted order, the set's prefixes of an entry are exactly the stack below it.
    const stack: number[] = [];
    for (let i = 0; i < this.sorted.length; i++) {
      const p = this.sorted[i]!;
      while (stack.length > 0 && !p.startsWith(this.sorted[stack[stack.length - 1]!]!)) stack.pop();
      this.parent[i] = stack.length > 0 ? stack[stack.length - 1]! : -1;
      stack.push(i);
    }
  }

  /** The entry of the longest prefix of `path`, or -1; walk on with `next` (shorter prefixes). */
  first(path: string): number {
    const sorted = this.sorted;
    let lo = 0;
    let hi = sorted.length - 1;
    let at = -1;
    while (lo <= hi) {
      const mid = (lo + hi) >>> 1;
      if (sorted[mid]! <= path) {
        at = mid;
        lo = mid + 1;
      } else hi = mid - 1;
    }
    if (at < 0) return -1;
    const p = sorted[at]!;
    const max = p.length < path.length ? p.length : path.length;
    let shared = 0;
    while (shared < max && p.charCodeAt(shared) === path.charCodeAt(shared)) shared++;
    let j = at;
    while (j >= 0 && sorted[j]!.length > shared) j = this.parent[j]!;
    return j;
  }

  /** The entry of the next shorter prefix of the same path, or -1. */
  next(entry: number): number {
    return this.parent[entry]!;
  }

  /** The prefix of an entry. */
  prefixAt(entry: number): string {
    return this.sorted[entry]!;
  }

  /** The values of an entry. */
  valuesAt(entry: number): readonly T[] {
    return this.values[entry]!;
  }
}

/**
 * The literal text every match of an anchored regex source must start with (`/items/` for
 * `/items/(?<id>\d+)`), so a lookup can skip regexes whose literal does not start the path. Stops at
 * the first construct that is not a plain character; a character under a quantifier is left out.
 * Returns '' when nothing is certain (an alternation anywhere, a leading group or class).
 */
export function literalPrefix(source: string): string {
  // A top-level or nested `|` can make any branch match: only a regex without one is safe to index.
  if (/(^|[^\\])\|/.test(source)) return '';
  let out = '';
  for (let i = 0; i < source.length; i++) {
    const c = source[i]!;
    if (c === '\\') {
      const n = source[i + 1];
      // Escaped punctuation is that character; \d, \w, \b and friends are classes or assertions.
      if (n === undefined || /[A-Za-z0-9]/.test(n)) break;
      if (isQuantifier(source[i + 2])) break;
      out += n;
      i++;
      continue;
    }
    if ('^$.|?*+()[]{}'.includes(c)) break;
    if (isQuantifier(source[i + 1])) break;
    out += c;
  }
  return out;
}

function isQuantifier(c: string | undefined): boolean {
  return c === '?' || c === '*' || c === '{' || c === '+';
}
