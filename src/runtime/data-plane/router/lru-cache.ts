/**
 * A bounded cache with approximate least-recently-used eviction in two generations: hits in the old
 * generation are promoted to the young one, and when the young one is full the old one is dropped
 * whole. Every operation is a Map get/set: no per-hit delete and re-insert, which made an exact LRU
 * over a JS Map cost more than the route lookups it saved. Holds at most 2 × `capacity` entries.
 */
export class LruCache<K, V> {
  private young = new Map<K, V>();
  private old = new Map<K, V>();

  constructor(private readonly capacity: number) {
    if (!Number.isInteger(capacity) || capacity < 1) {
      throw new RangeError(`lru capacity must be a positive integer, got ${String(capacity)}`);
    }
  }

  /** The cached value (promoted if it was old); undefined on a miss. */
  get(key: K): V | undefined {
    const hit = this.young.get(key);
    if (hit !== undefined) return hit;
    const old = this.old.get(key);
    if (old !== undefined) this.set(key, old);
    return old;
  }

  /** Stores a value in the young generation, retiring the old generation when the young one fills. */
  set(key: K, value: V): void {
    if (this.young.size >= this.capacity) {
      this.old = this.young;
      this.young = new Map();
    }
    this.young.set(key, value);
  }

  /** Number of entries held (both generations; an entry may be counted twice after promotion). */
  get size(): number {
    return this.young.size + this.old.size;
  }
}
