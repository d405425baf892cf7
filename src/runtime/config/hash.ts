import { createHash, type Hash } from 'node:crypto';

/**
 * Kong's configuration hash (kong/clustering/config_helper.lua): a canonical serialisation of the
 * config table, md5 per section, and an md5 over the section hashes. Data planes compare it to skip
 * unchanged pushes and the sub-hashes decide what is rebuilt, so it must match Kong byte for byte.
 */

/** The hash of "no configuration": 32 zeros (Kong's DECLARATIVE_EMPTY_CONFIG_HASH). */
export const EMPTY_CONFIG_HASH = '00000000000000000000000000000000';

/** The config hash and the per-section hashes (`rest` covers every key but the five sections). */
export interface ConfigHashes {
  config: string;
  routes: string;
  services: string;
  plugins: string;
  upstreams: string;
  targets: string;
  rest: string;
}

const SECTIONS = ['routes', 'services', 'plugins', 'upstreams', 'targets'] as const;

// Kong replaces its buffer by the binary md5 of its content once it grows past this many bytes.
const COLLAPSE_AT = 1_000_000;
// Pieces are joined and fed to md5 in chunks this long: fewer native calls than one update per piece.
const FLUSH_AT = 1 << 16;

/**
 * Kong's serialisation buffer: tracks the byte length exactly (the collapse point depends on it) while
 * streaming content into md5 rather than holding it.
 */
class CanonicalBuffer implements Sink {
  private hash: Hash = createHash('md5');
  private pending: string[] = [];
  private pendingChars = 0;
  /** Bytes written since the last collapse, as Kong's `#o` counts them (UTF-8). */
  length = 0;

  put(s: string): void {
    this.putKnown(s, isAscii(s) ? s.length : Buffer.byteLength(s, 'utf8'));
  }

  /** `put` with the UTF-8 length already known (cached entity texts). */
  putKnown(s: string, bytes: number): void {
    this.pending.push(s);
    this.pendingChars += s.length;
    this.length += bytes;
    if (this.pendingChars >= FLUSH_AT) this.flush();
  }

  /** Kong's `o:set(md5_bin(o:tostring()))`. */
  collapse(): void {
    this.flush();
    const digest = this.hash.digest();
    this.hash = createHash('md5').update(digest);
    this.length = digest.length;
  }

  digestHex(): string {
    this.flush();
    return this.hash.digest('hex');
  }

  private flush(): void {
    if (this.pending.length === 0) return;
    this.hash.update(this.pending.join(''), 'utf8');
    this.pending = [];
    this.pendingChars = 0;
  }
}

/** Where serialise writes: the md5 buffer, or a plain text collector that never collapses. */
interface Sink {
  length: number;
  put(s: string): void;
  collapse(): void;
}

class TextCollector implements Sink {
  readonly parts: string[] = [];
  // Never past COLLAPSE_AT: the text of one entity is recorded without Kong's collapse points.
  length = 0;
  put(s: string): void {
    this.parts.push(s);
  }
  collapse(): void {}
}

/**
 * The canonical text of entities by object identity, for callers that never mutate an entity once
 * hashed (the CP's per-version export; each version's entities are fresh objects from the store). A
 * re-hash of a family then costs md5 over cached text plus the serialisation of the changed entities.
 */
export class EntityTextCache {
  private readonly texts = new WeakMap<object, { text: string; bytes: number }>();

  /** The canonical text of `entity` and its UTF-8 length, serialised once. */
  text(entity: object): { text: string; bytes: number } {
    let t = this.texts.get(entity);
    if (!t) {
      const c = new TextCollector();
      serialize(entity, c, null);
      const text = c.parts.join('');
      t = { text, bytes: isAscii(text) ? text.length : Buffer.byteLength(text, 'utf8') };
      this.texts.set(entity, t);
    }
    return t;
  }
}

// eslint-disable-next-line no-control-regex
const NON_ASCII = /[^\x00-\x7f]/;
function isAscii(s: string): boolean {
  return !NON_ASCII.test(s);
}

/** LuaJIT's number formatting (`%.14g`), which Kong's buffer uses for numbers. */
export function luaNumber(n: number): string {
  if (Number.isInteger(n) && Math.abs(n) < 1e14) return Object.is(n, -0) ? '-0' : String(n);
  if (Number.isNaN(n)) return 'nan';
  if (!Number.isFinite(n)) return n > 0 ? 'inf' : '-inf';
  const exp = Number(n.toExponential(13).split('e')[1]);
  if (exp < -4 || exp >= 14) {
    const [mantissa, e] = n.toExponential(13).split('e') as [string, string];
    const m = mantissa.includes('.') ? mantissa.replace(/0+$/, '').replace(/\.$/, '') : mantissa;
    const sign = e.startsWith('-') ? '-' : '+';
    const digits = e.replace(/^[+-]/, '').padStart(2, '0');
    return `${m}e${sign}${digits}`;
  }
  const fixed = n.toFixed(Math.max(0, 13 - exp));
  return fixed.includes('.') ? fixed.replace(/0+$/, '').replace(/\.$/, '') : fixed;
}

function serialize(value: unknown, o: Sink, cache: EntityTextCache | null): void {
  if (o.length > COLLAPSE_AT) o.collapse();
  if (value === null || value === undefined) {
    o.put('/null/');
    return;
  }
  switch (typeof value) {
    case 'string':
      o.put(value);
      return;
    case 'number':
      o.put(luaNumber(value));
      return;
    case 'boolean':
      o.put(value ? 'true' : 'false');
      return;
    case 'object':
      break;
    default:
      throw new TypeError(`invalid type to be sorted (JSON types are supported): ${typeof value}`);
  }
  if (Array.isArray(value)) {
    const count = value.length;
    if (count === 0) {
      o.put('{}');
    } else if (count <= 5) {
      // Up to five elements Kong writes separators only between them; past five, after each one.
      for (let i = 0; i < count; i++) {
        if (i > 0) o.put(';');
        element(value[i], o, cache);
      }
    } else {
      for (let i = 0; i < count; i++) {
        element(value[i], o, cache);
        o.put(';');
      }
    }
    return;
  }
  const obj = value as Record<string, unknown>;
  // Lua tables cannot hold nil: keys whose value is undefined do not exist there.
  const keys = Object.keys(obj).filter((k) => obj[k] !== undefined);
  if (keys.length === 0) {
    o.put('{}');
    return;
  }
  keys.sort(byteOrder);
  for (const k of keys) {
    o.put(k);
    o.put(':');
    serialize(obj[k], o, cache);
    o.put(';');
  }
}

/**
 * An array element: an object's cached text goes in whole when no collapse point can fall inside it
 * (the buffer stays at or under COLLAPSE_AT to its end); otherwise it is serialised value by value so
 * the collapse happens exactly where Kong's would.
 */
function element(value: unknown, o: Sink, cache: EntityTextCache | null): void {
  if (cache !== null && o instanceof CanonicalBuffer && value !== null && typeof value === 'object' && !Array.isArray(value)) {
    const t = cache.text(value);
    if (o.length + t.bytes <= COLLAPSE_AT) return o.putKnown(t.text, t.bytes);
  }
  serialize(value, o, null);
}

// Lua's sort compares strings bytewise; UTF-16 order differs from it only for astral characters.
function byteOrder(a: string, b: string): number {
  if (a === b) return 0;
  if (isAscii(a) && isAscii(b)) return a < b ? -1 : 1;
  return Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'));
}

/** md5 hex of Kong's canonical serialisation of one value (`calculate_hash`); undefined gives 32 zeros. */
export function hashValue(value: unknown, cache: EntityTextCache | null = null): string {
  if (value === undefined) return EMPTY_CONFIG_HASH;
  const o = new CanonicalBuffer();
  serialize(value, o, cache);
  return o.digestHex();
}

/** Kong's config hash with its sub-hashes, for a config table (the declarative export form). */
export function configHashes(
  config: Readonly<Record<string, unknown>>,
  cache: EntityTextCache | null = null,
): ConfigHashes {
  const sections = {} as Record<(typeof SECTIONS)[number], string>;
  // A missing section hashes to zeros; an explicit null is a value ("/null/"), as in Kong.
  for (const s of SECTIONS) sections[s] = hashValue(config[s], cache);
  return combineHashes({ ...sections, rest: restHash(config, cache) });
}

/**
 * The hashes of `config` given those of a config that differs from it only in the top-level keys
 * `changed` (families a delta or a store change touched): only those sections are re-serialised, and
 * `rest` only when a key outside the five sections changed. Same bytes as `configHashes(config)` as
 * long as `previous` really is the hashes of the other config; the cost is that of the changed
 * sections (a one-route change re-hashes `routes`, O(routes), and nothing else).
 */
export function updateConfigHashes(
  previous: Readonly<ConfigHashes>,
  config: Readonly<Record<string, unknown>>,
  changed: Iterable<string>,
  cache: EntityTextCache | null = null,
): ConfigHashes {
  const next = { ...previous };
  let rest = false;
  let any = false;
  for (const key of changed) {
    any = true;
    if ((SECTIONS as readonly string[]).includes(key)) next[key as (typeof SECTIONS)[number]] = hashValue(config[key], cache);
    else rest = true;
  }
  if (!any) return { ...previous };
  if (rest) next.rest = restHash(config, cache);
  return combineHashes(next);
}

// `rest` covers every key but the five sections, as one table.
function restHash(config: Readonly<Record<string, unknown>>, cache: EntityTextCache | null): string {
  const rest: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(config)) {
    if (!(SECTIONS as readonly string[]).includes(k)) rest[k] = v;
  }
  return hashValue(rest, cache);
}

// The config hash is the md5 of the six sub-hashes concatenated in Kong's order.
function combineHashes(sub: Omit<ConfigHashes, 'config'>): ConfigHashes {
  const all = sub.routes + sub.services + sub.plugins + sub.upstreams + sub.targets + sub.rest;
  return {
    config: createHash('md5').update(all).digest('hex'),
    routes: sub.routes,
    services: sub.services,
    plugins: sub.plugins,
    upstreams: sub.upstreams,
    targets: sub.targets,
    rest: sub.rest,
  };
}
