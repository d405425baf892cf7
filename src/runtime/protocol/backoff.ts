/** Reconnect delays: exponential growth from `base` to `cap`, with full jitter. */
export interface Backoff {
  /** The delay before the next attempt, in ms; grows with each call until reset. */
  next(): number;
  /** Call after a successful connection, so the next failure starts from `base` again. */
  reset(): void;
  /** Attempts since the last reset. */
  readonly attempts: number;
}

/**
 * Exponential backoff with full jitter (a uniform delay in [floor, min(cap, base·2^n)]): a fleet of
 * DPs that lost the CP at the same moment spreads its reconnects instead of arriving in waves
 * (Kong's fixed random 5–10 s has the same aim without the growth). `random` is injectable for tests.
 */
export function createBackoff(opts: {
  baseMs: number;
  capMs: number;
  floorMs?: number;
  random?: () => number;
}): Backoff {
  const { baseMs, capMs } = opts;
  if (!(baseMs > 0) || !(capMs >= baseMs)) {
    throw new RangeError(`backoff needs 0 < base <= cap, got base=${baseMs}ms cap=${capMs}ms`);
  }
  const floor = Math.min(opts.floorMs ?? 50, baseMs);
  const random = opts.random ?? Math.random;
  let attempts = 0;
  return {
    next() {
      // 2^attempts overflows to Infinity long after it passed the cap; Math.min handles that.
      const ceiling = Math.min(capMs, baseMs * 2 ** attempts);
      attempts++;
      return Math.round(floor + random() * (ceiling - floor));
    },
    reset() {
      attempts = 0;
    },
    get attempts() {
      return attempts;
    },
  };
}
