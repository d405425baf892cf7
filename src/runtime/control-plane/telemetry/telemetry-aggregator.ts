import {
  emptyHistogram,
  STATUS_CLASSES,
  type HealthChange,
  type TelemetryBatch,
  type TelemetryHistogram,
  type TelemetrySeries,
} from '../../protocol/telemetry-messages.js';

/** Totals of one service/route pair since the CP started (counters only grow). */
export type SeriesTotals = TelemetrySeries;

/** What the CP knows of one DP's telemetry. */
export interface NodeTelemetry {
  node_id: string;
  hostname: string;
  ip: string;
  connected: boolean;
  /** Unix seconds of the last batch, or null. */
  last_report_at: number | null;
  batches: number;
  dropped: number;
  series: Map<string, SeriesTotals>;
  /** Current health per upstream/target as the DP last reported it. */
  health: Map<string, HealthChange>;
  /** The latest health changes, newest last (bounded). */
  recent: HealthChange[];
}

/** The JSON view of GET /clustering/telemetry. */
export interface TelemetryView {
  total: { requests: SeriesTotals[]; data_planes: number; connected: number };
  data_planes: {
    node_id: string;
    hostname: string;
    ip: string;
    connected: boolean;
    last_report_at: number | null;
    batches: number;
    dropped: number;
    requests: SeriesTotals[];
    upstream_health: HealthChange[];
    recent_health_changes: HealthChange[];
  }[];
}

/** Per-DP and total request statistics fed by the telemetry listener. */
export interface TelemetryAggregator {
  connected(nodeId: string, who: { hostname: string; ip: string }): void;
  disconnected(nodeId: string): void;
  ingest(nodeId: string, batch: TelemetryBatch): void;
  nodes(): Iterable<NodeTelemetry>;
  /** Sums over every DP, per service/route. */
  totals(): SeriesTotals[];
  view(): TelemetryView;
  /** Forgets a DP (the data-planes row was deleted). */
  forget(nodeId: string): void;
}

const RECENT_CHANGES = 50;

function addHistogram(into: TelemetryHistogram, from: TelemetryHistogram): void {
  for (let i = 0; i < into.buckets.length; i++) into.buckets[i]! += from.buckets[i] ?? 0;
  into.sum += from.sum;
  into.count += from.count;
}

function emptySeries(service: string, route: string): SeriesTotals {
  return {
    service,
    route,
    status: { '1xx': 0, '2xx': 0, '3xx': 0, '4xx': 0, '5xx': 0 },
    latency_ms: emptyHistogram(),
    upstream_latency_ms: emptyHistogram(),
  };
}

function addSeries(into: Map<string, SeriesTotals>, s: SeriesTotals): void {
  const key = `${s.service}\u0000${s.route}`;
  let t = into.get(key);
  if (!t) {
    t = emptySeries(s.service, s.route);
    into.set(key, t);
  }
  for (const c of STATUS_CLASSES) t.status[c] += s.status[c];
  addHistogram(t.latency_ms, s.latency_ms);
  addHistogram(t.upstream_latency_ms, s.upstream_latency_ms);
}

/**
 * Keeps running totals per DP (counters since the CP started, so Prometheus rates work across DP
 * reconnects) and computes the cluster total on demand. Bounded by `maxNodes`: beyond it, the
 * longest-disconnected DP is forgotten first.
 */
export function createTelemetryAggregator(
  opts: { maxNodes?: number; now?: () => number } = {},
): TelemetryAggregator {
  const now = opts.now ?? Date.now;
  const maxNodes = opts.maxNodes ?? 10_000;
  const nodes = new Map<string, NodeTelemetry>();

  const node = (id: string): NodeTelemetry => {
    let n = nodes.get(id);
    if (!n) {
      if (nodes.size >= maxNodes) {
        const victim = [...nodes.values()]
          .filter((x) => !x.connected)
          .sort((a, b) => (a.last_report_at ?? 0) - (b.last_report_at ?? 0))[0];
        if (victim) nodes.delete(victim.node_id);
      }
      n = {
        node_id: id,
        hostname: '',
        ip: '',
        connected: false,
        last_report_at: null,
        batches: 0,
        dropped: 0,
        series: new Map(),
        health: new Map(),
        recent: [],
      };
      nodes.set(id, n);
    }
    return n;
  };

  const totals = (): SeriesTotals[] => {
    const all = new Map<string, SeriesTotals>();
    for (const n of nodes.values()) for (const s of n.series.values()) addSeries(all, s);
    return [...all.values()];
  };

  return {
    connected(id, who) {
      const n = node(id);
      n.hostname = who.hostname;
      n.ip = who.ip;
      n.connected = true;
    },
    disconnected(id) {
      const n = nodes.get(id);
      if (n) n.connected = false;
    },
    ingest(id, batch) {
      const n = node(id);
      n.batches++;
      n.dropped += batch.dropped;
      n.last_report_at = Math.floor(now() / 1000);
      for (const s of batch.requests) addSeries(n.series, s);
      for (const c of batch.upstream_health) {
        n.health.set(`${c.upstream}\u0000${c.target}`, c);
        n.recent.push(c);
      }
      if (n.recent.length > RECENT_CHANGES) n.recent.splice(0, n.recent.length - RECENT_CHANGES);
    },
    nodes: () => nodes.values(),
    totals,
    forget: (id) => void nodes.delete(id),
    view() {
      const list = [...nodes.values()].sort((a, b) => a.node_id.localeCompare(b.node_id));
      return {
        total: {
          requests: totals(),
          data_planes: list.length,
          connected: list.filter((n) => n.connected).length,
        },
        data_planes: list.map((n) => ({
          node_id: n.node_id,
          hostname: n.hostname,
          ip: n.ip,
          connected: n.connected,
          last_report_at: n.last_report_at,
          batches: n.batches,
          dropped: n.dropped,
          requests: [...n.series.values()],
          upstream_health: [...n.health.values()],
          recent_health_changes: [...n.recent],
        })),
      };
    },
  };
}
