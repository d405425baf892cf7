import { describe, it, expect } from '@jest/globals';
import { LruCache } from './lru-cache.js';

describe('LruCache', () => {
  it('keeps recently used entries and drops those unused for two generations', () => {
    const c = new LruCache<string, number>(2);
    c.set('a', 1);
    c.set('b', 2);
    c.set('c', 3); // young full: a, b become old
    expect(c.get('a')).toBe(1); // promoted
    c.set('d', 4); // young (c, a) full: b retires to nowhere on the next turn
    c.set('e', 5);
    expect(c.get('a')).toBe(1);
    expect(c.get('b')).toBeUndefined();
    expect(c.size).toBeLessThanOrEqual(4);
  });

  it('refuses a non-positive capacity', () => {
    expect(() => new LruCache(0)).toThrow(RangeError);
  });
});
