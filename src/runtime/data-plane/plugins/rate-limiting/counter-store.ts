/**
 * In-memory counters for the `local` policy. They outlive config swaps (Kong keeps them in a shared
 * dict), so the store is process-wide; each entry expires at the end of its window and the store is
 * bounded: when full, expired entries go first, then the oldest inserted.
 */

interface Entry {
  count: number;
  expiresAt: number;
}

/** A bounded map of window counters keyed by plugin, scope, identifier, window and window start. */
export class CounterStore {
  private readonly entries = new Map<string, Entry>();

  constructor(private readonly maxEntries = 100_000) {}

  /** The current count of a key (0 when absent or expired). */
  get(key: string, now: number): number {
    const e = this.entries.get(key);
    if (e === undefined) return 0;
    if (e.expiresAt <= now) {
      this.entries.delete(key);
      return 0;
    }
    return e.count;
  }

  /** Adds `by` to a key that expires at `expiresAt`; returns the new count. */
  increment(key: string, by: number, expiresAt: number, now: number): number {
    const e = this.entries.get(key);
    if (e !== undefined && e.expiresAt > now) {
      e.count += by;
      return e.count;
    }
    if (e === undefined && this.entries.size >= this.maxEntries) this.evict(now);
    this.entries.set(key, { count: by, expiresAt });
    return by;
  }

  /** Number of live and not-yet-swept entries. */
  get size(): number {
    return this.entries.size;
  }

  /** Drops everything (tests). */
  clear(): void {
    this.entries.clear();
  }

  private evict(now: number): void {
    for (const [k, e] of this.entries) if (e.expiresAt <= now) this.entries.delete(k);
    // Still full: drop the oldest tenth in insertion order rather than one per insert.
    if (this.entries.size >= this.maxEntries) {
      let drop = Math.max(1, Math.floor(this.maxEntries / 10));
      for (const k of this.entries.keys()) {
        this.entries.delete(k);
        if (--drop === 0) break;
      }
    }
  }
}

/** The process-wide store the rate-limiting handler uses by default. */
export const sharedCounterStore = new CounterStore();
