import type { Kube } from '../../../api/meta.js';
import type { ControlPlane } from '../../../api/v1alpha1/index.js';
import type { KubeSecret } from '../../certificates/secrets.js';
import type { KubeConfigMap } from '../../gitops/config-map-files.js';
import type { EventRecorder } from '../../kube/events.js';
import type { KubeClient } from '../../kube/kube-client.js';
import { RESOURCES } from '../../kube/resources.js';
import type { Informer } from '../../manager/informer.js';
import type { Manager } from '../../manager/manager.js';
import { controlPlanesOfConfigMap } from './config-map-index.js';
import { GitOpsReconciler } from './reconciler.js';

/** Options of the GitOps controller (OperatorOptions.gitOps); tests set the overrides. */
export interface GitOpsOptions {
  /** Test-only: honour the admin URL override annotation. */
  allowAdminUrlOverride?: boolean;
  /** Test-only: the drift check period whatever the spec says. */
  syncIntervalMsOverride?: number;
}

/**
 * Adds the `gitops` controller: ControlPlanes, requeued by the ConfigMaps their
 * spec.declarativeConfig references. Needs get/list/watch on configmaps.
 */
export function addGitOpsController(
  manager: Manager,
  deps: {
    client: KubeClient;
    controlPlanes: Informer<Kube<ControlPlane>>;
    /** The informer of the operator's Secrets (its label selector must cover the admin Secrets). */
    secrets: Informer;
    events?: EventRecorder;
    now?(): number;
  } & GitOpsOptions,
): GitOpsReconciler {
  const configMaps = manager.informer<KubeConfigMap>(RESOURCES.ConfigMap);
  const reconciler = new GitOpsReconciler({
    ...deps,
    controlPlane: (ns, name) => deps.controlPlanes.get(`${ns}/${name}`),
    configMap: (ns, name) => configMaps.get(`${ns}/${name}`),
    secrets: { get: (ns, name) => deps.secrets.get(`${ns}/${name}`) as KubeSecret | undefined },
  });
  manager.addController({
    name: 'gitops',
    primary: RESOURCES.ControlPlane,
    watches: [{ type: RESOURCES.ConfigMap, map: controlPlanesOfConfigMap(deps.controlPlanes) }],
    reconciler,
  });
  return reconciler;
}
