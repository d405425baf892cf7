import type { Logger } from '../../shared/logger.js';
import type { Conf } from '../config/conf/types.js';
import { configHashes } from '../config/hash.js';
import { ensureDefaultCertificate } from '../tls/default-certificate.js';
import { createBalancer } from './balancer/create-balancer.js';
import type { TargetEntity } from './balancer/balancer.js';
import { createDataPlaneEngine, type DataPlaneEngine } from './engine/create-data-plane-engine.js';
import type { BalancerFactory, ConfigHashes, DataPlaneConfig } from './engine/types.js';
import { buildPluginIndex, type PluginConfig, type PluginIndex } from './plugins/plugin-index.js';
import { createFrameworkPluginRunner } from './proxy/framework-plugin-runner.js';
import type { PluginRunner } from './proxy/plugin-hooks.js';
import { proxyOptionsFromConf } from './proxy/proxy-options.js';
import { startProxyServer, type BoundAddress, type ProxyServer } from './proxy/proxy-server.js';
import { ProxyMetrics } from './status/proxy-metrics.js';
import { startStatusServer, type StatusServer } from './status/status-server.js';

/** Pieces the caller may supply instead of the defaults (tests, the balancer area's factory). */
export interface StartDataPlaneOptions {
  createBalancer?: BalancerFactory;
  /** Replaces the plugin framework runner; null runs without plugins. */
  plugins?: PluginRunner | null;
  nodeId?: string | null;
}

/** A running data plane: the engine to feed configs into, where it listens, and how to stop it. */
export interface RunningDataPlane {
  engine: DataPlaneEngine;
  metrics: ProxyMetrics;
  addresses: { proxy: BoundAddress[]; status: { host: string; port: number }[] };
  /** Stops accepting, lets in-flight requests finish (up to `graceMs`), closes pools and listeners. */
  close(graceMs?: number): Promise<void>;
}

/**
 * Starts the proxy and status listeners of a data plane (or traditional) node. It applies no config:
 * the caller feeds `engine.apply()` from declarative_config, the DP cache or the CP; until then every
 * request gets Kong's 404 and `/status/ready` answers 503.
 */
export async function startDataPlane(
  conf: Conf,
  logger: Logger,
  opts: StartDataPlaneOptions = {},
): Promise<RunningDataPlane> {
  const enabledPlugins = conf.plugins;
  const engine = createDataPlaneEngine({
    logger,
    createBalancer:
      opts.createBalancer ?? ((upstream, targets) => createBalancer(upstream, targets as TargetEntity[])),
    computeHashes: (config: DataPlaneConfig): ConfigHashes => configHashes(config),
    buildPlugins: (config) => buildPluginIndex(config as PluginConfig, enabledPlugins),
    disposePlugins: (index) => (index as PluginIndex).close(),
  });
  const metrics = new ProxyMetrics();
  const options = proxyOptionsFromConf(conf);
  let defaultCertificate: { cert: string; key: string } | null = null;
  if (conf.proxy_listen.some((l) => l.ssl)) {
    const cert = conf.ssl_cert[0];
    const key = conf.ssl_cert_key[0];
    defaultCertificate =
      cert !== undefined && key !== undefined
        ? { cert: cert.pem, key: key.pem }
        : await ensureDefaultCertificate(conf.prefix, 'proxy');
  }
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
