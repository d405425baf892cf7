/**
 * The Prometheus metrics the prometheus plugin feeds, in a prom-client registry of their own (Kong's
 * metric names, so existing dashboards work). The status API's /metrics serves
 * `prometheusRegistry.metrics()`; upstream target health is read at scrape time from a provider the
 * status/proxy side registers with `setUpstreamHealthProvider`.
 */
import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { TargetHealth } from '../../balancer/balancer.js';

/** The registry /metrics exposes. */
export const prometheusRegistry = new Registry();

// Kong's latency buckets (ms).
const BUCKETS = [
  1, 2, 5, 7, 10, 15, 20, 30, 50, 75, 100, 200, 500, 750, 1000, 2000, 5000, 10000, 30000, 60000,
];

/** Requests by status code and who produced the response (service, kong, exit). */
export const httpRequests = new Counter({
  name: 'kong_http_requests_total',
  help: 'HTTP status codes per consumer/service/route in Kong',
  labelNames: ['service', 'route', 'code', 'source', 'workspace', 'consumer'] as const,
  registers: [prometheusRegistry],
});

/** Time spent in the gateway itself (request latency minus upstream latency). */
export const kongLatency = new Histogram({
  name: 'kong_kong_latency_ms',
  help: 'Latency added by Kong and enabled plugins for each service/route in Kong',
  labelNames: ['service', 'route', 'workspace'] as const,
  buckets: BUCKETS,
  registers: [prometheusRegistry],
});

/** Time from sending the upstream request to receiving its headers. */
export const upstreamLatency = new Histogram({
  name: 'kong_upstream_latency_ms',
  help: 'Latency added by upstream response for each service/route in Kong',
  labelNames: ['service', 'route', 'workspace'] as const,
  buckets: BUCKETS,
  registers: [prometheusRegistry],
});

/** Total request latency as the client sees it. */
export const requestLatency = new Histogram({
  name: 'kong_request_latency_ms',
  help: 'Total latency incurred during requests for each service/route in Kong',
  labelNames: ['service', 'route', 'workspace'] as const,
  buckets: BUCKETS,
  registers: [prometheusRegistry],
});

/** Bytes in (ingress) and out (egress) per service/route. */
export const bandwidth = new Counter({
  name: 'kong_bandwidth_bytes',
  help: 'Total bandwidth (ingress/egress) throughput in bytes',
  labelNames: ['service', 'route', 'direction', 'workspace', 'consumer'] as const,
  registers: [prometheusRegistry],
});

/** One upstream's target health rows, as the balancer reports them. */
export interface UpstreamHealthRows {
  upstream: string;
  targets: readonly TargetHealth[];
}

let healthProvider: (() => readonly UpstreamHealthRows[]) | null = null;
let healthEnabled = 0;

/** Registers where target health comes from at scrape time (the proxy's current balancers). */
export function setUpstreamHealthProvider(provider: (() => readonly UpstreamHealthRows[]) | null): void {
  healthProvider = provider;
}

/** Counts prometheus instances that enabled upstream_health_metrics (gauge is empty at zero). */
export function upstreamHealthMetricsEnabled(delta: 1 | -1): void {
  healthEnabled = Math.max(0, healthEnabled + delta);
}

const STATES = ['healthy', 'unhealthy', 'dns_error', 'healthchecks_off'] as const;

/** Per target and state, 1 for the target's current state and 0 for the others (Kong's form). */
export const upstreamTargetHealth = new Gauge({
  name: 'kong_upstream_target_health',
  help: 'Health status of targets of upstream. States = healthchecks_off|healthy|unhealthy|dns_error, value is 1 when state is populated.',
  labelNames: ['upstream', 'target', 'address', 'state', 'subsystem'] as const,
  registers: [prometheusRegistry],
  collect() {
    this.reset();
    if (healthEnabled === 0 || healthProvider === null) return;
    for (const { upstream, targets } of healthProvider()) {
      for (const t of targets) {
        const rows =
          t.addresses && t.addresses.length > 0 ? t.addresses : [{ ip: '', port: 0, health: t.health }];
        for (const a of rows) {
          const address = a.ip === '' ? '' : `${a.ip}:${a.port}`;
          const current = a.health.toLowerCase();
          for (const state of STATES) {
            this.set(
              { upstream, target: t.target, address, state, subsystem: 'http' },
              state === current ? 1 : 0,
            );
          }
        }
      }
    }
  },
});
