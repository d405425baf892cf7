/**
 * The narrow interface between the proxy and a load balancer for one upstream. Structurally it
 * satisfies the engine's `Balancer` (engine/types.ts): pick/report/release/health/close, plus
 * `update` so targets can change without losing health state or counters.
 */

/** One address the proxy can connect to; `id` and `target` name the target entity it came from. */
export interface Target {
  host: string;
  port: number;
  /** The target entity's id. */
  id?: string;
  /** `host:port` as written in the target entity (what the status API shows). */
  target?: string;
  /** The target's weight (0 = disabled). */
  weight?: number;
}

/** A target entity as it comes in the config (`target` is "host[:port]", `weight` 0–65535). */
export type TargetEntity = { id: string } & Record<string, unknown>;

/** What a balancer may hash on and which targets failed already in this request (retries). */
export interface PickContext {
  clientIp: string;
  headers: Readonly<Record<string, string | string[] | undefined>>;
  /** Downstream path without the query string. */
  path: string;
  /** Raw query string without '?'. */
  query: string;
  consumerId: string | null;
  /** Targets that failed earlier in this request; a balancer avoids them when it can. */
  tried: readonly Target[];
  /** Named captures of the matched route's regex path (hash_on = uri_capture). */
  uriCaptures?: Readonly<Record<string, string>> | null;
  /**
   * Output: a `Set-Cookie` value the proxy must add to the response (hash_on = cookie, when the client
   * sent none, as Kong does). The balancer writes it; the proxy reads it after pick().
   */
  setCookie?: string | null;
}

/**
 * Outcome of one proxied attempt, for passive health checks. When report() gets a status, the status
 * decides (passive healthy/unhealthy http_statuses), whatever the outcome word; without one,
 * 'failure' is a TCP error and 'timeout' a connect/read/write timeout.
 */
export type Outcome = 'success' | 'failure' | 'timeout';

/** Health of one target as Kong's `/upstreams/{u}/health` reports it. */
export type TargetHealthState = 'HEALTHY' | 'UNHEALTHY' | 'DNS_ERROR' | 'HEALTHCHECKS_OFF';

/** One row of `/upstreams/{u}/health`. */
export interface TargetHealth {
  id: string;
  target: string;
  weight: number;
  health: TargetHealthState;
  /** Resolved addresses and their own health (Kong's `data.addresses`). */
  addresses?: { ip: string; port: number; health: TargetHealthState; weight: number }[];
}

/** A load balancer for one upstream. */
export interface Balancer {
  /** Replaces the target list; health state of targets that stay is kept. */
  update(targets: readonly TargetEntity[]): void;
  /** The next target, or null when none is healthy (the proxy answers 503). */
  pick(ctx: PickContext): Target | null;
  /** Passive health check input after each attempt. */
  report(target: Target, outcome: Outcome, status?: number): void;
  /** A request on `target` finished (least-connections bookkeeping; harmless for the others). */
  release(target: Target): void;
  /** Health of every target, for `/upstreams/{u}/health`. */
  health(): TargetHealth[];
  /** Stops timers (active checks, DNS refresh) when the config swap retires this balancer. */
  close(): void;
}
