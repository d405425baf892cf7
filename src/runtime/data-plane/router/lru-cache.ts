/**
 * A bounded least-recently-used map. A JS Map keeps insertion order, so re-inserting on a hit moves the
 * key to the newest end and the oldest key is the first one iterated: no linked list needed.
 */
export class LruCache<K, V> {
  private readonly map = new Map<K, V>();

  constructor(private readonly capacity: number) {
    if (!Number.isInteger(capacity) || capacity < 1) {
      throw new RangeError(`lru capacity must be a positive integer, got ${String(capacity)}`);
    }
  }

  /** The cached value, refreshed as most recently used; undefined on a miss. */
  get(key: K): V | undefined {
    const value = this.map.get(key);
    if (value === undefined) return undefined;
    this.map.delete(key);
    this.map.set(key, value);
    return value;
  }

  /** Stores a value, evicting the least recently used entry when full. */
  set(key: K, value: V): void {
    if (this.map.has(key)) this.map.delete(key);
    else if (this.map.size >= this.capacity) {
      const oldest = this.map.keys().next();
      if (oldest.done !== true) this.map.delete(oldest.value);
    }
    this.map.set(key, value);
  }

  /** Number of entries held. */
  get size(): number {
    return this.map.size;
  }
}
