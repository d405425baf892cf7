import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { Registry, collectDefaultMetrics } from 'prom-client';
import type { Logger } from '../../../shared/logger.js';
import { errorMessage } from '../../../shared/errors.js';
import type { ListenAddress } from '../../config/conf/types.js';
import type { DataPlaneEngine } from '../engine/create-data-plane-engine.js';
import type { ProxyMetrics } from './proxy-metrics.js';
import { answerUpstreams, type JsonAnswer } from './upstream-endpoints.js';
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

const NOT_READY = { message: 'no configuration available (empty configuration present)' };

function sendJson(res: http.ServerResponse, a: JsonAnswer): void {
  const body = JSON.stringify(a.body);
  res.writeHead(a.status, {
    'content-type': 'application/json; charset=utf-8',
    'content-length': Buffer.byteLength(body),
  });
  res.end(body);
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

  async function route(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://status');
    const path = url.pathname.replace(/\/+$/, '') || '/';
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      return sendJson(res, { status: 405, body: { message: 'Method not allowed' } });
    }
    const state = engine.current();
    if (path === '/status') {
      const c = input.workers === undefined ? null : await input.workers.stats();
      const totalRequests = c === null ? metrics.totalRequests : c.totalRequests;
      const conn = c ?? input.connections();
      const mem = process.memoryUsage();
      return sendJson(res, {
        status: 200,
        body: {
          database: { reachable: true },
          server: {
            total_requests: totalRequests,
            connections_accepted: conn.accepted,
            connections_handled: conn.accepted,
            connections_active: conn.active,
          },
          memory: { heap_used: mem.heapUsed, rss: mem.rss },
          configuration_hash: state?.hash ?? '0'.repeat(32),
        },
      });
    }
    if (path === '/status/ready') {
      const ready = state !== null && state.hash !== '' && !/^0+$/.test(state.hash);
      return sendJson(
        res,
        ready ? { status: 200, body: { message: 'ready' } } : { status: 503, body: NOT_READY },
      );
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
      res.writeHead(200, { 'content-type': registry.contentType, 'content-length': Buffer.byteLength(text) });
      return void res.end(text);
    }
    const segments = path.split('/').filter((s) => s !== '');
    if (segments[0] === 'upstreams')
      return sendJson(res, answerUpstreams(state, segments.slice(1), url.searchParams, input.nodeId ?? null));
    sendJson(res, { status: 404, body: { message: 'Not found' } });
  }

  const servers: http.Server[] = [];
  const addresses: { host: string; port: number }[] = [];
  const closeAll = (): Promise<void> =>
    Promise.all(
      servers.map(
        (s) =>
          new Promise<void>((r) => {
            s.closeAllConnections();
            s.close(() => r());
          }),
      ),
    ).then(() => undefined);
  for (const addr of input.listen) {
    const srv = http.createServer((req, res) => {
      route(req, res).catch((err: unknown) => {
        logger.error({ err: errorMessage(err) }, 'status request failed');
        if (!res.headersSent)
          sendJson(res, { status: 500, body: { message: 'An unexpected error occurred' } });
      });
    });
    srv.on('clientError', (_err, socket) => socket.destroy());
    try {
      await new Promise<void>((resolve, reject) => {
        srv.once('error', reject);
        srv.listen({ host: addr.host, port: addr.port }, () => {
          srv.off('error', reject);
          resolve();
        });
      });
    } catch (err) {
      await closeAll();
      throw err;
    }
    servers.push(srv);
    const a = srv.address() as AddressInfo;
    addresses.push({ host: a.address, port: a.port });
  }
  return {
    addresses,
    async close() {
      await closeAll();
      registry.clear();
      setUpstreamHealthProvider(null);
    },
  };
}
