import { Registry } from 'prom-client';
import type { Logger } from '../../shared/logger.js';
import type { Conf } from '../config/conf/types.js';
import { createClusterMetrics } from '../control-plane/status/cluster-metrics.js';
import { registerClusteringRoutes } from '../control-plane/status/clustering-routes.js';
import { registerConfigHashRoute, type CurrentExport } from '../control-plane/status/config-hash-route.js';
import { createDataPlaneRegistry, type DataPlaneRow } from '../control-plane/status/data-plane-registry.js';
import type { RecordTable, Store, StoreSnapshot } from '../control-plane/store/store.js';
import type { PostgresStore } from '../control-plane/store/postgres/postgres-store.js';
import { DbError } from '../errors.js';
import { errorMessage } from '../../shared/errors.js';
import { startClusterListener } from '../control-plane/sync/cluster-listener.js';
import { connectionLimitsFromConf } from '../control-plane/sync/connection-guard.js';
import { startControlPlaneStatusServer } from '../control-plane/status/control-plane-status-server.js';
import { startControlPlane } from '../control-plane/start-control-plane.js';
import { systemClock } from '../protocol/clock.js';
import type { RunningNode } from '../start-node.js';
import { adminMetricsRoute } from './admin-metrics-route.js';
import { clusterTlsPolicyFromConf, revocationFromConf } from './cluster-tls.js';
import { createTelemetryAggregator } from '../control-plane/telemetry/telemetry-aggregator.js';
import { startTelemetryListener } from '../control-plane/telemetry/telemetry-listener.js';
import { registerTelemetryMetrics } from '../control-plane/telemetry/telemetry-metrics.js';
import { telemetryRoutes } from '../control-plane/telemetry/telemetry-routes.js';
import { createStoreSources } from '../control-plane/sync/v2/delta-source.js';
import { loadedPlugins } from './plugin-inventory.js';
import { listenerAddresses } from './listener-addresses.js';

/**
 * The store's current snapshot or, while a PostgreSQL database is unreachable, the last one this CP saw
 * committed: DPs that connect during a database outage still get the configuration (Kong users report
 * that a CP database outage blocks new DPs).
 */
async function snapshotOrLastKnown(store: Store): Promise<StoreSnapshot> {
  try {
    return await store.snapshot();
  } catch (err) {
    const fallback = (store as Partial<PostgresStore>).lastSnapshot;
    if (err instanceof DbError && err.kind === 'DATABASE_UNAVAILABLE' && fallback)
      return fallback.call(store);
    throw err;
  }
}

/**
 * A control plane: the store and the Admin API (with `/clustering/*` and `/metrics`), and the cluster
 * listener that pushes every committed change to the connected data planes. It never proxies.
 */
export async function startControlPlaneNode(conf: Conf, logger: Logger): Promise<RunningNode> {
  // One OCSP cache and one reloading TLS policy serve the cluster and the telemetry listener.
  const revocation = revocationFromConf(conf, logger);
  const tls = clusterTlsPolicyFromConf(conf, { logger, revocation });
  const telemetry = createTelemetryAggregator();
  // DP rows live in the store's side table so a restarted CP still lists its DPs (as disconnected until
  // they reconnect). The table exists once the store is open; the registry loads it in start() below.
  let rows: RecordTable<DataPlaneRow> | null = null;
  const table = (): RecordTable<DataPlaneRow> => {
    if (rows === null) throw new Error('data-plane rows read before the store was opened');
    return rows;
  };
  const dataPlanes = createDataPlaneRegistry({
    purgeDelaySeconds: conf.cluster_data_plane_purge_delay,
    clock: systemClock,
    store: {
      load: () => table().load(),
      put: (row) => table().put(row.id, row),
      delete: (id) => table().delete(id),
    },
    onStoreError: (err) =>
      logger.warn({ err: errorMessage(err) }, 'unable to read or write data plane status rows'),
    pingIntervalSeconds: conf.cluster_ping_interval,
  });
  const registry = new Registry();
  const metrics = createClusterMetrics(registry, dataPlanes);
  registerTelemetryMetrics(registry, telemetry);
  // Set once the config source exists below; until then the route answers 503.
  let currentExport: (() => Promise<CurrentExport>) | null = null;
  // The status API comes first so liveness probes answer while the store opens (PostgreSQL may be
  // slow to accept); readiness waits for the store and the cluster listener.
  let store: Store | null = null;
  let clusterListening = false;
  const status = await startControlPlaneStatusServer({
    listen: conf.status_listen,
    logger: logger.child({ subsystem: 'status-api' }),
    store: () => store,
    clusterListening: () => clusterListening,
    registry,
  });
  const cp = await startControlPlane(conf, logger, {
    adminModules: [
      (app) => registerClusteringRoutes(app, { role: conf.role, dataPlanes }),
      (app) =>
        registerConfigHashRoute(app, { current: async () => (currentExport ? currentExport() : null) }),
      adminMetricsRoute(registry),
      telemetryRoutes(telemetry),
    ],
  }).catch(async (err: unknown) => {
    await status.close();
    throw err;
  });
  store = cp.store;
  try {
    rows = cp.store.records<DataPlaneRow>('data_planes');
    // The node id tags this CP's rows: CPs sharing a PostgreSQL store list each other's DPs.
    await dataPlanes.start(cp.nodeId);
  } catch (err) {
    await status.close();
    await cp.close();
    throw err;
  }
  // One export per config version, kept up to date from the store's change events, serves v1 (full
  // snapshots) and v2 (deltas) DPs alike, so both report the same config hash.
  const sources = createStoreSources(cp.store, () => snapshotOrLastKnown(cp.store));
  currentExport = async () => {
    const { version, hashes } = await sources.delta.current();
    return { configHash: hashes.config, version };
  };
  const cluster = await startClusterListener({
    listen: conf.cluster_listen,
    tls,
    source: sources.v1,
    v2: { source: sources.delta },
    dataPlanes,
    metrics,
    logger: logger.child({ subsystem: 'clustering' }),
    cpPlugins: new Map(loadedPlugins(conf).map((p) => [p.name, p.version])),
    maxPayload: conf.cluster_max_payload,
    pingIntervalSeconds: conf.cluster_ping_interval,
    limits: connectionLimitsFromConf(conf),
  }).catch(async (err: unknown) => {
    await status.close();
    await cp.close();
    dataPlanes.stop();
    throw err;
  });
  const telemetryListener =
    conf.cluster_telemetry_listen.length === 0
      ? null
      : await startTelemetryListener({
          listen: conf.cluster_telemetry_listen,
          tls,
          aggregator: telemetry,
          logger: logger.child({ subsystem: 'telemetry' }),
        }).catch(async (err: unknown) => {
          await status.close();
          await cluster.close();
          await cp.close();
          dataPlanes.stop();
          throw err;
        });
  clusterListening = true;
  return {
    role: conf.role,
    addresses: listenerAddresses({
      admin: cp.admin.addresses,
      cluster: cluster.addresses,
      cluster_telemetry: telemetryListener?.addresses ?? [],
      status: status.addresses,
    }),
    close: async () => {
      clusterListening = false;
      await status.close();
      await telemetryListener?.close();
      await cluster.close();
      sources.close();
      await cp.close();
      dataPlanes.stop();
    },
  };
}
