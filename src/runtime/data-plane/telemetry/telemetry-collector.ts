import {
  bucketIndex,
  emptyHistogram,
  MAX_SERIES_PER_BATCH,
  statusClassOf,
  type HealthChange,
  type TelemetryBatch,
  type TelemetrySeries,
} from '../../protocol/telemetry-messages.js';

/** The series that collects whatever exceeds the per-batch series limit. */
export const OTHER_SERIES = '~other';

/** Accumulates request statistics and health changes between two batches. */
export interface TelemetryCollector {
  /** One proxied request (the proxy's ExchangeRecorder arguments). */
  record(
    service: string | null,
    route: string | null,
    status: number,
    latencyMs: number,
    upstreamLatencyMs: number | null,
  ): void;
  healthChange(change: HealthChange): void;
  /** Requests or changes lost (a batch that could not be sent); reported in the next batch. */
  addDropped(n: number): void;
  /** True when there is something to send. */
  pending(): boolean;
  /** Takes everything collected since the last drain as a batch (the collector starts over). */
  drain(now: number): TelemetryBatch;
}

/**
 * Per-request cost is one Map lookup and a few increments: the hot path never serialises. Series are
 * keyed by service and route; past MAX_SERIES_PER_BATCH distinct pairs, requests go to "~other" so a
 * DP with a huge config cannot grow a batch without bound.
 */
export function createTelemetryCollector(now: () => number = Date.now): TelemetryCollector {
  // service → route → series: two lookups and no key string built per request.
  let series = new Map<string, Map<string, TelemetrySeries>>();
  let size = 0;
  let changes: HealthChange[] = [];
  let dropped = 0;
  let seq = 0;
  let start = now();

  const seriesFor = (service: string, route: string): TelemetrySeries => {
    let routes = series.get(service);
    const s = routes?.get(route);
    if (s) return s;
    // The overflow series itself is the one allowed past the limit.
    if (size >= MAX_SERIES_PER_BATCH && service !== OTHER_SERIES)
      return seriesFor(OTHER_SERIES, OTHER_SERIES);
    if (!routes) series.set(service, (routes = new Map()));
    const created: TelemetrySeries = {
      service,
      route,
      status: { '1xx': 0, '2xx': 0, '3xx': 0, '4xx': 0, '5xx': 0 },
      latency_ms: emptyHistogram(),
      upstream_latency_ms: emptyHistogram(),
    };
    routes.set(route, created);
    size++;
    return created;
  };

  return {
    record(service, route, status, latencyMs, upstreamLatencyMs) {
      const s = seriesFor(service ?? '', route ?? '');
      s.status[statusClassOf(status)]++;
      const l = Math.max(0, latencyMs);
      s.latency_ms.buckets[bucketIndex(l)]!++;
      s.latency_ms.sum += l;
      s.latency_ms.count++;
      if (upstreamLatencyMs !== null) {
        const u = Math.max(0, upstreamLatencyMs);
        s.upstream_latency_ms.buckets[bucketIndex(u)]!++;
        s.upstream_latency_ms.sum += u;
        s.upstream_latency_ms.count++;
      }
    },
    healthChange(change) {
      // Bounded: a flapping target keeps only its latest changes.
      if (changes.length >= 10_000) changes.shift();
      changes.push(change);
    },
    addDropped(n) {
      dropped += n;
    },
    pending: () => size > 0 || changes.length > 0 || dropped > 0,
    drain(at) {
      const batch: TelemetryBatch = {
        type: 'telemetry_batch',
        seq: seq++,
        interval: { start, end: at },
        requests: [...series.values()].flatMap((routes) => [...routes.values()]),
        upstream_health: changes,
        dropped,
      };
      series = new Map();
      size = 0;
      changes = [];
      dropped = 0;
      start = at;
      return batch;
    },
  };
}
