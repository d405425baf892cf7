import type { KubeClient } from '../../../src/operator/kube/kube-client.js';
import { resourcePath, RESOURCES } from '../../../src/operator/kube/resources.js';

/**
 * Writes what the fleet-status controller would on DataPlane `dataPlane` (counts, Synced n/m and
 * Compatible), by server-side apply under its own field manager, for suites that run the operator
 * without that controller (no CP process) and play its part.
 */
export async function writeFleetStatus(
  admin: KubeClient,
  namespace: string,
  dataPlane: string,
  fleet: { synced: number; total: number; compatible?: boolean },
): Promise<void> {
  const { synced, total, compatible = true } = fleet;
  const at = new Date().toISOString().replace(/\.\d{3}Z$/, 'Z');
  const ok = synced === total;
  await admin.request({
    method: 'PATCH',
    path: resourcePath(RESOURCES.DataPlane, { namespace, name: dataPlane, subresource: 'status' }),
    query: { fieldManager: 'test-fleet-status', force: true },
    contentType: 'application/apply-patch+yaml',
    body: {
      apiVersion: 'hybridgate.dev/v1alpha1',
      kind: 'DataPlane',
      metadata: { name: dataPlane, namespace },
      status: {
        counts: { total, connected: total, synced, incompatible: compatible ? 0 : 1 },
        syncedSummary: `${synced}/${total}`,
        conditions: [
          {
            type: 'Synced',
            status: ok ? 'True' : 'False',
            reason: ok ? 'AllSynced' : 'OutOfSync',
            message: `${synced}/${total} data planes run the control plane's current configuration`,
            lastTransitionTime: at,
          },
          {
            type: 'Compatible',
            status: compatible ? 'True' : 'False',
            reason: compatible ? 'AllCompatible' : 'KongVersionIncompatible',
            message: compatible ? 'no incompatible node' : 'node n1: kong_version_incompatible',
            lastTransitionTime: at,
          },
        ],
      },
    },
  });
}
