import type { E2ECluster } from './e2e-cluster.js';
import { connectKindCluster, kindOptionsFromEnv } from './kind-cluster.js';

// Loaded by name so this module type-checks while the local node is being written; a missing or
// changed module fails the suite loudly below instead of skipping it.
const LOCAL_CLUSTER_MODULE: string = './local-cluster.js';

/** Which cluster the scenarios run on: HG_E2E_CLUSTER=kind → the kind cluster, else the local node. */
export async function selectCluster(env: NodeJS.ProcessEnv = process.env): Promise<E2ECluster> {
  const which = env['HG_E2E_CLUSTER'] ?? 'local';
  if (which === 'kind') return connectKindCluster(kindOptionsFromEnv(env));
  if (which !== 'local') {
    throw new Error(`HG_E2E_CLUSTER must be "kind" or "local" (or unset for local); got "${which}"`);
  }
  let mod: { startLocalCluster?: () => Promise<E2ECluster> };
  try {
    mod = (await import(LOCAL_CLUSTER_MODULE)) as typeof mod;
  } catch (err) {
    throw new Error(
      `the local e2e cluster (test/e2e/cluster/local-cluster.ts) cannot be loaded: ${err instanceof Error ? err.message : String(err)}`,
      { cause: err },
    );
  }
  if (typeof mod.startLocalCluster !== 'function') {
    throw new Error('test/e2e/cluster/local-cluster.ts does not export startLocalCluster()');
  }
  return mod.startLocalCluster();
}
