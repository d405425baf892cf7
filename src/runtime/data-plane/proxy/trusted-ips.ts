import { BlockList, isIP } from 'node:net';
import { HybridgateError } from '../../../shared/errors.js';

/** A `trusted_ips` entry that is neither an IP nor a CIDR. */
export class TrustedIpsError extends HybridgateError {
  constructor(entry: string) {
    super('HG_ERR_TRUSTED_IPS', `trusted_ips: '${entry}' is not an IP address or CIDR block`, { entry });
  }
}

/** Answers "may this peer set X-Forwarded-* / the real IP header?" (Kong: trusted_ips). */
export interface TrustedIps {
  trusts(address: string | undefined): boolean;
}

function normalise(address: string): { addr: string; family: 'ipv4' | 'ipv6' } | null {
  // Dual-stack sockets report IPv4 peers as ::ffff:a.b.c.d; trust lists are written in plain IPv4.
  const a = address.startsWith('::ffff:') && isIP(address.slice(7)) === 4 ? address.slice(7) : address;
  const v = isIP(a);
  return v === 4 ? { addr: a, family: 'ipv4' } : v === 6 ? { addr: a, family: 'ipv6' } : null;
}

/** Compiles trusted_ips into a node BlockList; throws TrustedIpsError on a bad entry. */
export function compileTrustedIps(entries: readonly string[]): TrustedIps {
  if (entries.length === 0) return { trusts: () => false };
  const list = new BlockList();
  for (const raw of entries) {
    const entry = raw.trim();
    if (entry === 'unix:') continue;
    const [ip, bits] = entry.split('/');
    const n = ip === undefined ? null : normalise(ip);
    if (n === null) throw new TrustedIpsError(entry);
    if (bits === undefined) list.addAddress(n.addr, n.family);
    else {
      const prefix = Number(bits);
      const max = n.family === 'ipv4' ? 32 : 128;
      if (!Number.isInteger(prefix) || prefix < 0 || prefix > max) throw new TrustedIpsError(entry);
      list.addSubnet(n.addr, prefix, n.family);
    }
  }
  const cache = new Map<string, boolean>();
  return {
    trusts(address) {
      if (address === undefined) return false;
      let hit = cache.get(address);
      if (hit === undefined) {
        const n = normalise(address);
        hit = n !== null && list.check(n.addr, n.family);
        if (cache.size > 10_000) cache.clear();
        cache.set(address, hit);
      }
      return hit;
    },
  };
}
