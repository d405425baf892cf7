import { describe, it, expect } from '@jest/globals';
import { createManualClock } from '../../protocol/clock.js';
import { createPushScheduler } from './push-scheduler.js';

function deferred() {
  let resolve!: () => void;
  const promise = new Promise<void>((r) => (resolve = r));
  return { promise, resolve };
}

describe('createPushScheduler', () => {
  it('coalesces a burst into one run and a burst during a run into exactly one more', async () => {
    const clock = createManualClock(0);
    const runs: number[] = [];
    let gate = deferred();
    const s = createPushScheduler({
      clock,
      delayMs: 5,
      onError: () => undefined,
      run: async (at) => {
        runs.push(at);
        await gate.promise;
      },
    });
    s.request();
    clock.advance(1);
    s.request();
    s.request();
    expect(runs).toEqual([]);
    clock.advance(4);
    expect(runs).toEqual([0]);
    // Three more changes while the first run is busy.
    clock.advance(10);
    s.request();
    s.request();
    s.request();
    const first = gate;
    gate = deferred();
    first.resolve();
    await new Promise((r) => setImmediate(r));
    clock.advance(5);
    expect(runs).toEqual([0, 15]);
    gate.resolve();
    await s.idle();
    expect(runs).toHaveLength(2);
    s.stop();
  });

  it('keeps going after a failed run and reports the error', async () => {
    const clock = createManualClock(0);
    const errors: unknown[] = [];
    let n = 0;
    const s = createPushScheduler({
      clock,
      delayMs: 1,
      onError: (e) => errors.push(e),
      run: async () => {
        if (n++ === 0) throw new Error('boom');
      },
    });
    s.request();
    clock.advance(1);
    await s.idle();
    s.request();
    clock.advance(1);
    await s.idle();
    expect(n).toBe(2);
    expect(errors).toEqual([new Error('boom')]);
    s.stop();
  });
});
