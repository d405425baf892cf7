import { REPLICAS_OWNER_ANNOTATION } from '../../../src/operator/resources/annotations.js';
import type { E2ECluster } from '../cluster/e2e-cluster.js';
import type { AdminApi } from '../support/admin-api.js';
import { listPods, podSelector } from '../support/kube.js';
import type { UpstreamServer } from '../support/upstream-server.js';
import { NotYet, waitFor } from '../support/wait.js';
import type { SampleUnderTest } from './context.js';
import { loadOnFirstRoute, readyPods, type DataPlaneUnderTest } from './disruption-support.js';
import { waitConverged } from './status.js';
import { underLoad } from './under-load.js';

/**
 * Scenario 5, scaling: `kubectl scale dataplane/<dp> --replicas=3`, then 1, under load on every ready
 * pod. A DataPlane made by a HybridCluster takes its count from the cluster's group unless its
 * replicas-owner annotation says someone else scales it (src/operator/resources/annotations.ts), so the
 * scenario sets that annotation first, as a user scaling by hand must; removing it at the end gives
 * the count back to the HybridCluster (the sample's `replicas`). Guarantee: no failed request to a pod
 * whose deletion had not been requested; status and the CP's rows converge at each count.
 */
export async function scaleUpAndDown(
  cluster: E2ECluster,
  sample: SampleUnderTest,
  dp: DataPlaneUnderTest,
  admin: AdminApi,
  upstream: UpstreamServer,
): Promise<void> {
  const ns = sample.namespace;
  await underLoad(`scale ${dp.name}`, loadOnFirstRoute(cluster, ns, dp.name, upstream), async () => {
    await cluster.kubectl([
      'annotate',
      'dataplane',
      dp.name,
      '-n',
      ns,
      `${REPLICAS_OWNER_ANNOTATION}=autoscaler`,
      '--overwrite',
    ]);
    await cluster.kubectl(['scale', `dataplane/${dp.name}`, '-n', ns, '--replicas=3']);
    await waitConverged(cluster, ns, dp.name, 3, admin);
    await cluster.kubectl(['scale', `dataplane/${dp.name}`, '-n', ns, '--replicas=1']);
    await waitConverged(cluster, ns, dp.name, 1, admin);
    await cluster.kubectl(['annotate', 'dataplane', dp.name, '-n', ns, `${REPLICAS_OWNER_ANNOTATION}-`]);
    await waitConverged(cluster, ns, dp.name, dp.replicas, admin);
  });
}

/**
 * Scenario 5, a DP pod deleted: the load is pinned to the pod that is kept, so every request must
 * succeed; the Deployment replaces the deleted pod and the CP forgets it (no ghost row).
 */
export async function deleteDataPlanePod(
  cluster: E2ECluster,
  sample: SampleUnderTest,
  dp: DataPlaneUnderTest,
  admin: AdminApi,
  upstream: UpstreamServer,
): Promise<void> {
  const ns = sample.namespace;
  const pods = await readyPods(cluster, ns, dp.name);
  if (pods.length < 2)
    throw new Error(`${dp.name} needs 2 ready pods to delete one under load, has ${pods.join(',')}`);
  const [kept, victim] = pods as [string, string];
  await underLoad(
    `delete pod ${victim}`,
    loadOnFirstRoute(cluster, ns, dp.name, upstream, [kept]),
    async () => {
      await cluster.kubectl(['delete', 'pod', victim, '-n', ns, '--wait=false']);
      await waitFor(
        `${victim} to be replaced`,
        async () => {
          const now = await readyPods(cluster, ns, dp.name);
          return now.length === dp.replicas && !now.includes(victim) ? true : new NotYet(now.join(','));
        },
        { timeoutMs: 90_000, intervalMs: 500 },
      );
      await waitConverged(cluster, ns, dp.name, dp.replicas, admin);
    },
  );
}

/**
 * Scenario 5, the CP pod deleted: every DP pod stays, so every request through any of them must
 * succeed while the CP restarts (they serve from their cached config); afterwards the DPs reconnect,
 * the CP's rows list exactly the pods that exist, and a config change still reaches them.
 */
export async function deleteControlPlanePod(
  cluster: E2ECluster,
  sample: SampleUnderTest,
  dp: DataPlaneUnderTest,
  admin: AdminApi,
  upstream: UpstreamServer,
): Promise<void> {
  const ns = sample.namespace;
  const selector = podSelector(sample.name, 'control-plane');
  const before = await listPods(cluster, ns, selector);
  if (before.length === 0) throw new Error(`no control plane pod of ${ns}/${sample.name}`);
  const oldUids = new Set(before.map((p) => p.uid));
  const names = before.map((p) => p.name);
  const dpPods = await readyPods(cluster, ns, dp.name);
  await underLoad(
    `delete CP pod ${names.join(',')}`,
    loadOnFirstRoute(cluster, ns, dp.name, upstream, dpPods),
    async () => {
      await cluster.kubectl(['delete', 'pod', ...names, '-n', ns, '--wait=true', '--timeout=90s'], {
        timeoutMs: 100_000,
      });
      await waitFor(
        `new control plane pod(s) of ${ns}/${sample.name} ready`,
        async () => {
          const now = await listPods(cluster, ns, selector);
          const fresh = now.filter((p) => p.ready && !oldUids.has(p.uid));
          return fresh.length === before.length
            ? true
            : new NotYet(now.map((p) => `${p.name} ready=${p.ready}`).join(','));
        },
        { timeoutMs: 120_000, intervalMs: 500 },
      );
      await waitConverged(cluster, ns, dp.name, dp.replicas, admin, 120_000);
    },
  );
}
