import { isAbsolute, resolve } from 'node:path';
import { isIP } from 'node:net';

/**
 * The value types of conf properties. Each turns raw text (from the file, the environment or a default)
 * into the typed value, or throws `InvalidValue` with a reason; the loader adds the key and what was
 * expected, so every message reads `key: reason (expected ...)`.
 */

/** Thrown by a value type when the text cannot be accepted; `reason` names the offending part. */
export class InvalidValue extends Error {
  readonly reason: string;
  constructor(reason: string) {
    super(reason);
    this.reason = reason;
  }
}

/** What a value type may need besides the text: where relative paths start, and a place for warnings. */
export interface ParseContext {
  key: string;
  cwd: string;
  /** The already-resolved prefix, for paths that Kong resolves against it. */
  prefix: string;
  secret: boolean;
  warn(message: string): void;
}

/** A conf value type: how to parse raw text, and the `expected ...` phrase of its error messages. */
export interface ValueType<T> {
  expected: string;
  parse(raw: string, ctx: ParseContext): T;
}

/** Quotes a value for an error message; secrets and multi-line text are never echoed. */
export function quote(raw: string, secret = false): string {
  if (secret) return '(the value given)';
  if (raw === '') return 'an empty value';
  if (/[\r\n]/.test(raw) || raw.length > 80) return `"${raw.replace(/\s+/g, ' ').slice(0, 40)}..."`;
  return `"${raw}"`;
}

function required(raw: string): string {
  if (raw === '') throw new InvalidValue('an empty value is not allowed');
  return raw;
}

/** `on/off/true/false` (Kong accepts both spellings), case-insensitive. */
export const bool: ValueType<boolean> = {
  expected: 'on, off, true or false',
  parse(raw, ctx) {
    const v = required(raw).toLowerCase();
    if (v === 'on' || v === 'true') return true;
    if (v === 'off' || v === 'false') return false;
    throw new InvalidValue(`${quote(raw, ctx.secret)} is not a boolean`);
  },
};

/** A decimal integer in [min, max]. */
export function int(min = Number.MIN_SAFE_INTEGER, max = Number.MAX_SAFE_INTEGER): ValueType<number> {
  const bounds =
    min > Number.MIN_SAFE_INTEGER && max < Number.MAX_SAFE_INTEGER
      ? ` between ${min} and ${max}`
      : min > Number.MIN_SAFE_INTEGER
        ? ` >= ${min}`
        : max < Number.MAX_SAFE_INTEGER
          ? ` <= ${max}`
          : '';
  return {
    expected: `an integer${bounds}`,
    parse(raw) {
      if (!/^[+-]?\d+$/.test(required(raw))) throw new InvalidValue(`${quote(raw)} is not an integer`);
      const n = Number(raw);
      if (!Number.isSafeInteger(n) || n < min) throw new InvalidValue(`${raw} is too small`);
      if (n > max) throw new InvalidValue(`${raw} is too large`);
      return n;
    },
  };
}

/** A decimal number (fractions allowed) greater than `exclusiveMin`. */
export function positiveNumber(exclusiveMin = 0): ValueType<number> {
  return {
    expected: `a number > ${exclusiveMin}`,
    parse(raw) {
      if (!/^\d+(\.\d+)?$/.test(required(raw))) throw new InvalidValue(`${quote(raw)} is not a number`);
      const n = Number(raw);
      if (n <= exclusiveMin) throw new InvalidValue(`${raw} is too small`);
      return n;
    },
  };
}

const SIZE_UNITS: Record<string, number> = { '': 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3 };

/** An nginx-style size (`512`, `8k`, `2048m`, `1g`) in bytes, at least `min`. */
export function size(min = 0): ValueType<number> {
  return {
    expected: `a size in bytes with an optional k, m or g unit${min > 0 ? `, at least ${min} bytes` : ''}`,
    parse(raw) {
      const m = /^(\d+)\s*([kmg]?)$/i.exec(required(raw));
      if (!m) throw new InvalidValue(`${quote(raw)} is not a size`);
      const n = Number(m[1]) * SIZE_UNITS[(m[2] ?? '').toLowerCase()]!;
      if (!Number.isSafeInteger(n)) throw new InvalidValue(`${raw} is too large`);
      if (n < min) throw new InvalidValue(`${raw} is too small`);
      return n;
    },
  };
}

/** One of a fixed set of words, case-sensitive as Kong's. */
export function oneOf<const T extends string>(values: readonly T[]): ValueType<T> {
  return {
    expected: `one of ${values.join(', ')}`,
    parse(raw) {
      if ((values as readonly string[]).includes(raw)) return raw as T;
      throw new InvalidValue(`${quote(raw)} is not allowed`);
    },
  };
}

/** Free text; the empty value is refused unless wrapped in `nullable`. */
export const text: ValueType<string> = {
  expected: 'a non-empty string',
  parse: (raw) => required(raw),
};

/** `''` (Kong's NONE) becomes null; anything else goes to the inner type. */
export function nullable<T>(inner: ValueType<T>): ValueType<T | null> {
  return {
    expected: inner.expected,
    parse: (raw, ctx) => (raw === '' ? null : inner.parse(raw, ctx)),
  };
}

/** A file system path, made absolute against the working directory or the prefix. */
export function path(base: 'cwd' | 'prefix' = 'cwd'): ValueType<string> {
  return {
    expected: 'a file system path',
    parse(raw, ctx) {
      if (raw.includes('\0')) throw new InvalidValue('a path cannot contain NUL');
      return isAbsolute(required(raw)) ? resolve(raw) : resolve(base === 'cwd' ? ctx.cwd : ctx.prefix, raw);
    },
  };
}

/** A comma-separated list; `off` (when allowed) and the empty value give `[]`. Items are trimmed. */
export function list<T>(item: ValueType<T>, opts: { allowOff?: boolean } = {}): ValueType<T[]> {
  return {
    expected: `a comma-separated list of ${item.expected}${opts.allowOff ? ', or off' : ''}`,
    parse(raw, ctx) {
      const trimmed = raw.trim();
      if (trimmed === '' || (opts.allowOff && trimmed === 'off')) return [];
      return splitList(trimmed).map((part, i) => {
        if (part === '') throw new InvalidValue(`item ${i + 1} is empty`);
        return item.parse(part, ctx);
      });
    },
  };
}

/** Splits a comma list, trimming each item (kept as a function so callers split the same way). */
export function splitList(raw: string): string[] {
  return raw.split(',').map((s) => s.trim());
}

// RFC 1123 host names: labels of letters, digits and hyphens, not starting or ending with a hyphen.
const HOSTNAME = /^(?=.{1,253}$)([a-z0-9_]([a-z0-9_-]{0,61}[a-z0-9_])?)(\.[a-z0-9_]([a-z0-9_-]{0,61}[a-z0-9_])?)*\.?$/i;

/** Whether `s` is a host name or an IP address (IPv6 without brackets). */
export function isHost(s: string): boolean {
  return isIP(s) !== 0 || HOSTNAME.test(s);
}

/** A DNS name (TLS server names: cluster_server_name). */
export const hostname: ValueType<string> = {
  expected: 'a host name',
  parse(raw) {
    if (!HOSTNAME.test(required(raw))) throw new InvalidValue(`${quote(raw)} is not a host name`);
    return raw;
  },
};

/** An IP address or a CIDR block (trusted_ips). */
export const ipOrCidr: ValueType<string> = {
  expected: 'IP addresses or CIDR blocks',
  parse(raw) {
    const [addr = '', bits, extra] = raw.split('/');
    const family = isIP(addr);
    if (family === 0 || extra !== undefined) throw new InvalidValue(`${quote(raw)} is not an IP address or CIDR`);
    if (bits !== undefined) {
      const n = /^\d{1,3}$/.test(bits) ? Number(bits) : NaN;
      if (!(n >= 0 && n <= (family === 4 ? 32 : 128))) {
        throw new InvalidValue(`${quote(raw)} has an invalid prefix length`);
      }
    }
    return raw;
  },
};

// The response headers Kong lets `headers` switch on, by their canonical spelling.
const HEADER_NAMES = [
  'server_tokens',
  'latency_tokens',
  'Server',
  'Via',
  'X-Kong-Proxy-Latency',
  'X-Kong-Response-Latency',
  'X-Kong-Upstream-Latency',
  'X-Kong-Upstream-Status',
  'X-Kong-Admin-Latency',
  'X-Kong-Request-Id',
] as const;

/** An item of `headers`: a token group or a header name, matched case-insensitively. */
export const headerName: ValueType<string> = {
  expected: HEADER_NAMES.join(', '),
  parse(raw) {
    const found = HEADER_NAMES.find((h) => h.toLowerCase() === raw.toLowerCase());
    if (!found) throw new InvalidValue(`${quote(raw)} is not a known header`);
    return found;
  },
};

/** A plugin name as Kong accepts them (lower-case, digits, `-` and `_`). */
export const pluginName: ValueType<string> = {
  expected: 'plugin names',
  parse(raw) {
    if (!/^[a-z0-9][a-z0-9_-]*$/.test(raw)) throw new InvalidValue(`${quote(raw)} is not a plugin name`);
    return raw;
  },
};
