import type { Clock } from '../../protocol/clock.js';

/**
 * The frames a DP may send after basic_info, grouped by what they cost the CP: `heartbeat` is a
 * WebSocket ping (or an unsolicited pong: the CP never pings, so any pong is noise), `report` is a data
 * frame (an error report, or a v2 resync request) that the CP parses and may log.
 */
export type FrameKind = 'heartbeat' | 'report';

/** One token bucket: `burst` frames at once, refilled at `perSecond`. */
export interface BucketLimit {
  burst: number;
  perSecond: number;
}

/** The per-connection limits, by kind of frame. */
export type FrameRateLimits = Record<FrameKind, BucketLimit>;

/**
 * Defaults. Besides what each configuration frame earns (credit()), a DP pings every
 * cluster_ping_interval (30 s), so 10 at once then 1 per second is thirty times what a healthy DP
 * sends unprompted, while a flooding DP is cut within a few frames of its allowance.
 */
export const DEFAULT_FRAME_RATE_LIMITS: FrameRateLimits = {
  heartbeat: { burst: 10, perSecond: 1 },
  report: { burst: 10, perSecond: 1 },
};

/** A token bucket on an injected clock (no timers: tokens are computed on demand). */
export class TokenBucket {
  private tokens: number;
  private last: number;

  constructor(
    private readonly limit: BucketLimit,
    private readonly clock: Clock,
  ) {
    this.tokens = limit.burst;
    this.last = clock.now();
  }

  /** Takes one token; false when none is left (the caller refuses the frame). */
  take(): boolean {
    const now = this.clock.now();
    const elapsed = Math.max(0, now - this.last) / 1000;
    this.last = now;
    // Refill up to the burst; credits may have put more than that in, and are kept.
    if (this.tokens < this.limit.burst)
      this.tokens = Math.min(this.limit.burst, this.tokens + elapsed * this.limit.perSecond);
    if (this.tokens < 1) return false;
    this.tokens -= 1;
    return true;
  }

  /** Adds one token beyond the burst: an answer the peer is owed (see FrameRateLimiter.credit). */
  credit(): void {
    this.tokens += 1;
  }
}

/** The buckets of one DP connection. */
export interface FrameRateLimiter {
  /** Takes a token of `kind`; false when the DP exceeded its rate (close it). */
  allow(kind: FrameKind): boolean;
  /** The limit of `kind`, for the close reason and the log line. */
  limitOf(kind: FrameKind): BucketLimit;
  /**
   * The CP sent the DP a configuration frame: a healthy DP answers each with a heartbeat (it pings
   * right after applying) and may answer with an error report or a resync, so each frame sent earns one
   * of each. A DP's allowance thus follows the CP's own push rate, which a DP cannot raise.
   */
  credit(): void;
}

/** Creates the buckets of one connection from `limits` (defaults for kinds not given). */
export function createFrameRateLimiter(
  clock: Clock,
  limits: Partial<FrameRateLimits> = {},
): FrameRateLimiter {
  const merged: FrameRateLimits = { ...DEFAULT_FRAME_RATE_LIMITS, ...limits };
  for (const [kind, l] of Object.entries(merged)) {
    if (!(l.burst >= 1) || !(l.perSecond > 0))
      throw new RangeError(`frame rate limit ${kind}: burst must be >= 1 and perSecond > 0`);
  }
  const buckets: Record<FrameKind, TokenBucket> = {
    heartbeat: new TokenBucket(merged.heartbeat, clock),
    report: new TokenBucket(merged.report, clock),
  };
  return {
    allow: (kind) => buckets[kind].take(),
    limitOf: (kind) => merged[kind],
    credit() {
      buckets.heartbeat.credit();
      buckets.report.credit();
    },
  };
}
