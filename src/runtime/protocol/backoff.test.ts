import { describe, it, expect } from '@jest/globals';
import { createBackoff } from './backoff.js';
import { createManualClock } from './clock.js';

describe('createBackoff', () => {
  it('doubles its ceiling up to the cap and jitters below it', () => {
    const top = createBackoff({ baseMs: 1000, capMs: 8000, random: () => 1 });
    expect([1, 2, 3, 4, 5, 6].map(() => top.next())).toEqual([1000, 2000, 4000, 8000, 8000, 8000]);
    top.reset();
    expect(top.attempts).toBe(0);
    expect(top.next()).toBe(1000);
    const bottom = createBackoff({ baseMs: 1000, capMs: 8000, random: () => 0 });
    expect([1, 2, 3].map(() => bottom.next())).toEqual([50, 50, 50]);
    const many = createBackoff({ baseMs: 10, capMs: 100 });
    for (let i = 0; i < 2000; i++) {
      const d = many.next();
      expect(d).toBeGreaterThanOrEqual(10);
      expect(d).toBeLessThanOrEqual(100);
    }
  });

  it('rejects a cap below the base', () => {
    expect(() => createBackoff({ baseMs: 10, capMs: 5 })).toThrow(/0 < base <= cap/);
  });
});

describe('createManualClock', () => {
  it('fires due timers in order, including ones scheduled while advancing', () => {
    const clock = createManualClock(0);
    const fired: string[] = [];
    clock.setTimeout(() => fired.push('b'), 20);
    clock.setTimeout(() => {
      fired.push('a');
      clock.setTimeout(() => fired.push('c'), 5);
    }, 10);
    const cancelled = clock.setTimeout(() => fired.push('x'), 12);
    clock.clearTimeout(cancelled);
    clock.advance(19);
    expect(fired).toEqual(['a', 'c']);
    clock.advance(1);
    expect(fired).toEqual(['a', 'c', 'b']);
    expect(clock.now()).toBe(20);
    expect(clock.pending()).toBe(0);
  });
});
