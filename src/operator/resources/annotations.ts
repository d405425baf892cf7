/**
 * Annotations users put on Hybridgate resources to steer the operator, and the ones the operator writes.
 */

/**
 * Who owns a DataPlane's replica count besides its spec. Unset: `.spec.replicas` (kubectl scale
 * dataplane, or an HPA targeting the DataPlane's scale subresource) is rendered into the Deployment,
 * and a HybridCluster sets the DataPlane's replicas from its group.
 * - `autoscaler`: an HPA scales the DataPlane through its scale subresource; a HybridCluster stops
 *   setting the DataPlane's replicas (so it does not fight the HPA); the Deployment still follows them.
 * - `deployment`: an HPA scales the Deployment directly; the DataPlane stops setting the Deployment's
 *   replicas (omitted from the applied object, so server-side apply leaves them to the HPA) and a
 *   HybridCluster stops setting the DataPlane's.
 */
export const REPLICAS_OWNER_ANNOTATION = 'hybridgate.dev/replicas-owner';

/** Values of REPLICAS_OWNER_ANNOTATION. */
export type ReplicasOwner = 'autoscaler' | 'deployment';

/** Reads REPLICAS_OWNER_ANNOTATION; unknown values count as unset (the spec rules). */
export function replicasOwner(annotations: Record<string, string> | undefined): ReplicasOwner | undefined {
  const v = annotations?.[REPLICAS_OWNER_ANNOTATION];
  return v === 'autoscaler' || v === 'deployment' ? v : undefined;
}

/**
 * Set on a ControlPlane to request a CA rotation (mode pki, provider operator): any new value starts
 * one; the value handled last is recorded on the CA Secret.
 */
export const ROTATE_CA_ANNOTATION = 'hybridgate.dev/rotate-ca';

/**
 * Pod-template annotation: a hash of the conf the runtime reads only at start (user conf keys). Env
 * changes roll pods by themselves; this makes the reason visible. Certificates are deliberately not
 * part of it: the runtime reloads certificate files, so a renewal must not restart pods.
 */
export const CONF_HASH_ANNOTATION = 'hybridgate.dev/conf-hash';
