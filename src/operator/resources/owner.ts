import type { KubeObject, OwnerReference } from '../../api/meta.js';
import { OperatorError } from '../errors.js';

/**
 * The controller owner reference to `owner`: deleting the owner garbage-collects the object, and events
 * on the object requeue the owner (the manager maps controller references).
 */
export function controllerRef(owner: KubeObject): OwnerReference {
  const { name, uid } = owner.metadata ?? {};
  if (!owner.apiVersion || !owner.kind || !name || !uid) {
    throw new OperatorError(
      'OWNER_INCOMPLETE',
      `owner reference: ${owner.kind ?? 'object'} ${name ?? ''} has no uid yet`,
      {
        kind: owner.kind,
        name,
      },
    );
  }
  return {
    apiVersion: owner.apiVersion,
    kind: owner.kind,
    name,
    uid,
    controller: true,
    blockOwnerDeletion: true,
  };
}
