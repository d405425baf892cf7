/**
 * IPv4/IPv6 CIDR matching on parsed addresses. An IPv4-mapped IPv6 address (::ffff:a.b.c.d, what a
 * dual-stack socket reports for IPv4 clients) matches IPv4 ranges, as nginx sees such clients.
 */
import { isIPv4, isIPv6 } from 'node:net';

/** A parsed CIDR range: family, network bits and prefix length. */
export interface Cidr {
  v6: boolean;
  /** 32-bit words (1 for IPv4, 4 for IPv6), already masked. */
  words: Uint32Array;
  prefix: number;
}

function parseV4(s: string): Uint32Array | null {
  if (!isIPv4(s)) return null;
  const parts = s.split('.').map(Number);
  return Uint32Array.of(((parts[0]! << 24) | (parts[1]! << 16) | (parts[2]! << 8) | parts[3]!) >>> 0);
}

function parseV6(s: string): Uint32Array | null {
  if (!isIPv6(s)) return null;
  let str = s.toLowerCase();
  const pct = str.indexOf('%');
  if (pct >= 0) str = str.slice(0, pct);
  let tail: number[] = [];
  const lastColon = str.lastIndexOf(':');
  if (str.includes('.', lastColon)) {
    const v4 = parseV4(str.slice(lastColon + 1))![0]!;
    tail = [v4 >>> 16, v4 & 0xffff];
    str = str.slice(0, lastColon + 1) + '0:0';
  }
  const [head, rest] = str.split('::') as [string, string | undefined];
  const h = head === '' ? [] : head.split(':');
  const r = rest === undefined || rest === '' ? [] : rest.split(':');
  const groups = [...h, ...Array<string>(8 - h.length - r.length).fill('0'), ...r].map((g) =>
    parseInt(g, 16),
  );
  if (tail.length === 2) {
    groups[6] = tail[0]!;
    groups[7] = tail[1]!;
  }
  const words = new Uint32Array(4);
  for (let i = 0; i < 4; i++) words[i] = ((groups[2 * i]! << 16) | groups[2 * i + 1]!) >>> 0;
  return words;
}

/** Parses an address; IPv4-mapped IPv6 becomes IPv4. Null when it is not an IP address. */
export function parseIp(s: string): { v6: boolean; words: Uint32Array } | null {
  const v4 = parseV4(s);
  if (v4 !== null) return { v6: false, words: v4 };
  const v6 = parseV6(s);
  if (v6 === null) return null;
  if (v6[0] === 0 && v6[1] === 0 && v6[2] === 0xffff) return { v6: false, words: Uint32Array.of(v6[3]!) };
  return { v6: true, words: v6 };
}

function mask(words: Uint32Array, prefix: number): Uint32Array {
  const out = new Uint32Array(words.length);
  for (let i = 0; i < words.length; i++) {
    const bits = Math.min(32, Math.max(0, prefix - 32 * i));
    out[i] = bits === 0 ? 0 : bits === 32 ? words[i]! : (words[i]! & (0xffffffff << (32 - bits))) >>> 0;
  }
  return out;
}

/** Parses `ip` or `ip/prefix`; throws a TypeError naming the bad value (prepare turns it into a config error). */
export function parseCidr(s: string): Cidr {
  const [ip, bits] = s.split('/');
  const addr = parseIp(ip ?? '');
  if (addr === null) throw new TypeError(`invalid ip or cidr range: '${s}'`);
  const isMappedV4 = !addr.v6 && ip !== undefined && ip.includes(':');
  const max = addr.v6 ? 128 : 32;
  let prefix = bits === undefined ? max : Number(bits);
  if (isMappedV4 && bits !== undefined) prefix -= 96;
  if (!Number.isInteger(prefix) || prefix < 0 || prefix > max)
    throw new TypeError(`invalid ip or cidr range: '${s}'`);
  return { v6: addr.v6, words: mask(addr.words, prefix), prefix };
}

/** Whether a parsed address falls in any of the ranges. */
export function matchesAny(addr: { v6: boolean; words: Uint32Array }, ranges: readonly Cidr[]): boolean {
  for (const r of ranges) {
    if (r.v6 !== addr.v6) continue;
    const m = mask(addr.words, r.prefix);
    let eq = true;
    for (let i = 0; i < m.length; i++) if (m[i] !== r.words[i]) eq = false;
    if (eq) return true;
  }
  return false;
}
