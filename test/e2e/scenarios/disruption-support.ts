import type { E2ECluster } from '../cluster/e2e-cluster.js';
import { listPods, podSelector } from '../support/kube.js';
import type { UpstreamServer } from '../support/upstream-server.js';
import { FIRST_ROUTE } from './traffic.js';
import type { LoadPlan } from './under-load.js';

/** The DataPlane a disruption or rotation scenario acts on, and the replica count it converges back to. */
export interface DataPlaneUnderTest {
  name: string;
  replicas: number;
}

/** The ready, not terminating pods of a DataPlane, by name. */
export async function readyPods(
  cluster: E2ECluster,
  namespace: string,
  dataPlane: string,
): Promise<string[]> {
  return (await listPods(cluster, namespace, podSelector(dataPlane, 'data-plane')))
    .filter((p) => p.ready && p.deletionRequestedAt === undefined)
    .map((p) => p.name);
}

/** The load of these scenarios: FIRST_ROUTE through the DataPlane's pods, only `pinned` ones if given. */
export function loadOnFirstRoute(
  cluster: E2ECluster,
  namespace: string,
  dataPlane: string,
  upstream: UpstreamServer,
  pinned?: string[],
): LoadPlan {
  return { cluster, namespace, dataPlane, path: FIRST_ROUTE.path, upstream, ...(pinned ? { pinned } : {}) };
}
