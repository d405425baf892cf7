import type { Kube, KubeObject } from '../../../api/meta.js';
import type { ControlPlane } from '../../../api/v1alpha1/index.js';
import type { Informer } from '../../manager/informer.js';

/**
 * Maps a ConfigMap event to the ControlPlanes whose spec.declarativeConfig references it, from the
 * ControlPlane informer's cache (refs are same-namespace, so only that namespace is looked at).
 * A scan of the cached ControlPlanes: there are few, and a separate index would have to follow
 * every ControlPlane update anyway.
 */
export function controlPlanesOfConfigMap(controlPlanes: Pick<Informer<Kube<ControlPlane>>, 'list'>) {
  return (cm: KubeObject): string[] => {
    const ns = cm.metadata?.namespace;
    const name = cm.metadata?.name;
    if (!ns || !name) return [];
    return controlPlanes
      .list()
      .filter(
        (cp) =>
          cp.metadata.namespace === ns &&
          (cp.spec?.declarativeConfig?.configMapRefs ?? []).some((ref) => ref.name === name),
      )
      .map((cp) => `${ns}/${cp.metadata.name}`);
  };
}
