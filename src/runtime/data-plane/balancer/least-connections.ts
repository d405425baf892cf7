import { available, type Address } from './address.js';
import type { PickContext } from './balancer.js';

/**
 * Weighted least-connections: the address with the fewest requests in flight per unit of weight
 * ((active + 1) / weight, so a new request goes where it adds the least relative load). Ties go to
 * the next address after the previous pick, so equal addresses share load instead of the first one
 * taking every tie.
 */
export class LeastConnections {
  private cursor = 0;

  constructor(private addresses: readonly Address[]) {}

  /** Replaces the address list (in-flight counts live on the addresses and carry over). */
  update(addresses: readonly Address[]): void {
    this.addresses = addresses;
    this.cursor = 0;
  }

  /** The least loaded eligible address (its in-flight count is incremented), or null. */
  pick(ctx: PickContext): Address | null {
    const list = this.addresses;
    const n = list.length;
    let best: Address | null = null;
    let bestScore = Infinity;
    let bestIdx = 0;
    for (let k = 0; k < n; k++) {
      const idx = (this.cursor + k) % n;
      const a = list[idx]!;
      if (a.weight <= 0 || !available(a, ctx.tried)) continue;
      const score = (a.active + 1) / a.weight;
      if (score < bestScore) {
        best = a;
        bestScore = score;
        bestIdx = idx;
      }
    }
    if (best !== null) {
      best.active++;
      this.cursor = (bestIdx + 1) % Math.max(1, n);
    }
    return best;
  }
}
