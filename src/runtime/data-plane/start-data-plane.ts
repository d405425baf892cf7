import cluster from 'node:cluster';
import type { Logger } from '../../shared/logger.js';
import type { Conf } from '../config/conf/types.js';
import { ensureDefaultCertificate } from '../tls/default-certificate.js';
import type { DataPlaneEngine } from './engine/create-data-plane-engine.js';
import { createEngineFromConf } from './engine/engine-from-conf.js';
import type { BalancerFactory } from './engine/types.js';
import type { PluginIndex } from './plugins/plugin-index.js';
import { createFrameworkPluginRunner } from './proxy/framework-plugin-runner.js';
import type { PluginRunner } from './proxy/plugin-hooks.js';
import { proxyOptionsFromConf } from './proxy/proxy-options.js';
import { startProxyServer, type BoundAddress, type ProxyServer } from './proxy/proxy-server.js';
import { ProxyMetrics } from './status/proxy-metrics.js';
import { startStatusServer, type StatusServer } from './status/status-server.js';
import { startDataPlanePrimary } from './workers/data-plane-primary.js';
import type { WorkerPool } from './workers/worker-pool.js';

/** Pieces the caller may supply instead of the defaults (tests, the balancer area's factory). */
export interface StartDataPlaneOptions {
  createBalancer?: BalancerFactory;
  /** Replaces the plugin framework runner; null runs without plugins. */
  plugins?: PluginRunner | null;
  nodeId?: string | null;
  /** The worker entry module (worker_processes > 1); defaults to the built workers/worker-main.js. */
  workerExec?: string;
  /** Node flags of worker processes; defaults to the primary's. */
  workerExecArgv?: string[];
}

/** The certificate proxy_listen `ssl` serves without an SNI match: conf ssl_cert, or a generated one. */
export async function proxyDefaultCertificate(
  conf: Pick<Conf, 'proxy_listen' | 'ssl_cert' | 'ssl_cert_key' | 'prefix'>,
): Promise<{ cert: string; key: string } | null> {
  if (!conf.proxy_listen.some((l) => l.ssl)) return null;
  const cert = conf.ssl_cert[0];
  const key = conf.ssl_cert_key[0];
  return cert !== undefined && key !== undefined
    ? { cert: cert.pem, key: key.pem }
    : ensureDefaultCertificate(conf.prefix, 'proxy');
}

/** A running data plane: the engine to feed configs into, where it listens, and how to stop it. */
export interface RunningDataPlane {
  engine: DataPlaneEngine;
  metrics: ProxyMetrics;
  addresses: { proxy: BoundAddress[]; status: { host: string; port: number }[] };
  /** Downstream connection counters of this process's proxy listeners. */
  connections(): { accepted: number; active: number };
  /** The proxy workers, when worker_processes > 1 (this process is then their primary). */
  workers?: WorkerPool;
  /** Stops accepting, lets in-flight requests finish (up to `graceMs`), closes pools and listeners. */
  close(graceMs?: number): Promise<void>;
}

/**
 * Starts the proxy and status listeners of a data plane (or traditional) node; with worker_processes
 * > 1 the proxy runs in that many worker processes and this process keeps the engine (readiness,
 * hash), the status API and the CP connection (see workers/). It applies no config:
 * the caller feeds `engine.apply()` from declarative_config, the DP cache or the CP; until then every
 * request gets Kong's 404 and `/status/ready` answers 503.
 */
export async function startDataPlane(
  conf: Conf,
  logger: Logger,
  opts: StartDataPlaneOptions = {},
): Promise<RunningDataPlane> {
  // Only a data plane runs workers (the property belongs to that role; a traditional node ignores it).
  if (conf.role === 'data_plane' && (conf.worker_processes ?? 1) > 1 && cluster.isPrimary) {
    return startDataPlanePrimary(conf, logger, {
      ...(opts.createBalancer !== undefined ? { createBalancer: opts.createBalancer } : {}),
      nodeId: opts.nodeId ?? null,
      ...(opts.workerExec !== undefined ? { exec: opts.workerExec } : {}),
      ...(opts.workerExecArgv !== undefined ? { execArgv: opts.workerExecArgv } : {}),
    });
  }
  const engine = createEngineFromConf(conf, logger, opts.createBalancer);
  const metrics = new ProxyMetrics();
  const options = proxyOptionsFromConf(conf);
  const defaultCertificate = await proxyDefaultCertificate(conf);
  let proxy: ProxyServer | null = null;
  let status: StatusServer;
  try {
    proxy = await startProxyServer({
      engine,
      listen: conf.proxy_listen,
      options,
      defaultCertificate,
      recorder: metrics,
      plugins: opts.plugins === undefined ? createFrameworkPluginRunner(logger) : opts.plugins,
      logger,
    });
    const running = proxy;
    status = await startStatusServer({
      engine,
      listen: conf.status_listen,
      metrics,
      connections: () => running.stats(),
      nodeId: opts.nodeId ?? null,
      logger,
    });
  } catch (err) {
    await proxy?.close(0);
    engine.close();
    throw err;
  }
  const statusServer = status;
  const proxyServer = proxy;
  logger.info({ proxy: proxyServer.addresses, status: statusServer.addresses }, 'data plane listening');
  let closing: Promise<void> | null = null;
  return {
    engine,
    metrics,
    addresses: { proxy: proxyServer.addresses, status: statusServer.addresses },
    connections: () => proxyServer.stats(),
    close(graceMs = 10_000) {
      closing ??= (async () => {
        await proxyServer.close(graceMs);
        await statusServer.close();
        engine.close();
        (engine.current()?.plugins as PluginIndex | null | undefined)?.close();
      })();
      return closing;
    },
  };
}
