import type { E2ECluster } from '../cluster/e2e-cluster.js';
import { podSelector } from '../support/kube.js';
import { describeLoad, startLoadLoop, type LoadResult } from '../support/load-loop.js';
import { PodTracker } from '../support/pod-tracker.js';
import type { UpstreamServer } from '../support/upstream-server.js';
import { NotYet, waitFor } from '../support/wait.js';

/** Where the load goes while `action` runs. */
export interface LoadPlan {
  cluster: E2ECluster;
  namespace: string;
  /** The DataPlane whose pods get the requests. */
  dataPlane: string;
  path: string;
  upstream: UpstreamServer;
  /** Only these pods get requests (the ones the scenario keeps); unset: every ready pod. */
  pinned?: string[];
}

/**
 * Runs `action` under a load loop (a request every 20 ms through the DataPlane's pods) and fails unless
 * every request to a pod that stayed up reached the upstream. The loop must have answered before the
 * action starts (so a dead loop cannot pass) and keeps answering during it. Returns the counts.
 */
export async function underLoad(
  name: string,
  plan: LoadPlan,
  action: (tracker: PodTracker) => Promise<void>,
): Promise<LoadResult> {
  const tracker = new PodTracker(plan.cluster, plan.namespace, podSelector(plan.dataPlane, 'data-plane'));
  await tracker.start();
  const loop = startLoadLoop({
    cluster: plan.cluster,
    namespace: plan.namespace,
    tracker,
    path: plan.path,
    upstreamId: plan.upstream.id,
    ...(plan.pinned ? { pinned: plan.pinned } : {}),
  });
  let result: LoadResult | undefined;
  try {
    await waitFor(`${name}: the load loop's first answers`, () =>
      loop.okCount() >= 10 ? true : new NotYet(`${loop.okCount()} answers`),
    );
    const before = loop.okCount();
    await action(tracker);
    // Traffic must still flow after the action, not only before it.
    await waitFor(`${name}: answers after the action`, () =>
      loop.okCount() >= before + 10 ? true : new NotYet(`${loop.okCount() - before} answers since`),
    );
  } finally {
    result = await loop.stop();
    tracker.stop();
  }
  if (result.unexcused.length > 0) throw new Error(describeLoad(name, result));
  process.stderr.write(`e2e load ${describeLoad(name, result).split('\n')[0]}\n`);
  return result;
}
