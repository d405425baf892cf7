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
class CanonicalBuffer {
  private hash: Hash = createHash('md5');
  private pending: string[] = [];
  private pendingChars = 0;
  /** Bytes written since the last collapse, as Kong's `#o` counts them (UTF-8). */
  length = 0;

  put(s: string): void {
    this.pending.push(s);
    this.pendingChars += s.length;
    this.length += isAscii(s) ? s.length : Buffer.byteLength(s, 'utf8');
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

function serialize(value: unknown, o: CanonicalBuffer): void {
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
        serialize(value[i], o);
      }
    } else {
      for (let i = 0; i < count; i++) {
        serialize(value[i], o);
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
    serialize(obj[k], o);
    o.put(';');
  }
}

// Lua's sort compares strings bytewise; UTF-16 order differs from it only for astral characters.
function byteOrder(a: string, b: string): number {
  if (a === b) return 0;
  if (isAscii(a) && isAscii(b)) return a < b ? -1 : 1;
  return Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'));
}

/** md5 hex of Kong's canonical serialisation of one value (`calculate_hash`); undefined gives 32 zeros. */
export function hashValue(value: unknown): string {
  if (value === undefined) return EMPTY_CONFIG_HASH;
  const o = new CanonicalBuffer();
  serialize(value, o);
  return o.digestHex();
}

/** Kong's config hash with its sub-hashes, for a config table (the declarative export form). */
export function configHashes(config: Readonly<Record<string, unknown>>): ConfigHashes {
  const sections = {} as Record<(typeof SECTIONS)[number], string>;
  const rest: Record<string, unknown> = {};
  // A missing section hashes to zeros; an explicit null is a value ("/null/"), as in Kong.
  for (const s of SECTIONS) sections[s] = hashValue(config[s]);
  for (const [k, v] of Object.entries(config)) {
    if (!(SECTIONS as readonly string[]).includes(k)) rest[k] = v;
  }
  const restHash = hashValue(rest);
  const all = sections.routes + sections.services + sections.plugins + sections.upstreams + sections.targets + restHash;
  return {
    config: createHash('md5').update(all).digest('hex'),
    ...sections,
    rest: restHash,
  };
}
