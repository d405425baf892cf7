import { OperatorError } from '../errors.js';

/** The cluster_dp_labels key that names a data plane's DataPlane (keys may not hold '/'). */
export const DATAPLANE_NODE_LABEL = 'hybridgate.dev.dataplane';

/**
 * The cluster_dp_labels key naming the pod, when the hostname does not (hostNetwork pods report the
 * node's hostname; local test processes all share one).
 */
export const POD_NODE_LABEL = 'hybridgate.dev.pod';

/** The runtime refuses more cluster_dp_labels than this (Kong's limit). */
const MAX_DP_LABELS = 10;

/**
 * The user's DP labels plus the one naming the DataPlane, which is how the fleet status tells the
 * CP's rows of one DataPlane from another's. The operator's label takes one of the runtime's ten
 * places and its key is the operator's: both are refused here with the field to fix, rather than
 * left to a data plane that would not start.
 */
export function withDataPlaneLabel(
  labels: Record<string, string | undefined> | undefined,
  dataPlane: string,
): Record<string, string> {
  const user = Object.fromEntries(
    Object.entries(labels ?? {}).filter((e): e is [string, string] => e[1] !== undefined),
  );
  if (Object.hasOwn(user, DATAPLANE_NODE_LABEL) || Object.hasOwn(user, POD_NODE_LABEL)) {
    const key = Object.hasOwn(user, DATAPLANE_NODE_LABEL) ? DATAPLANE_NODE_LABEL : POD_NODE_LABEL;
    throw new OperatorError('INVALID_SPEC', `labels: "${key}" is set by the operator and cannot be given`, {
      field: `spec.labels.${key}`,
    });
  }
  if (Object.keys(user).length > MAX_DP_LABELS - 1) {
    throw new OperatorError(
      'INVALID_SPEC',
      `labels: at most ${MAX_DP_LABELS - 1} labels can be given (got ${Object.keys(user).length}); the operator adds "${DATAPLANE_NODE_LABEL}" to the runtime's limit of ${MAX_DP_LABELS}`,
      { field: 'spec.labels' },
    );
  }
  return { ...user, [DATAPLANE_NODE_LABEL]: dataPlane };
}
