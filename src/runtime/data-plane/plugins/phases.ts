/**
 * Kong's request phases in the order a request goes through them. Phases are data: the runner walks
 * one of these over a precomputed chain; adding a phase means adding a name here, not a new code path.
 * `certificate` runs during the TLS handshake (before any request); `rewrite` runs before routing, so
 * only global plugins see it (as in Kong).
 */
export const PHASES = ['certificate', 'rewrite', 'access', 'header_filter', 'body_filter', 'log'] as const;

/** One of Kong's phases. */
export type Phase = (typeof PHASES)[number];

/** The index of each phase in PHASES (chains store per-phase arrays in this order). */
export const PHASE_INDEX: Readonly<Record<Phase, number>> = Object.freeze(
  Object.fromEntries(PHASES.map((p, i) => [p, i])) as Record<Phase, number>,
);
