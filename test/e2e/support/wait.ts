/**
 * Waiting without sleeping as synchronisation: poll a condition until a deadline, and say what was
 * awaited and what was last seen when the deadline passes (an e2e failure must be diagnosable).
 */

/** A condition that is not met yet, with what was seen (kept for the timeout message). */
export class NotYet {
  /** `seen` describes the last observed state, e.g. "2/3 pods ready". */
  constructor(readonly seen: string) {}
}

/** Thrown when `waitFor` reaches its deadline; the message names the condition and the last state. */
export class WaitTimeoutError extends Error {
  /** `what` names the awaited condition; `seen` is the last observed state or error. */
  constructor(
    readonly what: string,
    readonly seen: string,
    readonly timeoutMs: number,
  ) {
    super(`timed out after ${timeoutMs} ms waiting for ${what}; last seen: ${seen}`);
    this.name = 'WaitTimeoutError';
  }
}

/**
 * Polls `probe` until it returns a value that is neither undefined nor a NotYet, or throws a
 * WaitTimeoutError after `timeoutMs`. A probe that throws counts as "not yet" (the thrown message is
 * the last state), because in a cluster that converges a failing read is usually transient.
 */
export async function waitFor<T>(
  what: string,
  probe: () => Promise<T | NotYet | undefined> | T | NotYet | undefined,
  opts: { timeoutMs?: number; intervalMs?: number } = {},
): Promise<T> {
  const timeoutMs = opts.timeoutMs ?? 60_000;
  const intervalMs = opts.intervalMs ?? 250;
  const deadline = Date.now() + timeoutMs;
  let seen: string;
  for (;;) {
    try {
      const value = await probe();
      if (value instanceof NotYet) seen = value.seen;
      else if (value !== undefined) return value;
      else seen = 'not yet';
    } catch (err) {
      seen = `error: ${err instanceof Error ? err.message : String(err)}`;
    }
    if (Date.now() >= deadline) throw new WaitTimeoutError(what, seen, timeoutMs);
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}

/** Wall time of one scenario, printed to stderr by `report()` (the issue asks for each scenario's time). */
export class ScenarioClock {
  private readonly started = Date.now();
  /** `name` is printed with the time. */
  constructor(private readonly name: string) {}
  /** Milliseconds since construction. */
  elapsedMs(): number {
    return Date.now() - this.started;
  }
  /** Writes "e2e scenario <name>: <s> s" to stderr and returns the elapsed milliseconds. */
  report(): number {
    const ms = this.elapsedMs();
    process.stderr.write(`e2e scenario ${this.name}: ${(ms / 1000).toFixed(1)} s\n`);
    return ms;
  }
}
