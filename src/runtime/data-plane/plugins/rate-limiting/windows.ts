/** Kong's rate-limiting windows, smallest first, with their header suffixes. */
export const WINDOWS = ['second', 'minute', 'hour', 'day', 'month', 'year'] as const;

/** A rate-limiting window name. */
export type Window = (typeof WINDOWS)[number];

/** The window's name as it appears in X-RateLimit-*-<Name> headers. */
export const WINDOW_HEADER_NAME: Readonly<Record<Window, string>> = {
  second: 'Second',
  minute: 'Minute',
  hour: 'Hour',
  day: 'Day',
  month: 'Month',
  year: 'Year',
};

const FIXED_MS: Partial<Record<Window, number>> = {
  second: 1000,
  minute: 60_000,
  hour: 3_600_000,
  day: 86_400_000,
};

/**
 * Start and end (ms since the epoch, UTC) of the window containing `now`. Months and years follow the
 * calendar as Kong's timestamps do, so a month window resets on the 1st.
 */
export function windowBounds(window: Window, now: number): { start: number; end: number } {
  const fixed = FIXED_MS[window];
  if (fixed !== undefined) {
    const start = now - (now % fixed);
    return { start, end: start + fixed };
  }
  const d = new Date(now);
  if (window === 'month') {
    return {
      start: Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), 1),
      end: Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + 1, 1),
    };
  }
  return { start: Date.UTC(d.getUTCFullYear(), 0, 1), end: Date.UTC(d.getUTCFullYear() + 1, 0, 1) };
}
