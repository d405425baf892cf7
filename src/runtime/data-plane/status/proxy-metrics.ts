import type { ConfigState } from '../engine/types.js';
import type { ExchangeRecorder } from '../proxy/proxy-handler.js';

/** Latency buckets in ms (Kong's prometheus plugin uses the same ladder). */
export const LATENCY_BUCKETS_MS = [
  1, 2, 5, 7, 10, 15, 20, 30, 40, 50, 60, 70, 80, 90, 100, 200, 300, 400, 500, 1000, 2000, 5000, 10000, 30000,
  60000,
];

class Histogram {
  readonly counts = new Float64Array(LATENCY_BUCKETS_MS.length + 1);
  sum = 0;
  count = 0;

  observe(v: number): void {
    let i = 0;
    while (i < LATENCY_BUCKETS_MS.length && v > LATENCY_BUCKETS_MS[i]!) i++;
    this.counts[i]!++;
    this.sum += v;
    this.count++;
  }
}

interface Series {
  service: string;
  route: string;
  codes: Map<number, number>;
  latency: Histogram;
  upstream: Histogram;
}

/** One sample of prom-client's JSON metric form. */
export interface PromValue {
  labels: Record<string, string | number>;
  value: number;
  metricName?: string;
}

/** prom-client's JSON form of one metric (what AggregatorRegistry.aggregate takes). */
export interface PromMetricJson {
  name: string;
  help: string;
  type: string;
  values: PromValue[];
  aggregator: 'sum';
}

const HELP = {
  requests: 'HTTP requests proxied, by service, route and status code.',
  latency: 'Total latency of requests in ms (client to client).',
  upstream: 'Time to the upstream response headers in ms.',
  worker: 'Requests handled by each proxy worker process.',
};

function histogramJson(name: string, base: Record<string, string>, h: Histogram, out: PromValue[]): void {
  let cumulative = 0;
  for (let i = 0; i < LATENCY_BUCKETS_MS.length; i++) {
    cumulative += h.counts[i]!;
    out.push({
      labels: { ...base, le: LATENCY_BUCKETS_MS[i]! },
      value: cumulative,
      metricName: `${name}_bucket`,
    });
  }
  out.push({ labels: { ...base, le: '+Inf' }, value: h.count, metricName: `${name}_bucket` });
  out.push({ labels: base, value: h.sum, metricName: `${name}_sum` });
  out.push({ labels: base, value: h.count, metricName: `${name}_count` });
}

function escapeLabel(v: string): string {
  return v.replace(/\\/g, '\\\\').replace(/\n/g, '\\n').replace(/"/g, '\\"');
}

function histogramLines(name: string, labels: string, h: Histogram, out: string[]): void {
  let cumulative = 0;
  for (let i = 0; i < LATENCY_BUCKETS_MS.length; i++) {
    cumulative += h.counts[i]!;
    out.push(`${name}_bucket{${labels},le="${LATENCY_BUCKETS_MS[i]}"} ${cumulative}`);
  }
  out.push(`${name}_bucket{${labels},le="+Inf"} ${h.count}`);
  out.push(`${name}_sum{${labels}} ${h.sum}`);
  out.push(`${name}_count{${labels}} ${h.count}`);
}

/**
 * Request metrics of the proxy. Recording is a Map lookup and a few increments (no label hashing per
 * request, unlike a prom-client metric with labels); the Prometheus text is rendered only on scrape.
 */
export class ProxyMetrics implements ExchangeRecorder {
  private readonly series = new Map<string, Series>();
  /** service → route → series: lookups by the config's own strings, no key built per request. */
  private readonly byService = new Map<string, Map<string, Series>>();
  /** Requests seen, whatever their outcome (the status API's total_requests). */
  totalRequests = 0;
  private clusterCertExpiry: number | null = null;

  record(
    service: string | null,
    route: string | null,
    status: number,
    latencyMs: number,
    upstreamLatencyMs: number | null,
  ): void {
    this.totalRequests++;
    const s = service ?? '';
    const r = route ?? '';
    let routes = this.byService.get(s);
    if (routes === undefined) {
      routes = new Map();
      this.byService.set(s, routes);
    }
    let entry = routes.get(r);
    if (entry === undefined) {
      entry = { service: s, route: r, codes: new Map(), latency: new Histogram(), upstream: new Histogram() };
      routes.set(r, entry);
      this.series.set(s + '\u0000' + r, entry);
    }
    entry.codes.set(status, (entry.codes.get(status) ?? 0) + 1);
    entry.latency.observe(latencyMs);
    if (upstreamLatencyMs !== null) entry.upstream.observe(upstreamLatencyMs);
  }

  /** The data plane's cluster certificate expiry (unix seconds), exported once clustering sets it. */
  setClusterCertExpiry(unixSeconds: number | null): void {
    this.clusterCertExpiry = unixSeconds;
  }

  /**
   * Request counters and latency histograms in prom-client's JSON form (`getMetricsAsJSON()`), so a
   * data plane's primary process can sum its workers' with AggregatorRegistry; `worker` labels a
   * per-worker request counter (which worker served how much).
   */
  toPromJson(worker: string): PromMetricJson[] {
    const requests: PromValue[] = [];
    const latency: PromValue[] = [];
    const upstream: PromValue[] = [];
    for (const s of this.series.values()) {
      const base = { service: s.service, route: s.route };
      for (const [code, n] of s.codes) requests.push({ labels: { ...base, code }, value: n });
      histogramJson('hybridgate_request_latency_ms', base, s.latency, latency);
      if (s.upstream.count > 0) histogramJson('hybridgate_upstream_latency_ms', base, s.upstream, upstream);
    }
    const metric = (name: string, help: string, type: string, values: PromValue[]): PromMetricJson => ({
      name,
      help,
      type,
      values,
      aggregator: 'sum',
    });
    return [
      metric('hybridgate_http_requests_total', HELP.requests, 'counter', requests),
      metric('hybridgate_request_latency_ms', HELP.latency, 'histogram', latency),
      metric('hybridgate_upstream_latency_ms', HELP.upstream, 'histogram', upstream),
      metric('hybridgate_worker_requests_total', HELP.worker, 'counter', [
        { labels: { worker }, value: this.totalRequests },
      ]),
    ];
  }

  /**
   * The Prometheus exposition text for requests, latencies, target health and the config hash;
   * `requests: false` leaves out the request series (a primary whose workers report them).
   */
  render(state: ConfigState | null, opts: { requests?: boolean } = {}): string {
    const out: string[] = [];
    if (opts.requests !== false) this.renderRequests(out);
    this.renderState(state, out);
    return out.join('\n') + '\n';
  }

  private renderRequests(out: string[]): void {
    out.push(
      '# HELP hybridgate_http_requests_total HTTP requests proxied, by service, route and status code.',
    );
    out.push('# TYPE hybridgate_http_requests_total counter');
    for (const s of this.series.values()) {
      const base = `service="${escapeLabel(s.service)}",route="${escapeLabel(s.route)}"`;
      for (const [code, n] of s.codes)
        out.push(`hybridgate_http_requests_total{${base},code="${code}"} ${n}`);
    }
    out.push('# HELP hybridgate_request_latency_ms Total latency of requests in ms (client to client).');
    out.push('# TYPE hybridgate_request_latency_ms histogram');
    for (const s of this.series.values()) {
      histogramLines(
        'hybridgate_request_latency_ms',
        `service="${escapeLabel(s.service)}",route="${escapeLabel(s.route)}"`,
        s.latency,
        out,
      );
    }
    out.push('# HELP hybridgate_upstream_latency_ms Time to the upstream response headers in ms.');
    out.push('# TYPE hybridgate_upstream_latency_ms histogram');
    for (const s of this.series.values()) {
      if (s.upstream.count === 0) continue;
      histogramLines(
        'hybridgate_upstream_latency_ms',
        `service="${escapeLabel(s.service)}",route="${escapeLabel(s.route)}"`,
        s.upstream,
        out,
      );
    }
  }

  private renderState(state: ConfigState | null, out: string[]): void {
    out.push(
      '# HELP hybridgate_upstream_target_health Health of each upstream target (1 for its current state).',
    );
    out.push('# TYPE hybridgate_upstream_target_health gauge');
    const states = ['healthy', 'unhealthy', 'dns_error', 'healthchecks_off'];
    for (const [name, balancer] of state?.balancers ?? []) {
      for (const t of balancer.health?.() ?? []) {
        const current = t.health.toLowerCase();
        for (const st of states) {
          out.push(
            `hybridgate_upstream_target_health{upstream="${escapeLabel(name)}",target="${escapeLabel(t.target)}",state="${st}"} ${st === current ? 1 : 0}`,
          );
        }
      }
    }
    out.push('# HELP hybridgate_data_plane_config_info The configuration hash in service (value 1).');
    out.push('# TYPE hybridgate_data_plane_config_info gauge');
    if (state !== null) out.push(`hybridgate_data_plane_config_info{hash="${state.hash}"} 1`);
    out.push(
      '# HELP hybridgate_data_plane_config_hash The configuration hash as a number (Kong: kong_data_plane_config_hash).',
    );
    out.push('# TYPE hybridgate_data_plane_config_hash gauge');
    out.push(
      `hybridgate_data_plane_config_hash ${state === null ? 0 : Number.parseInt(state.hash.slice(0, 13), 16) || 0}`,
    );
    if (this.clusterCertExpiry !== null) {
      out.push(
        '# HELP hybridgate_data_plane_cluster_cert_expiry_timestamp Expiry of the cluster certificate (unix seconds).',
      );
      out.push('# TYPE hybridgate_data_plane_cluster_cert_expiry_timestamp gauge');
      out.push(`hybridgate_data_plane_cluster_cert_expiry_timestamp ${this.clusterCertExpiry}`);
    }
  }
}
