import { Registry } from 'prom-client';
import type { Logger } from '../../shared/logger.js';
import type { Conf } from '../config/conf/types.js';
import { createClusterMetrics } from '../control-plane/status/cluster-metrics.js';
import { registerClusteringRoutes } from '../control-plane/status/clustering-routes.js';
import { createDataPlaneRegistry } from '../control-plane/status/data-plane-registry.js';
import { startClusterListener } from '../control-plane/sync/cluster-listener.js';
import type { ConfigSource } from '../control-plane/sync/config-source.js';
import { startControlPlane } from '../control-plane/start-control-plane.js';
import { systemClock } from '../protocol/clock.js';
import type { RunningNode } from '../start-node.js';
import { adminMetricsRoute } from './admin-metrics-route.js';
import { clusterTlsPolicyFromConf } from './cluster-tls.js';
import { exportForDataPlanes } from './config-export.js';
import { loadedPlugins } from './plugin-inventory.js';
import { listenerAddresses } from './listener-addresses.js';

/**
 * A control plane: the store and the Admin API (with `/clustering/*` and `/metrics`), and the cluster
 * listener that pushes every committed change to the connected data planes. It never proxies.
 */
export async function startControlPlaneNode(conf: Conf, logger: Logger): Promise<RunningNode> {
  const tls = clusterTlsPolicyFromConf(conf);
  const dataPlanes = createDataPlaneRegistry({
    purgeDelaySeconds: conf.cluster_data_plane_purge_delay,
    clock: systemClock,
  });
  await dataPlanes.start();
  const registry = new Registry();
  const metrics = createClusterMetrics(registry, dataPlanes);
  const cp = await startControlPlane(conf, logger, {
    adminModules: [
      (app) => registerClusteringRoutes(app, { role: conf.role, dataPlanes }),
      adminMetricsRoute(registry),
    ],
  }).catch((err: unknown) => {
    dataPlanes.stop();
    throw err;
  });
  const source: ConfigSource = {
    snapshot: async () => {
      const { config, hashes } = exportForDataPlanes(await cp.store.snapshot());
      return { config, hashes };
    },
    onChange: (listener) => cp.store.onChange(() => listener()),
  };
  const cluster = await startClusterListener({
    listen: conf.cluster_listen,
    tls,
    source,
    dataPlanes,
    metrics,
    logger: logger.child({ component: 'clustering' }),
    cpPlugins: new Map(loadedPlugins(conf).map((p) => [p.name, p.version])),
    maxPayload: conf.cluster_max_payload,
    pingIntervalSeconds: conf.cluster_ping_interval,
  }).catch(async (err: unknown) => {
    await cp.close();
    dataPlanes.stop();
    throw err;
  });
  return {
    role: conf.role,
    addresses: listenerAddresses({ admin: cp.admin.addresses, cluster: cluster.addresses }),
    close: async () => {
      await cluster.close();
      await cp.close();
      dataPlanes.stop();
    },
  };
}
