import { isNotFound } from '../errors.js';
import type { KubeClient } from './kube-client.js';
import { resourcePath, type ResourceType } from './resources.js';

/**
 * Deletes an object the operator owns (a DataPlane whose group was removed, the workload of the other
 * database type), only if it is still the one seen (uid precondition), with background propagation so
 * its own children are garbage-collected. Returns false when it was already gone.
 */
export async function deleteObject(
  client: KubeClient,
  type: ResourceType,
  namespace: string,
  name: string,
  uid?: string,
): Promise<boolean> {
  try {
    await client.request({
      method: 'DELETE',
      path: resourcePath(type, { namespace, name }),
      body: {
        apiVersion: 'v1',
        kind: 'DeleteOptions',
        propagationPolicy: 'Background',
        ...(uid ? { preconditions: { uid } } : {}),
      },
    });
    return true;
  } catch (err) {
    if (isNotFound(err)) return false;
    throw err;
  }
}
