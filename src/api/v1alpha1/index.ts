/**
 * The hybridgate.dev/v1alpha1 API: the types generated from crds/*.yaml plus the group/version/kind
 * constants the operator's informers and apply calls need.
 */
export type * from './generated/hybridcluster.js';
export type * from './generated/controlplane.js';
export type * from './generated/dataplane.js';
export * from './conditions.js';

/** API group and version of every Hybridgate CRD. */
export const GROUP_VERSION = 'hybridgate.dev/v1alpha1';

/** Kind, plural resource name and CRD file of each Hybridgate CRD. */
export const KINDS = {
  HybridCluster: {
    kind: 'HybridCluster',
    plural: 'hybridclusters',
    crdFile: 'hybridgate.dev_hybridclusters.yaml',
  },
  ControlPlane: {
    kind: 'ControlPlane',
    plural: 'controlplanes',
    crdFile: 'hybridgate.dev_controlplanes.yaml',
  },
  DataPlane: { kind: 'DataPlane', plural: 'dataplanes', crdFile: 'hybridgate.dev_dataplanes.yaml' },
} as const;
