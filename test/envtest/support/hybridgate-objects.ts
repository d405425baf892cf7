import type { KubeClient } from '../../../src/operator/kube/kube-client.js';
import { resourcePath, resourceTypeOf } from '../../../src/operator/kube/resources.js';

const API_VERSION = 'hybridgate.dev/v1alpha1';

/** A shared-certificate ControlPlane at 0.1.0, the one the CP-process suites run as a real process. */
export function sharedControlPlane(name = 'cp') {
  return {
    apiVersion: API_VERSION,
    kind: 'ControlPlane',
    metadata: { name },
    spec: { version: '0.1.0', certificates: { mode: 'shared' } },
  };
}

/** A DataPlane at 0.1.0 of `replicas` pods attached to ControlPlane `controlPlane`. */
export function dataPlaneOf(name: string, replicas: number, controlPlane = 'cp') {
  return {
    apiVersion: API_VERSION,
    kind: 'DataPlane',
    metadata: { name },
    spec: { version: '0.1.0', replicas, controlPlaneRef: { name: controlPlane } },
  };
}

/** Creates each object in `namespace` in order, at the path its apiVersion and kind name. */
export async function createObjects(
  admin: KubeClient,
  namespace: string,
  objects: { apiVersion: string; kind: string }[],
): Promise<void> {
  for (const body of objects) {
    const type = resourceTypeOf(body.apiVersion, body.kind);
    if (!type) throw new Error(`createObjects: no resource type for ${body.apiVersion} ${body.kind}`);
    await admin.request({ method: 'POST', path: resourcePath(type, { namespace }), body });
  }
}
