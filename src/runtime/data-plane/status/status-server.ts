import { Registry, collectDefaultMetrics } from 'prom-client';
import type { Logger } from '../../../shared/logger.js';
import type { ListenAddress } from '../../config/conf/types.js';
import type { DataPlaneEngine } from '../engine/create-data-plane-engine.js';
import type { ProxyMetrics } from './proxy-metrics.js';
import { answerUpstreams } from './upstream-endpoints.js';
import {
  NO_CONFIGURATION,
  NOT_FOUND,
  READY,
  notReady,
  statusBody,
  type StatusAnswer,
} from '../../status-api/status-answers.js';
import { startStatusHttpServer, type StatusHttpServer } from '../../status-api/status-http-server.js';
import { prometheusRegistry, setUpstreamHealthProvider } from '../plugins/prometheus/metrics.js';

/** Inputs of the status listener. */
export interface StatusServerInput {
  engine: DataPlaneEngine;
  listen: readonly ListenAddress[];
  metrics: ProxyMetrics;
  /** Downstream connection counters of the proxy. */
  connections: () => { accepted: number; active: number };
  nodeId?: string | null;
  logger: Logger;
  /**
   * A multi-process DP's workers: their request series and counters replace this process's own
   * (which proxies nothing) in /metrics and /status.
   */
  workers?: WorkerCounters;
}

/** What the status API reads from a multi-process DP's worker pool. */
export interface WorkerCounters {
  /** The workers' request metrics, summed (Prometheus text). */
  metrics(): Promise<string>;
  /** The workers' request and connection counters, summed. */
  stats(): Promise<{ totalRequests: number; accepted: number; active: number }>;
}

/** The running status API. */
export interface StatusServer {
  addresses: { host: string; port: number }[];
  close(): Promise<void>;
}

/**
 * The data plane's read-only status API on status_listen: `/status`, `/status/ready`, `/metrics` and
 * the upstream endpoints. Plain node http: a handful of routes, never on the proxy's hot path.
 */
export async function startStatusServer(input: StatusServerInput): Promise<StatusServer> {
  const { engine, metrics, logger } = input;
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'hybridgate_' });
  // kong_upstream_target_health reads the balancers in service at scrape time.
  setUpstreamHealthProvider(() =>
    [...(engine.current()?.balancers ?? new Map())].map(([upstream, balancer]) => ({
      upstream,
      targets: balancer.health?.() ?? [],
    })),
  );

  async function handle(path: string, url: URL): Promise<StatusAnswer> {
    const state = engine.current();
    if (path === '/status') {
      const c = input.workers === undefined ? null : await input.workers.stats();
      const conn = c ?? input.connections();
      return {
        status: 200,
        body: statusBody({
          reachable: true,
          server: {
            total_requests: c === null ? metrics.totalRequests : c.totalRequests,
            connections_accepted: conn.accepted,
            connections_handled: conn.accepted,
            connections_active: conn.active,
          },
          configurationHash: state?.hash ?? '0'.repeat(32),
        }),
      };
    }
    if (path === '/status/ready') {
      const ready = state !== null && state.hash !== '' && !/^0+$/.test(state.hash);
      return ready ? READY : notReady(NO_CONFIGURATION);
    }
    if (path === '/metrics') {
      // The prometheus plugin's families (kong_http_requests_total, latencies, bandwidth, target
      // health) follow the node's own; in worker mode they are counted inside the workers.
      const text =
        input.workers === undefined
          ? metrics.render(state) + (await registry.metrics()) + (await prometheusRegistry.metrics())
          : metrics.render(state, { requests: false }) +
            (await input.workers.metrics()) +
            (await registry.metrics());
      return { status: 200, text, contentType: registry.contentType };
    }
    const segments = path.split('/').filter((s) => s !== '');
    if (segments[0] === 'upstreams')
      return answerUpstreams(state, segments.slice(1), url.searchParams, input.nodeId ?? null);
    return NOT_FOUND;
  }

  let server: StatusHttpServer;
  try {
    server = await startStatusHttpServer({ listen: input.listen, logger, handle });
  } catch (err) {
    registry.clear();
    setUpstreamHealthProvider(null);
    throw err;
  }
  return {
    addresses: server.addresses,
    async close() {
      await server.close();
      registry.clear();
      setUpstreamHealthProvider(null);
    },
  };
}
