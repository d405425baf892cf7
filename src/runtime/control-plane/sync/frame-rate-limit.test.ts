import { describe, expect, it } from '@jest/globals';
import { createManualClock } from '../../protocol/clock.js';
import { createFrameRateLimiter, TokenBucket } from './frame-rate-limit.js';

describe('TokenBucket', () => {
  it('allows the burst, then refills at the rate, never above the burst', () => {
    const clock = createManualClock();
    const b = new TokenBucket({ burst: 3, perSecond: 2 }, clock);
    expect([b.take(), b.take(), b.take(), b.take()]).toEqual([true, true, true, false]);
    clock.advance(499);
    expect(b.take()).toBe(false);
    clock.advance(1);
    expect(b.take()).toBe(true);
    clock.advance(60_000);
    expect([b.take(), b.take(), b.take(), b.take()]).toEqual([true, true, true, false]);
  });

  it('keeps credits beyond the burst until they are spent', () => {
    const clock = createManualClock();
    const b = new TokenBucket({ burst: 2, perSecond: 1 }, clock);
    for (let i = 0; i < 5; i++) b.credit();
    const taken = Array.from({ length: 8 }, () => b.take());
    expect(taken.filter(Boolean)).toHaveLength(7);
    expect(taken.at(-1)).toBe(false);
  });
});

describe('createFrameRateLimiter', () => {
  it('keeps one bucket per kind, and a push credits both', () => {
    const clock = createManualClock();
    const l = createFrameRateLimiter(clock, {
      heartbeat: { burst: 1, perSecond: 1 },
      report: { burst: 1, perSecond: 1 },
    });
    expect([l.allow('heartbeat'), l.allow('heartbeat')]).toEqual([true, false]);
    expect(l.allow('report')).toBe(true);
    l.credit();
    expect([l.allow('heartbeat'), l.allow('report')]).toEqual([true, true]);
    expect(l.limitOf('report')).toEqual({ burst: 1, perSecond: 1 });
  });

  it('refuses limits that could never let a frame through', () => {
    expect(() => createFrameRateLimiter(createManualClock(), { report: { burst: 0, perSecond: 1 } })).toThrow(
      /burst must be >= 1/,
    );
    expect(() =>
      createFrameRateLimiter(createManualClock(), { heartbeat: { burst: 1, perSecond: 0 } }),
    ).toThrow(RangeError);
  });
});
