import { hostname } from 'node:os';
import type { Logger } from '../../shared/logger.js';
import { startDataPlaneTelemetry } from '../data-plane/telemetry/start-data-plane-telemetry.js';
import { redactConf } from '../config/conf/index.js';
import type { Conf } from '../config/conf/types.js';
import { loadDeclarativeFile, validateDeclarativeConfig } from '../config/declarative/index.js';
import { ENTITY_DEFINITIONS } from '../config/entities/index.js';
import { configHashes } from '../config/hash.js';
import { startDataPlane } from '../data-plane/start-data-plane.js';
import { startDataPlaneSync } from '../data-plane/sync/start-data-plane-sync.js';
import { knownFieldsFromDefinitions } from '../data-plane/sync/strip-unknown-nulls.js';
import type { DataPlaneConfig } from '../data-plane/engine/types.js';
import { HybridgateError } from '../../shared/errors.js';
import type { RunningNode } from '../start-node.js';
import { clusterTlsPolicyFromConf } from './cluster-tls.js';
import { listenerAddresses } from './listener-addresses.js';
import { loadedPlugins } from './plugin-inventory.js';

/** A config the engine refused; DP sync reports it to the CP and keeps serving the previous one. */
class ConfigRejectedError extends HybridgateError {}

/**
 * A data plane: proxy and status listeners, fed by the start sequence of seed 002 (cache, else
 * declarative_config, else empty) and then by the control plane over the cluster connection.
 */
export async function startDataPlaneNode(conf: Conf, logger: Logger): Promise<RunningNode> {
  const tls = clusterTlsPolicyFromConf(conf, { logger });
  const dp = await startDataPlane(conf, logger);
  const enabledPlugins = conf.plugins;
  try {
    const sync = await startDataPlaneSync({
      conf,
      tls,
      logger,
      sink: {
        apply: async (config, hashes) => {
          const result = await dp.engine.apply(config as unknown as DataPlaneConfig, {
            ...hashes,
            rest: hashes.rest ?? hashes.config,
          });
          if (result.error) {
            throw new ConfigRejectedError(
              result.error.code,
              result.error.message,
              result.error.context ?? {},
            );
          }
        },
      },
      validate: (config) =>
        validateDeclarativeConfig(config, { enabledPlugins }) as unknown as Record<string, unknown>,
      knownFields: knownFieldsFromDefinitions(Object.values(ENTITY_DEFINITIONS)),
      loadDeclarative: async (path) => {
        const config = (await loadDeclarativeFile(path, { enabledPlugins })) as unknown as Record<
          string,
          unknown
        >;
        return { config, hashes: configHashes(config) };
      },
      plugins: loadedPlugins(conf),
      processConf: redactConf(conf),
      // Test-only: lets multi-process suites run a DP that reports another version (a newer minor to
      // be refused, an older one to write a cache with another tag). Unset in production.
      version: process.env.HYBRIDGATE_TEST_REPORTED_VERSION || undefined,
    });
    // Telemetry is best effort: its link failing never touches proxying or config sync.
    const telemetry = startDataPlaneTelemetry({
      endpoint: conf.cluster_telemetry_endpoint,
      tls: clusterTlsPolicyFromConf(conf, { logger, channel: 'telemetry' }),
      nodeId: sync.nodeId,
      hostname: hostname(),
      recorder: dp.metrics,
      balancers: () => dp.engine.current()?.balancers,
      logger: logger.child({ subsystem: 'telemetry' }),
      reconnectBaseMs: conf.cluster_reconnect_base * 1000,
      reconnectCapMs: conf.cluster_reconnect_cap * 1000,
    });
    return {
      role: conf.role,
      addresses: listenerAddresses({ proxy: dp.addresses.proxy, status: dp.addresses.status }),
      close: async () => {
        await telemetry.close();
        await sync.close();
        await dp.close();
      },
    };
  } catch (err) {
    await dp.close(0);
    throw err;
  }
}
