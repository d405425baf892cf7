/**
 * The parts of a Deployment or StatefulSet that tell whether a rollout is done. Typed loosely on
 * purpose: informer caches hand out plain objects, and a missing field must read as "not done yet".
 */
export interface WorkloadView {
  kind?: string;
  metadata?: { generation?: number };
  spec?: {
    replicas?: number;
    template?: { spec?: { containers?: { name?: string; image?: string }[] } };
  };
  status?: {
    observedGeneration?: number;
    replicas?: number;
    updatedReplicas?: number;
    readyReplicas?: number;
    availableReplicas?: number;
    currentRevision?: string;
    updateRevision?: string;
  };
}

/** Whether a workload runs `image` on every pod, and if not, what it waits for (for messages). */
export interface RolloutState {
  done: boolean;
  message: string;
}

/** The name of the runtime container in every pod template the operator renders. */
const CONTAINER = 'hybridgate';

/**
 * Pure: a workload has rolled out `image` when its template carries the image (a stale cache still
 * showing the old template is "not done", never a false "done"), its controller has seen the latest
 * generation, and every desired pod is updated and ready with no old pod left — what
 * `kubectl rollout status` waits for. A StatefulSet also needs currentRevision == updateRevision.
 */
export function rolloutState(w: WorkloadView | undefined, image: string): RolloutState {
  if (!w) return { done: false, message: 'its workload does not exist yet' };
  const containers = w.spec?.template?.spec?.containers ?? [];
  const have = (containers.find((c) => c.name === CONTAINER) ?? containers[0])?.image;
  if (have !== image)
    return { done: false, message: `its workload still has image ${have ?? '(none)'}, not ${image}` };
  const s = w.status ?? {};
  const generation = w.metadata?.generation ?? 0;
  if ((s.observedGeneration ?? 0) < generation)
    return {
      done: false,
      message: `waiting for the ${w.kind ?? 'workload'} controller to see generation ${generation}`,
    };
  const desired = w.spec?.replicas ?? 1;
  const updated = s.updatedReplicas ?? 0;
  const ready = s.readyReplicas ?? 0;
  const total = s.replicas ?? 0;
  const revisionsDiffer =
    s.updateRevision !== undefined &&
    s.currentRevision !== undefined &&
    s.updateRevision !== s.currentRevision;
  if (updated < desired || ready < desired || total > desired || revisionsDiffer)
    return {
      done: false,
      message: `waiting for the rollout (${updated}/${desired} pods updated, ${ready}/${desired} ready${total > desired ? `, ${total - desired} old pod(s) left` : ''})`,
    };
  return { done: true, message: `${ready}/${desired} pods updated and ready` };
}
