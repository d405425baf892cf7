import type { Registry } from 'prom-client';
import {
  HEALTH_STATES,
  STATUS_CLASSES,
  TELEMETRY_LATENCY_BUCKETS_MS,
  type TelemetryHistogram,
} from '../../protocol/telemetry-messages.js';
import type { SeriesTotals, TelemetryAggregator } from './telemetry-aggregator.js';

type Labels = Record<string, string | number>;
interface Sample {
  value: number;
  labels: Labels;
  metricName?: string;
}

/**
 * A metric prom-client's registry renders from samples computed at scrape time. prom-client's own
 * Histogram only takes single observations; DPs send bucket counts, which this passes through as is.
 */
function scrapeMetric(
  registry: Registry,
  name: string,
  help: string,
  type: 'counter' | 'gauge' | 'histogram',
  samples: () => Sample[],
): void {
  const metric = {
    name,
    help,
    type,
    aggregator: 'sum',
    get: async () => ({ name, help, type, values: samples(), aggregator: 'sum' }),
    reset: () => undefined,
  };
  (registry as unknown as { registerMetric(m: unknown): void }).registerMetric(metric);
}

function histogramSamples(name: string, labels: Labels, h: TelemetryHistogram, out: Sample[]): void {
  let cumulative = 0;
  TELEMETRY_LATENCY_BUCKETS_MS.forEach((le, i) => {
    cumulative += h.buckets[i] ?? 0;
    out.push({ metricName: `${name}_bucket`, labels: { ...labels, le }, value: cumulative });
  });
  out.push({ metricName: `${name}_bucket`, labels: { ...labels, le: '+Inf' }, value: h.count });
  out.push({ metricName: `${name}_sum`, labels, value: h.sum });
  out.push({ metricName: `${name}_count`, labels, value: h.count });
}

/**
 * Exposes the telemetry aggregates in the CP's Prometheus registry: per DP (`node_id` label) and for
 * the whole cluster (`..._cluster_...` names without it), requests by status class, latency
 * histograms per service/route, target health, batches and drops.
 */
export function registerTelemetryMetrics(
  registry: Registry,
  agg: TelemetryAggregator,
  prefix = 'hybridgate_',
): void {
  const p = `${prefix}telemetry_`;
  const requests = (perNode: boolean) => (): Sample[] => {
    const out: Sample[] = [];
    const push = (s: SeriesTotals, extra: Labels) => {
      for (const c of STATUS_CLASSES)
        out.push({
          labels: { ...extra, service: s.service, route: s.route, status_class: c },
          value: s.status[c],
        });
    };
    if (perNode)
      for (const n of agg.nodes()) for (const s of n.series.values()) push(s, { node_id: n.node_id });
    else for (const s of agg.totals()) push(s, {});
    return out;
  };
  const latency =
    (perNode: boolean, name: string, pick: (s: SeriesTotals) => TelemetryHistogram) => (): Sample[] => {
      const out: Sample[] = [];
      if (perNode) {
        for (const n of agg.nodes())
          for (const s of n.series.values())
            histogramSamples(name, { node_id: n.node_id, service: s.service, route: s.route }, pick(s), out);
      } else {
        for (const s of agg.totals())
          histogramSamples(name, { service: s.service, route: s.route }, pick(s), out);
      }
      return out;
    };
  scrapeMetric(
    registry,
    `${p}requests_total`,
    'Requests proxied by each data plane, by service, route and status class (telemetry).',
    'counter',
    requests(true),
  );
  scrapeMetric(
    registry,
    `${p}cluster_requests_total`,
    'Requests proxied by all data planes, by service, route and status class (telemetry).',
    'counter',
    requests(false),
  );
  scrapeMetric(
    registry,
    `${p}request_latency_ms`,
    'Request latency in ms per data plane, service and route (telemetry).',
    'histogram',
    latency(true, `${p}request_latency_ms`, (s) => s.latency_ms),
  );
  scrapeMetric(
    registry,
    `${p}cluster_request_latency_ms`,
    'Request latency in ms over all data planes per service and route (telemetry).',
    'histogram',
    latency(false, `${p}cluster_request_latency_ms`, (s) => s.latency_ms),
  );
  scrapeMetric(
    registry,
    `${p}upstream_latency_ms`,
    'Upstream latency in ms per data plane, service and route (telemetry).',
    'histogram',
    latency(true, `${p}upstream_latency_ms`, (s) => s.upstream_latency_ms),
  );
  scrapeMetric(
    registry,
    `${p}upstream_target_health`,
    'Target health as each data plane reports it (1 for the current state).',
    'gauge',
    () => {
      const out: Sample[] = [];
      for (const n of agg.nodes()) {
        for (const h of n.health.values()) {
          for (const st of HEALTH_STATES)
            out.push({
              labels: { node_id: n.node_id, upstream: h.upstream, target: h.target, state: st.toLowerCase() },
              value: st === h.health ? 1 : 0,
            });
        }
      }
      return out;
    },
  );
  scrapeMetric(
    registry,
    `${p}connected`,
    'Whether a data plane has its telemetry connection up (1) or not (0).',
    'gauge',
    () =>
      [...agg.nodes()].map((n) => ({
        labels: { node_id: n.node_id, hostname: n.hostname },
        value: n.connected ? 1 : 0,
      })),
  );
  scrapeMetric(registry, `${p}batches_total`, 'Telemetry batches received per data plane.', 'counter', () =>
    [...agg.nodes()].map((n) => ({ labels: { node_id: n.node_id }, value: n.batches })),
  );
  scrapeMetric(
    registry,
    `${p}dropped_total`,
    'Requests a data plane could not report (series limit, failed sends).',
    'counter',
    () => [...agg.nodes()].map((n) => ({ labels: { node_id: n.node_id }, value: n.dropped })),
  );
}
