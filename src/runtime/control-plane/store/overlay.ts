/**
 * Pending writes of one transaction over a read-only view of the committed data. The store serialises
 * write transactions, so the committed view cannot move while a transaction is open: checks made
 * against overlay + base stay true until the overlay is written in one LMDB transaction. This is what
 * lets transactions be `async` (as a PostgreSQL one would be) over LMDB's synchronous write API.
 */

/** Committed data the overlay reads through to. */
export interface KvBase {
  get(key: string): unknown;
  keysInRange(start: string, end: string): string[];
}

const DELETED: unique symbol = Symbol('deleted');

/** One transaction's pending puts and removes. */
export class Overlay {
  private readonly pending = new Map<string, unknown>();

  /** `cleared`: the base counts as empty (replaceAll); commit then removes every base key first. */
  constructor(
    private readonly base: KvBase,
    readonly cleared = false,
  ) {}

  get(key: string): unknown {
    if (this.pending.has(key)) {
      const v = this.pending.get(key);
      return v === DELETED ? undefined : v;
    }
    return this.cleared ? undefined : this.base.get(key);
  }

  put(key: string, value: unknown): void {
    this.pending.set(key, value);
  }

  remove(key: string): void {
    this.pending.set(key, DELETED);
  }

  /** Keys in [start, end) as they would be after commit, sorted. */
  keysInRange(start: string, end: string): string[] {
    const keys = new Set(this.cleared ? [] : this.base.keysInRange(start, end));
    for (const [k, v] of this.pending) {
      if (k < start || k >= end) continue;
      if (v === DELETED) keys.delete(k);
      else keys.add(k);
    }
    return [...keys].sort();
  }

  /** The writes to apply, in insertion order (`undefined` value = remove). */
  *writes(): Generator<[string, unknown]> {
    for (const [k, v] of this.pending) yield [k, v === DELETED ? undefined : v];
  }

  get size(): number {
    return this.pending.size;
  }
}
