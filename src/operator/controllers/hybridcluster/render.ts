import type { KubeObject } from '../../../api/meta.js';
import type { ControlPlane, DataPlane, HybridCluster } from '../../../api/v1alpha1/index.js';
import { GROUP_VERSION } from '../../../api/v1alpha1/index.js';
import { replicasOwner } from '../../resources/annotations.js';
import { objectLabels } from '../../resources/labels.js';
import { controlPlaneNameFor, dataPlaneNameFor } from '../../resources/names.js';
import { controllerRef } from '../../resources/owner.js';
import type { VersionTarget } from '../../upgrade/plan-upgrade.js';

/** What the HybridCluster renderer needs besides the cluster: the DataPlanes that exist now, by name. */
export interface HybridClusterRenderInput {
  cluster: HybridCluster;
  /** Existing DataPlanes (their replicas-owner annotation decides whether replicas are set). */
  existingDataPlanes?: Map<string, Pick<DataPlane, 'metadata'>>;
  /**
   * The version/image of each child as the upgrade plan decides (groups by name). Unset: every child
   * at its target (spec.version and spec.image, or the group's own version).
   */
  versions?: { controlPlane: VersionTarget; dataPlanes: ReadonlyMap<string, VersionTarget> };
}

const withImage = (v: VersionTarget) => ({
  version: v.version,
  ...(v.image !== undefined ? { image: v.image } : {}),
});

// A group's target: its own version (official image) when it sets one, else the cluster's version and image.
function groupTarget(hc: HybridCluster, group: { version?: string }): VersionTarget {
  if (group.version) return { version: group.version };
  return hc.spec.image !== undefined
    ? { version: hc.spec.version, image: hc.spec.image }
    : { version: hc.spec.version };
}

/** The desired children of a HybridCluster: one ControlPlane and one DataPlane per group. */
export interface HybridClusterChildren {
  controlPlane: ControlPlane;
  dataPlanes: DataPlane[];
}

/**
 * Pure: a HybridCluster → its ControlPlane (named as the cluster) and one DataPlane per group
 * (`<cluster>-<group>`), each controlled by the cluster. Only fields the cluster decides are set, so
 * server-side apply leaves the rest (e.g. replicas an autoscaler owns) to others.
 */
export function renderHybridCluster(input: HybridClusterRenderInput): HybridClusterChildren {
  const hc = input.cluster;
  const name = hc.metadata.name!;
  const namespace = hc.metadata.namespace!;
  const owner = controllerRef(hc as unknown as KubeObject);
  const cpName = controlPlaneNameFor(name);
  const cpVersion = input.versions?.controlPlane ?? groupTarget(hc, {});
  const cp = hc.spec.controlPlane;
  const controlPlane: ControlPlane = {
    apiVersion: GROUP_VERSION,
    kind: 'ControlPlane',
    metadata: {
      name: cpName,
      namespace,
      labels: objectLabels({ instance: cpName, component: 'control-plane', cluster: name }),
      ownerReferences: [owner],
    },
    spec: {
      ...withImage(cpVersion),
      certificates: hc.spec.certificates,
      replicas: cp.replicas,
      database: cp.database,
      adminService: cp.adminService,
      clusterService: cp.clusterService,
      ...(cp.resources ? { resources: cp.resources } : {}),
      ...(cp.conf ? { conf: cp.conf } : {}),
      ...(cp.declarativeConfig ? { declarativeConfig: cp.declarativeConfig } : {}),
    },
  };
  const dataPlanes = (hc.spec.dataPlanes ?? []).map((group): DataPlane => {
    const dpName = dataPlaneNameFor(name, group.name);
    const existing = input.existingDataPlanes?.get(dpName);
    const spec: Record<string, unknown> = {
      ...withImage(input.versions?.dataPlanes.get(group.name) ?? groupTarget(hc, group)),
      controlPlaneRef: { name: cpName },
      service: group.service,
    };
    // An autoscaler owns the count: leave .spec.replicas out so this apply never fights it.
    if (!replicasOwner(existing?.metadata?.annotations)) spec['replicas'] = group.replicas;
    if (group.labels) spec['labels'] = group.labels;
    if (group.resources) spec['resources'] = group.resources;
    if (group.conf) spec['conf'] = group.conf;
    if (group.podDisruptionBudget) spec['podDisruptionBudget'] = group.podDisruptionBudget;
    return {
      apiVersion: GROUP_VERSION,
      kind: 'DataPlane',
      metadata: {
        name: dpName,
        namespace,
        labels: objectLabels({ instance: dpName, component: 'data-plane', cluster: name, group: group.name }),
        ownerReferences: [owner],
      },
      spec: spec as unknown as DataPlane['spec'],
    };
  });
  return { controlPlane, dataPlanes };
}
