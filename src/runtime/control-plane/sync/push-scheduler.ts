import type { Clock, TimerHandle } from '../../protocol/clock.js';

/** Coalesces change signals into push runs. */
export interface PushScheduler {
  /** A change happened; a run will cover it. */
  request(): void;
  /** Resolves when no run is scheduled or in progress. */
  idle(): Promise<void>;
  stop(): void;
}

/**
 * Bursts of changes become one run: a request schedules a run `delayMs` later that covers every change
 * committed by then; requests during a run schedule exactly one more run after it. With a small delay
 * a lone change still reaches DPs within tens of ms (Kong waits db_update_frequency, 5 s).
 * `run` receives the clock time of the oldest request it covers (for the push latency metric).
 */
export function createPushScheduler(opts: {
  run: (requestedAt: number) => Promise<void>;
  clock: Clock;
  delayMs: number;
  onError: (err: unknown) => void;
}): PushScheduler {
  let timer: TimerHandle | null = null;
  let running = false;
  let dirtyAt: number | null = null;
  let firstRequestAt: number | null = null;
  let stopped = false;
  let waiters: (() => void)[] = [];

  const settle = () => {
    if (timer === null && !running) {
      const w = waiters;
      waiters = [];
      for (const fn of w) fn();
    }
  };
  const schedule = () => {
    if (stopped || timer !== null) return;
    timer = opts.clock.setTimeout(() => void fire(), opts.delayMs);
  };
  const fire = async () => {
    timer = null;
    running = true;
    const at = firstRequestAt ?? opts.clock.now();
    firstRequestAt = null;
    try {
      await opts.run(at);
    } catch (err) {
      opts.onError(err);
    } finally {
      running = false;
      if (dirtyAt !== null && !stopped) {
        firstRequestAt = dirtyAt;
        dirtyAt = null;
        schedule();
      }
      settle();
    }
  };
  return {
    request() {
      if (stopped) return;
      const now = opts.clock.now();
      if (running) {
        dirtyAt ??= now;
        return;
      }
      firstRequestAt ??= now;
      schedule();
    },
    idle() {
      if (timer === null && !running) return Promise.resolve();
      return new Promise((resolve) => waiters.push(resolve));
    },
    stop() {
      stopped = true;
      opts.clock.clearTimeout(timer);
      timer = null;
      dirtyAt = null;
      settle();
    },
  };
}
