import type { Logger } from '../../shared/logger.js';
import { errorMessage } from '../../shared/errors.js';
import type { Conf } from '../config/conf/types.js';
import { registerClusteringRoutes } from '../control-plane/status/clustering-routes.js';
import { telemetryRoutes } from '../control-plane/telemetry/telemetry-routes.js';
import { startControlPlane } from '../control-plane/start-control-plane.js';
import type { DataPlaneConfig } from '../data-plane/engine/types.js';
import { startDataPlane } from '../data-plane/start-data-plane.js';
import type { RunningNode } from '../start-node.js';
import { exportForDataPlanes } from './config-export.js';
import { listenerAddresses } from './listener-addresses.js';

/**
 * A traditional node: the store and Admin API of a control plane and the proxy of a data plane in one
 * process. Every committed change is exported and applied to the proxy; bursts coalesce into one apply
 * of the newest version (applies never overlap, and a version is never applied twice).
 */
export async function startTraditionalNode(conf: Conf, logger: Logger): Promise<RunningNode> {
  const cp = await startControlPlane(conf, logger, {
    adminModules: [
      (app) => registerClusteringRoutes(app, { role: conf.role, dataPlanes: null }),
      telemetryRoutes(null),
    ],
  });
  let dp: Awaited<ReturnType<typeof startDataPlane>>;
  try {
    dp = await startDataPlane(conf, logger, { nodeId: cp.nodeId });
  } catch (err) {
    await cp.close();
    throw err;
  }
  const log = logger.child({ subsystem: 'config-feed' });
  let appliedVersion = -1;
  let running: Promise<void> | null = null;
  let again = false;

  const applyLatest = async (): Promise<void> => {
    const exported = exportForDataPlanes(await cp.store.snapshot());
    if (exported.version === appliedVersion) return;
    const result = await dp.engine.apply(exported.config as unknown as DataPlaneConfig, exported.hashes);
    if (result.error) {
      log.error(
        { version: exported.version, err: result.error.message },
        'configuration not applied to the proxy',
      );
      return;
    }
    appliedVersion = exported.version;
    log.info(
      { version: exported.version, hash: exported.hashes.config },
      'configuration applied to the proxy',
    );
  };
  const schedule = (): Promise<void> => {
    if (running) {
      again = true;
      return running;
    }
    running = (async () => {
      do {
        again = false;
        await applyLatest().catch((err: unknown) =>
          log.error({ err: errorMessage(err) }, 'configuration export failed'),
        );
      } while (again);
      running = null;
    })();
    return running;
  };
  const unsubscribe = cp.store.onChange(() => void schedule());
  await schedule();
  return {
    role: conf.role,
    addresses: listenerAddresses({
      admin: cp.admin.addresses,
      proxy: dp.addresses.proxy,
      status: dp.addresses.status,
    }),
    close: async () => {
      unsubscribe();
      await running;
      await dp.close();
      await cp.close();
    },
  };
}
