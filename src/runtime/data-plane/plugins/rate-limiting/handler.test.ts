import { describe, expect, it } from '@jest/globals';
import { exitJson, runRequest, testContext, testIndex } from '../test-context.js';
import { CounterStore } from './counter-store.js';
import { windowBounds } from './windows.js';

let seq = 0;
function setup(config: Record<string, unknown>, start = Date.UTC(2026, 0, 15, 10, 30, 30)) {
  const clock = { t: start };
  const index = testIndex({ plugins: [{ id: `rl-${++seq}`, name: 'rate-limiting', config }] }, () => clock.t);
  return { clock, index };
}

describe('rate-limiting', () => {
  it('limits per minute with Kong headers, then resets with the window', async () => {
    const { clock, index } = setup({ minute: 2, hour: 10, limit_by: 'ip' });
    const first = await runRequest(index, testContext());
    expect(first.response?.headers).toMatchObject({
      'x-ratelimit-limit-minute': '2',
      'x-ratelimit-remaining-minute': '1',
      'x-ratelimit-limit-hour': '10',
      'x-ratelimit-remaining-hour': '9',
      'ratelimit-limit': '2',
      'ratelimit-remaining': '1',
      'ratelimit-reset': '30',
    });
    const second = await runRequest(index, testContext());
    expect(second.response?.headers['x-ratelimit-remaining-minute']).toBe('0');
    const third = await runRequest(index, testContext());
    expect(third.exited?.status).toBe(429);
    expect(exitJson(third)).toEqual({ message: 'API rate limit exceeded' });
    expect(third.exited?.headers['retry-after']).toBe('30');
    expect(third.exited?.headers['x-ratelimit-remaining-minute']).toBe('0');
    clock.t += 30_000;
    const later = await runRequest(index, testContext());
    expect(later.exited).toBeNull();
    expect(later.response?.headers['x-ratelimit-remaining-hour']).toBe('7');
  });

  it('counts identifiers separately (ip, header with ip fallback)', async () => {
    const { index } = setup({ second: 1, limit_by: 'ip' });
    expect((await runRequest(index, testContext({ clientIp: '10.0.0.1' }))).exited).toBeNull();
    expect((await runRequest(index, testContext({ clientIp: '10.0.0.2' }))).exited).toBeNull();
    expect((await runRequest(index, testContext({ clientIp: '10.0.0.1' }))).exited?.status).toBe(429);
    const byHeader = setup({ second: 1, limit_by: 'header', header_name: 'X-Tenant' }).index;
    expect((await runRequest(byHeader, testContext({ headers: { 'x-tenant': 'a' } }))).exited).toBeNull();
    expect((await runRequest(byHeader, testContext({ headers: { 'x-tenant': 'b' } }))).exited).toBeNull();
    expect((await runRequest(byHeader, testContext({ headers: { 'x-tenant': 'a' } }))).exited?.status).toBe(
      429,
    );
  });

  it('uses error_code, error_message and hide_client_headers', async () => {
    const { index } = setup({
      second: 1,
      limit_by: 'ip',
      error_code: 503,
      error_message: 'slow down',
      hide_client_headers: true,
    });
    const ok = await runRequest(index, testContext());
    expect(Object.keys(ok.response!.headers).some((h) => h.includes('ratelimit'))).toBe(false);
    const limited = await runRequest(index, testContext());
    expect(limited.exited?.status).toBe(503);
    expect(exitJson(limited)).toEqual({ message: 'slow down' });
    expect(Object.keys(limited.exited!.headers).filter((h) => h.includes('ratelimit'))).toEqual([]);
    expect(limited.exited!.headers['retry-after']).toBe('1');
  });

  it('reports the most constrained window in RateLimit-*', async () => {
    const { index } = setup({ second: 1, minute: 5, limit_by: 'ip' }, Date.UTC(2026, 0, 15, 10, 30, 50, 500));
    const ctx = await runRequest(index, testContext());
    expect(ctx.response?.headers).toMatchObject({
      'ratelimit-limit': '1',
      'ratelimit-remaining': '0',
      'ratelimit-reset': '1',
    });
    const { index: hourly } = setup(
      { minute: 3, hour: 3, limit_by: 'ip' },
      Date.UTC(2026, 0, 15, 10, 30, 50),
    );
    // Equal remaining: the window that resets later is the one that constrains.
    const tie = await runRequest(hourly, testContext());
    expect(tie.response?.headers).toMatchObject({
      'ratelimit-limit': '3',
      'ratelimit-remaining': '2',
      'ratelimit-reset': '1750',
    });
  });
});

describe('rate-limiting windows and counters', () => {
  it('aligns calendar windows in UTC', () => {
    const t = Date.UTC(2026, 1, 14, 5, 6, 7, 8);
    expect(windowBounds('second', t)).toEqual({
      start: Date.UTC(2026, 1, 14, 5, 6, 7),
      end: Date.UTC(2026, 1, 14, 5, 6, 8),
    });
    expect(windowBounds('day', t).start).toBe(Date.UTC(2026, 1, 14));
    expect(windowBounds('month', t)).toEqual({ start: Date.UTC(2026, 1, 1), end: Date.UTC(2026, 2, 1) });
    expect(windowBounds('year', t)).toEqual({ start: Date.UTC(2026, 0, 1), end: Date.UTC(2027, 0, 1) });
  });

  it('expires entries and stays within its bound', () => {
    const store = new CounterStore(10);
    expect(store.increment('a', 1, 100, 0)).toBe(1);
    expect(store.increment('a', 1, 100, 50)).toBe(2);
    expect(store.get('a', 100)).toBe(0);
    for (let i = 0; i < 50; i++) store.increment(`k${i}`, 1, 1000, 0);
    expect(store.size).toBeLessThanOrEqual(10);
    expect(store.get('k49', 0)).toBe(1);
  });
});
