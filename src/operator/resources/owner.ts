import type { KubeObject, ObjectMeta, OwnerReference } from '../../api/meta.js';
import { definedStrings } from './labels.js';
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

/**
 * A metadata builder for the objects one owner renders: same namespace and labels, the owner's
 * controller reference, and per-object annotations (undefined members dropped).
 */
export function ownedMeta(
  owner: KubeObject,
  labels: Record<string, string>,
): (name: string, annotations?: Record<string, string | undefined>) => ObjectMeta {
  const ref = controllerRef(owner);
  const namespace = owner.metadata?.namespace;
  return (name, extra) => {
    const annotations = definedStrings(extra);
    return { name, namespace, labels, ...(annotations ? { annotations } : {}), ownerReferences: [ref] };
  };
}
