import { fileURLToPath } from 'node:url';
import type { Logger } from '../../../shared/logger.js';
import type { Conf } from '../../config/conf/types.js';
import type { DataPlaneEngine } from '../engine/create-data-plane-engine.js';
import { createEngineFromConf } from '../engine/engine-from-conf.js';
import type { BalancerFactory } from '../engine/types.js';
import type { PluginIndex } from '../plugins/plugin-index.js';
import { proxyDefaultCertificate, type RunningDataPlane } from '../start-data-plane.js';
import { ProxyMetrics } from '../status/proxy-metrics.js';
import { startStatusServer } from '../status/status-server.js';
import { replayExchanges } from './exchange-batch.js';
import { startWorkerPool } from './worker-pool.js';

/** Options of a multi-process data plane's primary. */
export interface PrimaryOptions {
  createBalancer?: BalancerFactory;
  nodeId: string | null;
  /** The worker entry module; defaults to the built worker-main.js beside this file. */
  exec?: string;
  execArgv?: string[];
}

/**
 * The primary of a multi-process data plane: it keeps the single CP connection (its caller's), the
 * status API and an engine of its own, which applies each config first (readiness, hash, refusals)
 * and then forwards it to the proxy workers. The CP therefore sees one data plane node.
 */
export async function startDataPlanePrimary(
  conf: Conf,
  logger: Logger,
  opts: PrimaryOptions,
): Promise<RunningDataPlane> {
  const engine = createEngineFromConf(conf, logger, opts.createBalancer);
  // Generated once here: workers racing to write the same files would read each other's halves.
  await proxyDefaultCertificate(conf);
  const metrics = new ProxyMetrics();
  const pool = await startWorkerPool({
    conf,
    // The workers' exchanges reach this recorder too: whatever taps the node's recorder (telemetry)
    // sees all traffic; /metrics and /status read the workers' own series and counters instead.
    onRecords: (m) => replayExchanges(m, metrics),
    count: conf.worker_processes,
    logger,
    exec: opts.exec ?? fileURLToPath(new URL('./worker-main.js', import.meta.url)),
    ...(opts.execArgv !== undefined ? { execArgv: opts.execArgv } : {}),
  });
  let status;
  try {
    status = await startStatusServer({
      engine,
      listen: conf.status_listen,
      metrics,
      connections: () => ({ accepted: 0, active: 0 }),
      nodeId: opts.nodeId,
      logger,
      workers: pool,
    });
  } catch (err) {
    await pool.close(0);
    engine.close();
    throw err;
  }
  const forwarding: DataPlaneEngine = {
    async apply(config, hashes) {
      const result = await engine.apply(config, hashes);
      // Only what the primary could build goes on; workers build the same config the same way.
      if (result.applied) pool.broadcast(config, engine.current()?.hashes ?? hashes ?? null);
      return result;
    },
    current: () => engine.current(),
    onApplied: (listener) => engine.onApplied(listener),
    close: () => engine.close(),
  };
  logger.info(
    { proxy: pool.addresses, status: status.addresses, workers: conf.worker_processes },
    'data plane listening',
  );
  let closing: Promise<void> | null = null;
  const statusServer = status;
  return {
    engine: forwarding,
    metrics,
    addresses: { proxy: pool.addresses, status: statusServer.addresses },
    connections: () => ({ accepted: 0, active: 0 }),
    workers: pool,
    close(graceMs = 10_000) {
      closing ??= (async () => {
        await pool.close(graceMs);
        await statusServer.close();
        engine.close();
        (engine.current()?.plugins as PluginIndex | null | undefined)?.close();
      })();
      return closing;
    },
  };
}
