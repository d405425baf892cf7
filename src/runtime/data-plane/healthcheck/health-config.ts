/**
 * An upstream's `healthchecks` record in a typed form with Kong's defaults filled, so the checker
 * never re-reads loose config on the hot path. Intervals and timeouts are in seconds in the entity and
 * milliseconds here.
 */

/** Thresholds and statuses of one side (active or passive). */
export interface CheckSide {
  healthyStatuses: ReadonlySet<number>;
  successes: number;
  unhealthyStatuses: ReadonlySet<number>;
  tcpFailures: number;
  timeouts: number;
  httpFailures: number;
}

/** Active probing settings. */
export interface ActiveConfig extends CheckSide {
  type: 'tcp' | 'http' | 'https' | 'grpc' | 'grpcs';
  timeoutMs: number;
  concurrency: number;
  httpPath: string;
  headers: Record<string, string[]>;
  httpsSni: string | null;
  verifyCertificate: boolean;
  healthyIntervalMs: number;
  unhealthyIntervalMs: number;
}

/** The whole healthchecks record. */
export interface HealthConfig {
  active: ActiveConfig;
  passive: CheckSide;
  /** Percentage of healthy weight under which the whole upstream counts as unhealthy. */
  threshold: number;
}

const ACTIVE_HEALTHY = [200, 302];
const ACTIVE_UNHEALTHY = [429, 404, 500, 501, 502, 503, 504, 505];
const PASSIVE_HEALTHY = [
  200, 201, 202, 203, 204, 205, 206, 207, 208, 226, 300, 301, 302, 303, 304, 305, 306, 307, 308,
];
const PASSIVE_UNHEALTHY = [429, 500, 503];

type Loose = Record<string, unknown> | null | undefined;

function rec(v: unknown): Record<string, unknown> {
  return typeof v === 'object' && v !== null ? (v as Record<string, unknown>) : {};
}

function num(v: unknown, d: number): number {
  return typeof v === 'number' && Number.isFinite(v) ? v : d;
}

function statuses(v: unknown, d: number[]): ReadonlySet<number> {
  return new Set(Array.isArray(v) ? (v as number[]) : d);
}

function side(raw: Record<string, unknown>, healthyDefault: number[], unhealthyDefault: number[]): CheckSide {
  const h = rec(raw.healthy);
  const u = rec(raw.unhealthy);
  return {
    healthyStatuses: statuses(h.http_statuses, healthyDefault),
    successes: num(h.successes, 0),
    unhealthyStatuses: statuses(u.http_statuses, unhealthyDefault),
    tcpFailures: num(u.tcp_failures, 0),
    timeouts: num(u.timeouts, 0),
    httpFailures: num(u.http_failures, 0),
  };
}

/** Reads an upstream's `healthchecks` (absent fields take Kong's defaults). */
export function readHealthConfig(healthchecks: Loose): HealthConfig {
  const hc = rec(healthchecks);
  const a = rec(hc.active);
  const p = rec(hc.passive);
  const headers: Record<string, string[]> = {};
  for (const [k, v] of Object.entries(rec(a.headers))) if (Array.isArray(v)) headers[k] = v.map(String);
  return {
    active: {
      ...side(a, ACTIVE_HEALTHY, ACTIVE_UNHEALTHY),
      type: (['tcp', 'http', 'https', 'grpc', 'grpcs'] as const).find((t) => t === a.type) ?? 'http',
      timeoutMs: num(a.timeout, 1) * 1000,
      concurrency: Math.max(1, num(a.concurrency, 10)),
      httpPath: typeof a.http_path === 'string' ? a.http_path : '/',
      headers,
      httpsSni: typeof a.https_sni === 'string' ? a.https_sni : null,
      verifyCertificate: a.https_verify_certificate !== false,
      healthyIntervalMs: num(rec(a.healthy).interval, 0) * 1000,
      unhealthyIntervalMs: num(rec(a.unhealthy).interval, 0) * 1000,
    },
    passive: side(p, PASSIVE_HEALTHY, PASSIVE_UNHEALTHY),
    threshold: num(hc.threshold, 0),
  };
}

/** Whether active probing is on (either interval non-zero). */
export function activeEnabled(c: HealthConfig): boolean {
  return c.active.healthyIntervalMs > 0 || c.active.unhealthyIntervalMs > 0;
}

/** Whether passive checking is on (any unhealthy threshold non-zero). */
export function passiveEnabled(c: HealthConfig): boolean {
  const p = c.passive;
  return p.tcpFailures > 0 || p.timeouts > 0 || p.httpFailures > 0;
}

/** Kong's HEALTHCHECKS_OFF: neither active probes nor passive thresholds are configured. */
export function healthchecksOff(c: HealthConfig): boolean {
  return !activeEnabled(c) && !passiveEnabled(c) && c.active.successes === 0 && c.passive.successes === 0;
}
