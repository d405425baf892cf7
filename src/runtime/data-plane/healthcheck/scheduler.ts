/**
 * Time for health checks and DNS refresh, injectable so tests drive it without sleeping. Every timer
 * a component starts goes through one of these and is cancelled by the component's close().
 */

/** A scheduled callback that can be cancelled. */
export interface TimerHandle {
  cancel(): void;
}

/** A clock plus one-shot timers. */
export interface Scheduler {
  /** Milliseconds (monotonic enough for intervals). */
  now(): number;
  /** Runs `fn` once after `ms`. */
  setTimer(fn: () => void, ms: number): TimerHandle;
}

/** The real scheduler: Date.now and unref'd timers (health checks never keep a process alive). */
export const realScheduler: Scheduler = {
  now: () => Date.now(),
  setTimer(fn, ms) {
    const t = setTimeout(fn, ms);
    t.unref();
    return { cancel: () => clearTimeout(t) };
  },
};

interface Pending {
  at: number;
  seq: number;
  fn: () => void;
  cancelled: boolean;
}

/** A scheduler tests move by hand: advance(ms) runs due timers in time order. */
export class ManualScheduler implements Scheduler {
  private time: number;
  private seq = 0;
  private pending: Pending[] = [];

  constructor(start = 1_700_000_000_000) {
    this.time = start;
  }

  now(): number {
    return this.time;
  }

  setTimer(fn: () => void, ms: number): TimerHandle {
    const p: Pending = { at: this.time + Math.max(0, ms), seq: this.seq++, fn, cancelled: false };
    this.pending.push(p);
    return { cancel: () => void (p.cancelled = true) };
  }

  /** Moves time forward, running every timer due by then (including ones those timers schedule). */
  advance(ms: number): void {
    const until = this.time + ms;
    for (;;) {
      this.pending = this.pending.filter((p) => !p.cancelled);
      this.pending.sort((a, b) => a.at - b.at || a.seq - b.seq);
      const next = this.pending[0];
      if (next === undefined || next.at > until) break;
      this.pending.shift();
      this.time = next.at;
      next.fn();
    }
    this.time = until;
  }

  /** Timers not yet run or cancelled (tests check nothing leaks after close()). */
  get activeTimers(): number {
    return this.pending.filter((p) => !p.cancelled).length;
  }
}
