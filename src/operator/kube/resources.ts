/**
 * Group/version/resource of every kind the operator reads or writes, and the REST paths built from
 * them. A static table (instead of discovery) keeps the RBAC the operator needs visible in one place.
 */

/** How a kind is addressed in the REST API. */
export interface ResourceType {
  /** '' for the core group. */
  group: string;
  version: string;
  kind: string;
  plural: string;
  namespaced: boolean;
}

/** `apps/v1`, or `v1` for the core group. */
export function apiVersionOf(t: ResourceType): string {
  return t.group ? `${t.group}/${t.version}` : t.version;
}

const core = (kind: string, plural: string, namespaced = true): ResourceType => ({
  group: '',
  version: 'v1',
  kind,
  plural,
  namespaced,
});
const of = (group: string, version: string, kind: string, plural: string): ResourceType => ({
  group,
  version,
  kind,
  plural,
  namespaced: true,
});

/** Every kind the operator touches. */
export const RESOURCES = {
  HybridCluster: of('hybridgate.dev', 'v1alpha1', 'HybridCluster', 'hybridclusters'),
  ControlPlane: of('hybridgate.dev', 'v1alpha1', 'ControlPlane', 'controlplanes'),
  DataPlane: of('hybridgate.dev', 'v1alpha1', 'DataPlane', 'dataplanes'),
  ConfigMap: core('ConfigMap', 'configmaps'),
  Secret: core('Secret', 'secrets'),
  Service: core('Service', 'services'),
  ServiceAccount: core('ServiceAccount', 'serviceaccounts'),
  PersistentVolumeClaim: core('PersistentVolumeClaim', 'persistentvolumeclaims'),
  Pod: core('Pod', 'pods'),
  Event: core('Event', 'events'),
  Namespace: core('Namespace', 'namespaces', false),
  Deployment: of('apps', 'v1', 'Deployment', 'deployments'),
  StatefulSet: of('apps', 'v1', 'StatefulSet', 'statefulsets'),
  PodDisruptionBudget: of('policy', 'v1', 'PodDisruptionBudget', 'poddisruptionbudgets'),
  NetworkPolicy: of('networking.k8s.io', 'v1', 'NetworkPolicy', 'networkpolicies'),
  Lease: of('coordination.k8s.io', 'v1', 'Lease', 'leases'),
  Certificate: of('cert-manager.io', 'v1', 'Certificate', 'certificates'),
  Issuer: of('cert-manager.io', 'v1', 'Issuer', 'issuers'),
} as const satisfies Record<string, ResourceType>;

/** The type of an object from its apiVersion and kind, or undefined when the operator does not know it. */
export function resourceTypeOf(
  apiVersion: string | undefined,
  kind: string | undefined,
): ResourceType | undefined {
  return Object.values(RESOURCES).find((t) => apiVersionOf(t) === apiVersion && t.kind === kind);
}

/**
 * The REST path of a collection (no name) or an object, optionally a subresource. `namespace` undefined
 * on a namespaced type means all namespaces (list/watch only).
 */
export function resourcePath(
  t: ResourceType,
  where: { namespace?: string; name?: string; subresource?: string } = {},
): string {
  const base = t.group ? `/apis/${t.group}/${t.version}` : `/api/${t.version}`;
  const ns =
    t.namespaced && where.namespace !== undefined ? `/namespaces/${encodeURIComponent(where.namespace)}` : '';
  const name = where.name !== undefined ? `/${encodeURIComponent(where.name)}` : '';
  const sub = where.subresource !== undefined && where.name !== undefined ? `/${where.subresource}` : '';
  return `${base}${ns}/${t.plural}${name}${sub}`;
}
