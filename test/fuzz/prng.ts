/**
 * The fuzz suites' seeded generator. Every suite draws from one PRNG seeded by `HG_FUZZ_SEED` (or a
 * fixed default), so a failure names its seed and case index and replays exactly:
 * `HG_FUZZ_SEED=<n> NODE_OPTIONS=--experimental-vm-modules npx jest test/fuzz/<suite>`.
 */

/** The seed every suite uses: `HG_FUZZ_SEED` when set (decimal), else a fixed default. */
export const FUZZ_SEED = (() => {
  const raw = process.env.HG_FUZZ_SEED;
  if (raw === undefined || raw === '') return 20261123;
  if (!/^\d+$/.test(raw))
    throw new Error(`HG_FUZZ_SEED must be a decimal integer, got ${JSON.stringify(raw)}`);
  return Number(raw) >>> 0;
})();

/** A seeded random source with the helpers the generators share. */
export interface Rng {
  /** A float in [0, 1). */
  next(): number;
  /** An integer in [0, n). */
  int(n: number): number;
  /** One element of a non-empty list. */
  pick<T>(xs: readonly T[]): T;
  /** True with probability p. */
  chance(p: number): boolean;
  /** `n` random bytes. */
  bytes(n: number): Buffer;
  /** A short string mixing ASCII, separators, quotes, NUL, non-BMP and lone surrogates. */
  string(max?: number): string;
}

const ALPHABET = [...'abcXYZ019 -_./:%?#&=[]{}"\'\\,;\t\n\u00e9\u4e2d\u0000\u{1F600}\ud800\u202e'];

/** mulberry32: small, fast and good enough to spread cases; not for cryptography. */
export function createRng(seed: number = FUZZ_SEED): Rng {
  let a = seed >>> 0;
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const int = (n: number) => Math.floor(next() * n);
  return {
    next,
    int,
    pick: <T>(xs: readonly T[]) => xs[int(xs.length)] as T,
    chance: (p) => next() < p,
    bytes: (n) => Buffer.from(Array.from({ length: n }, () => int(256))),
    string: (max = 24) => Array.from({ length: 1 + int(max) }, () => ALPHABET[int(ALPHABET.length)]).join(''),
  };
}

/** Values that break naive code: extremes of every JSON type and pollution-shaped keys' payloads. */
export const HOSTILE_VALUES: readonly unknown[] = [
  1e308,
  -1e308,
  2 ** 53 + 1,
  -0,
  0.1,
  -1,
  Number('123456789012345678901234567890'),
  'NaN',
  'Infinity',
  '',
  ' ',
  '\u0000',
  '\ud800',
  null,
  true,
  false,
  [],
  {},
  [[[[]]]],
  { __proto__: { polluted: true } },
  { constructor: { prototype: { polluted: true } } },
  'x'.repeat(70_000),
  Array.from({ length: 5000 }, (_, i) => i),
  { nested: { deeper: [1, { x: null }] } },
];

/** Keys that pollute prototypes when code merges objects carelessly. */
export const POLLUTING_KEYS = [
  '__proto__',
  'constructor',
  'prototype',
  'hasOwnProperty',
  'toString',
  'valueOf',
];

/** A JSON text nested `depth` levels deep (arrays or objects). */
export function deepJson(depth: number, kind: 'array' | 'object'): string {
  return kind === 'array'
    ? '['.repeat(depth) + ']'.repeat(depth)
    : '{"a":'.repeat(depth) + '1' + '}'.repeat(depth);
}

/**
 * A JSON text with the raw `__proto__` key (JSON.stringify of an object literal cannot make one: the
 * literal sets the prototype instead of a key).
 */
export function protoJson(inner: string): string {
  return `{"__proto__":${inner},"constructor":{"prototype":${inner}}}`;
}

/** Fails a suite that left `Object.prototype` polluted (every fuzz suite checks it at the end). */
export function assertPrototypesClean(): void {
  const probe = {} as Record<string, unknown>;
  for (const k of ['polluted', 'isAdmin', 'x']) {
    if (probe[k] !== undefined) throw new Error(`Object.prototype polluted with ${k}`);
  }
}

/** Percent-encodes every byte of the UTF-8 form (lone surrogates become U+FFFD instead of throwing). */
export function pct(s: string): string {
  return [...Buffer.from(s, 'utf8')].map((b) => `%${b.toString(16).padStart(2, '0')}`).join('');
}
