import type { Logger } from '../../../shared/logger.js';
import type { Conf } from '../../config/conf/types.js';
import { configHashes } from '../../config/hash.js';
import { createBalancer } from '../balancer/create-balancer.js';
import type { TargetEntity } from '../balancer/balancer.js';
import { buildPluginIndex, type PluginConfig, type PluginIndex } from '../plugins/plugin-index.js';
import { createDataPlaneEngine, type DataPlaneEngine } from './create-data-plane-engine.js';
import type { BalancerFactory, ConfigHashes, DataPlaneConfig } from './types.js';

/**
 * The engine a data plane process runs (a single-process DP, each proxy worker, and a multi-process
 * DP's primary, which applies every config itself before handing it to the workers): the balancer
 * area's balancers and the plugin index of the conf's enabled plugins.
 */
export function createEngineFromConf(
  conf: Pick<Conf, 'plugins'>,
  logger: Logger,
  factory?: BalancerFactory,
): DataPlaneEngine {
  const enabledPlugins = conf.plugins;
  return createDataPlaneEngine({
    logger,
    createBalancer: factory ?? ((upstream, targets) => createBalancer(upstream, targets as TargetEntity[])),
    computeHashes: (config: DataPlaneConfig): ConfigHashes => configHashes(config),
    buildPlugins: (config) => buildPluginIndex(config as PluginConfig, enabledPlugins),
    disposePlugins: (index) => (index as PluginIndex).close(),
  });
}
