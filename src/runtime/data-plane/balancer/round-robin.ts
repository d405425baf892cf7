import { available, type Address } from './address.js';
import type { PickContext } from './balancer.js';

/**
 * Smooth weighted round-robin (nginx's algorithm, which Kong's ring approximates): each pick adds
 * every eligible address's weight to its score and takes the highest, so weights 5:1:1 give
 * a a b a c a a rather than bursts. Unhealthy or already-tried addresses sit out without
 * disturbing the others' order. No allocation per pick.
 */
export class RoundRobin {
  constructor(private addresses: readonly Address[]) {}

  /** Replaces the address list (scores restart). */
  update(addresses: readonly Address[]): void {
    for (const a of addresses) a.current = 0;
    this.addresses = addresses;
  }

  /** The next address, or null when none is eligible. */
  pick(ctx: PickContext): Address | null {
    let best: Address | null = null;
    let total = 0;
    const list = this.addresses;
    for (let i = 0; i < list.length; i++) {
      const a = list[i]!;
      if (a.weight <= 0 || !available(a, ctx.tried)) continue;
      a.current += a.weight;
      total += a.weight;
      if (best === null || a.current > best.current) best = a;
    }
    if (best !== null) best.current -= total;
    return best;
  }
}
