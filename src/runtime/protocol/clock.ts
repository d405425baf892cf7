/** An opaque timer handle. */
export type TimerHandle = { readonly __timer: true };

/**
 * Time as the clustering code sees it: injected so tests drive heartbeats, dead-peer timeouts,
 * backoff and ttl with a manual clock instead of sleeping.
 */
export interface Clock {
  /** Milliseconds since the epoch. */
  now(): number;
  setTimeout(fn: () => void, ms: number): TimerHandle;
  clearTimeout(handle: TimerHandle | null | undefined): void;
}

/** The process clock; timers are unref'd so a pending heartbeat never keeps a process alive. */
export const systemClock: Clock = {
  now: () => Date.now(),
  setTimeout(fn, ms) {
    const t = setTimeout(fn, ms);
    t.unref();
    return t as unknown as TimerHandle;
  },
  clearTimeout(handle) {
    if (handle) clearTimeout(handle as unknown as NodeJS.Timeout);
  },
};

/** A clock tests advance by hand; due timers run in time order during `advance`. */
export interface ManualClock extends Clock {
  advance(ms: number): void;
  /** Number of timers not yet fired or cleared. */
  pending(): number;
}

/** Creates a ManualClock starting at `start` ms. */
export function createManualClock(start = 1_700_000_000_000): ManualClock {
  let now = start;
  let seq = 0;
  const timers = new Map<number, { at: number; fn: () => void }>();
  return {
    now: () => now,
    setTimeout(fn, ms) {
      const id = ++seq;
      timers.set(id, { at: now + Math.max(0, ms), fn });
      return id as unknown as TimerHandle;
    },
    clearTimeout(handle) {
      if (handle !== null && handle !== undefined) timers.delete(handle as unknown as number);
    },
    advance(ms) {
      const target = now + ms;
      for (;;) {
        let nextId = -1;
        let nextAt = Infinity;
        for (const [id, t] of timers) {
          if (t.at <= target && (t.at < nextAt || (t.at === nextAt && id < nextId))) {
            nextAt = t.at;
            nextId = id;
          }
        }
        if (nextId < 0) break;
        const t = timers.get(nextId)!;
        timers.delete(nextId);
        now = Math.max(now, t.at);
        t.fn();
      }
      now = target;
    },
    pending: () => timers.size,
  };
}
