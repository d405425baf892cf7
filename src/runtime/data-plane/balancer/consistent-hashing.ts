import { available, type Address } from './address.js';
import type { PickContext } from './balancer.js';

// 160 points per default-weight address keeps key shares within a few percent of the weights.
const POINTS_PER_WEIGHT = 1.6;

/** FNV-1a 32-bit with a murmur3 finaliser (spreads nearby keys over the whole ring). */
export function hash32(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/**
 * A ketama-style consistent-hashing continuum: each address owns POINTS_PER_WEIGHT points per unit
 * of weight (160 for the default weight 100), placed by hashing "ip:port index". A key maps to the
 * first point at or after its hash; because an address's points do not depend on the others,
 * removing one address only remaps the keys that were on its points (about 1/n of them). Kong's
 * `slots` bounds the continuum: only when the points would exceed it are all counts scaled down
 * (which then moves more keys). When the owner is unhealthy or already tried, the walk continues
 * to the next points' owners.
 */
export class ConsistentHashing {
  private points = new Uint32Array(0);
  private owners: Address[] = [];

  constructor(
    addresses: readonly Address[],
    private readonly slots: number,
  ) {
    this.update(addresses);
  }

  /** Rebuilds the continuum for a new address list. */
  update(addresses: readonly Address[]): void {
    const live = addresses.filter((a) => a.weight > 0);
    const total = live.reduce((s, a) => s + a.weight, 0);
    const perWeight = Math.min(POINTS_PER_WEIGHT, this.slots / Math.max(1, total));
    const entries: { h: number; a: Address }[] = [];
    for (const a of live) {
      const n = Math.max(1, Math.round(a.weight * perWeight));
      const base = `${a.peer.host}:${a.peer.port} `;
      for (let i = 0; i < n; i++) entries.push({ h: hash32(base + i), a });
    }
    entries.sort((x, y) => x.h - y.h);
    this.points = Uint32Array.from(entries, (e) => e.h);
    this.owners = entries.map((e) => e.a);
  }

  /** The owner of `key` (or the next eligible one along the ring), or null when none is eligible. */
  pick(key: string, ctx: PickContext): Address | null {
    const n = this.points.length;
    if (n === 0) return null;
    const h = hash32(key);
    let lo = 0;
    let hi = n;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.points[mid]! < h) lo = mid + 1;
      else hi = mid;
    }
    for (let k = 0; k < n; k++) {
      const a = this.owners[(lo + k) % n]!;
      if (available(a, ctx.tried)) return a;
    }
    return null;
  }
}
