/**
 * Per-key exponential backoff, as controller-runtime's default rate limiter: base * 2^failures, capped
 * (5 ms up to 1000 s). Keys are forgotten on success so the next failure starts from the base again.
 */
export class ExponentialBackoff {
  private readonly failures = new Map<string, number>();
  readonly baseMs: number;
  readonly maxMs: number;

  constructor(baseMs = 5, maxMs = 1_000_000) {
    this.baseMs = baseMs;
    this.maxMs = maxMs;
  }

  /** The delay before the next retry of `key`, counting this failure. */
  next(key: string): number {
    const n = this.failures.get(key) ?? 0;
    this.failures.set(key, n + 1);
    // 2^n overflows to Infinity long after it passes maxMs, so the min() keeps it bounded.
    return Math.min(this.baseMs * 2 ** n, this.maxMs);
  }

  /** How many times `key` has failed since it was last forgotten. */
  retries(key: string): number {
    return this.failures.get(key) ?? 0;
  }

  /** Resets `key` after a success. */
  forget(key: string): void {
    this.failures.delete(key);
  }
}
