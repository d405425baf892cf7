import { describe, it, expect } from '@jest/globals';
import { WorkQueue } from './work-queue.js';
import { ExponentialBackoff } from './backoff.js';

describe('WorkQueue', () => {
  it('de-duplicates keys that are waiting', async () => {
    const q = new WorkQueue();
    q.add('ns/a');
    q.add('ns/a');
    q.add('ns/b');
    expect(q.length).toBe(2);
    expect(await q.get()).toBe('ns/a');
    expect(await q.get()).toBe('ns/b');
  });

  it('never hands out a key being processed; an add meanwhile re-queues it on done', async () => {
    const q = new WorkQueue();
    q.add('ns/a');
    const key = await q.get();
    q.add('ns/a');
    expect(q.length).toBe(0);
    q.done(key!);
    expect(q.length).toBe(1);
    expect(await q.get()).toBe('ns/a');
  });

  it('wakes a waiting worker and returns undefined after shutdown', async () => {
    const q = new WorkQueue();
    const waiting = q.get();
    q.add('ns/x');
    expect(await waiting).toBe('ns/x');
    const pending = q.get();
    q.shutdown();
    expect(await pending).toBeUndefined();
    q.add('ns/y');
    expect(await q.get()).toBeUndefined();
  });

  it('delays rate-limited adds exponentially and forgets on success', async () => {
    const q = new WorkQueue({ backoff: new ExponentialBackoff(5, 1_000_000) });
    q.addRateLimited('ns/a');
    expect(q.length).toBe(0);
    expect(q.retries('ns/a')).toBe(1);
    expect(await q.get()).toBe('ns/a');
    q.done('ns/a');
    q.forget('ns/a');
    expect(q.retries('ns/a')).toBe(0);
    q.shutdown();
  });
});

describe('ExponentialBackoff', () => {
  it('goes 5 ms, 10 ms, 20 ms ... and caps at 1000 s like controller-runtime', () => {
    const b = new ExponentialBackoff();
    expect([b.next('k'), b.next('k'), b.next('k')]).toEqual([5, 10, 20]);
    for (let i = 0; i < 40; i++) b.next('k');
    expect(b.next('k')).toBe(1_000_000);
    expect(b.next('other')).toBe(5);
    b.forget('k');
    expect(b.next('k')).toBe(5);
  });
});
