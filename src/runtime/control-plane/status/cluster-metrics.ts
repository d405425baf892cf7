import { Counter, Gauge, Histogram, type Registry } from 'prom-client';
import type { DataPlaneRegistry } from './data-plane-registry.js';

/** The CP's clustering metrics; sync code observes pushes, the DP gauges read the registry on scrape. */
export interface ClusterMetrics {
  pushes: Counter<'result'>;
  pushDuration: Histogram;
  payloadBytes: Gauge<'encoding'>;
  /**
   * Cluster connections refused or closed by a robustness limit, by reason: per_ip_limit,
   * handshakes_in_flight, handshake_timeout, rate_limited, identity_conflict (docs/security.md).
   */
  connectionsRefused: Counter<'reason'>;
}

const INCOMPATIBLE = new Set([
  'kong_version_incompatible',
  'plugin_set_incompatible',
  'plugin_version_incompatible',
]);

/**
 * A config hash as a number for Prometheus (Kong exports `data_plane_config_hash` numerically): the
 * first 13 hex digits fit a double exactly, plenty to tell versions apart on a dashboard.
 */
export function configHashToNumber(hash: string): number {
  const n = parseInt(hash.slice(0, 13), 16);
  return Number.isFinite(n) ? n : 0;
}

/**
 * Registers the CP metrics on `registry`. `data_planes_connected` counts this CP's connections; the
 * per-DP gauges cover the whole cluster when CPs share a store (as Kong's read its shared table).
 * Per-DP names follow Kong's (`<prefix>data_plane_*`) so existing dashboards work; the default prefix
 * is Kong's Prometheus plugin's `kong_`.
 */
export function createClusterMetrics(
  registry: Registry,
  dataPlanes: DataPlaneRegistry,
  prefix = 'kong_',
): ClusterMetrics {
  const labels = ['node_id', 'hostname', 'ip'] as const;
  new Gauge({
    name: `${prefix}data_planes_connected`,
    help: 'Data planes connected to this control plane',
    registers: [registry],
    collect() {
      this.set(dataPlanes.list('local').filter((r) => r.status === 'connected').length);
    },
  });
  new Gauge({
    name: `${prefix}data_plane_last_seen`,
    help: 'Last time a data plane was seen (unix seconds)',
    labelNames: labels,
    registers: [registry],
    async collect() {
      await dataPlanes.refresh();
      this.reset();
      for (const r of dataPlanes.list())
        this.set({ node_id: r.id, hostname: r.hostname, ip: r.ip }, r.last_seen);
    },
  });
  new Gauge({
    name: `${prefix}data_plane_config_hash`,
    help: 'Config hash a data plane reports, as a number',
    labelNames: labels,
    registers: [registry],
    async collect() {
      await dataPlanes.refresh();
      this.reset();
      for (const r of dataPlanes.list()) {
        this.set({ node_id: r.id, hostname: r.hostname, ip: r.ip }, configHashToNumber(r.config_hash));
      }
    },
  });
  new Gauge({
    name: `${prefix}data_plane_version_compatible`,
    help: 'Whether a data plane can receive this control plane configuration (1) or not (0)',
    labelNames: [...labels, 'kong_version'],
    registers: [registry],
    async collect() {
      await dataPlanes.refresh();
      this.reset();
      for (const r of dataPlanes.list()) {
        const l = { node_id: r.id, hostname: r.hostname, ip: r.ip, kong_version: r.version };
        this.set(l, INCOMPATIBLE.has(r.sync_status) ? 0 : 1);
      }
    },
  });
  return {
    pushes: new Counter({
      name: `${prefix}control_plane_config_pushes_total`,
      help: 'Configuration pushes to data planes by result (sent, skipped_incompatible, failed)',
      labelNames: ['result'],
      registers: [registry],
    }),
    pushDuration: new Histogram({
      name: `${prefix}control_plane_config_push_duration_seconds`,
      help: 'Time from a change to the configuration being written to every compatible data plane',
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers: [registry],
    }),
    payloadBytes: new Gauge({
      name: `${prefix}control_plane_config_payload_bytes`,
      help: 'Size of the latest configuration payload (gzip on the wire, json before compression)',
      labelNames: ['encoding'],
      registers: [registry],
    }),
    connectionsRefused: new Counter({
      name: `${prefix}control_plane_cluster_connections_refused_total`,
      help: 'Cluster connections refused or closed by a limit (per_ip_limit, handshakes_in_flight, handshake_timeout, rate_limited, identity_conflict)',
      labelNames: ['reason'],
      registers: [registry],
    }),
  };
}
