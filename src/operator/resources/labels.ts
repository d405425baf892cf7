import { LABELS } from '../../shared/contract.js';

/** Operator-only label: which ControlPlane a certificate Secret belongs to (maps Secret events to it). */
export const CONTROL_PLANE_LABEL = 'hybridgate.dev/control-plane';

/** The value of app.kubernetes.io/managed-by on everything the operator makes. */
export const MANAGED_BY = 'hybridgate-operator';

/** Which runtime role a pod runs; app.kubernetes.io/component values. */
export type Component = 'control-plane' | 'data-plane' | 'certificates';

/** What identifies an object's family: its instance (CP or DP name), component, and cluster. */
export interface LabelSource {
  instance: string;
  component: Component;
  /** The HybridCluster (or the standalone ControlPlane) it belongs to. */
  cluster: string;
  /** The DataPlane group, for DP objects. */
  group?: string;
}

/** The stable subset used in selectors (a Deployment's selector is immutable, so it never grows). */
export function selectorLabels(src: LabelSource): Record<string, string> {
  return {
    [LABELS.name]: 'hybridgate',
    [LABELS.instance]: src.instance,
    [LABELS.component]: src.component,
  };
}

/** Every label the operator puts on an object it makes. */
export function objectLabels(src: LabelSource): Record<string, string> {
  const labels: Record<string, string> = {
    ...selectorLabels(src),
    [LABELS.managedBy]: MANAGED_BY,
    [LABELS.cluster]: src.cluster,
  };
  if (src.group) labels[LABELS.dataPlaneGroup] = src.group;
  return labels;
}

/** A label selector in string form (DataPlane status.selector, for the scale subresource). */
export function selectorString(labels: Record<string, string>): string {
  return Object.entries(labels)
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([k, v]) => `${k}=${v}`)
    .join(',');
}

/** A string map without undefined members (CRD maps are typed as optional values), or undefined if empty. */
export function definedStrings(
  map: Record<string, string | undefined> | undefined,
): Record<string, string> | undefined {
  const out = Object.fromEntries(
    Object.entries(map ?? {}).filter((e): e is [string, string] => e[1] !== undefined),
  );
  return Object.keys(out).length ? out : undefined;
}

/** The cluster an object belongs to: its HybridCluster's name (the cluster label), or its own name when standalone. */
export function clusterOf(obj: { metadata: { name?: string; labels?: Record<string, string> } }): string {
  return obj.metadata.labels?.[LABELS.cluster] ?? obj.metadata.name!;
}
