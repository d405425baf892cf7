import type { KubeObject } from '../../../api/meta.js';
import { LABELS, PORTS } from '../../../shared/contract.js';
import { OperatorError } from '../../errors.js';

/**
 * Who the operator's own pods are, so a ControlPlane's NetworkPolicy can let them reach the Admin
 * API: their namespace and labels that select them (the chart's and config/manager's pods carry
 * `app.kubernetes.io/component: operator`).
 */
export interface OperatorPeer {
  namespace: string;
  podLabels: Record<string, string>;
}

/** The namespace label the apiserver sets on every Namespace (Kubernetes ≥ 1.21). */
export const NAMESPACE_NAME_LABEL = 'kubernetes.io/metadata.name';

/**
 * Pure: the `<cp>-admin` NetworkPolicy. It selects the ControlPlane's pods and allows ingress
 * (i) to the Admin API TLS port only from pods labelled `hybridgate.dev/admin-access: "true"` in the
 * CP's namespace and from the operator's pods (when `operator` is known), and (ii) to the cluster,
 * telemetry and status ports from anywhere (DPs may run in other namespaces or clusters; the kubelet
 * probes the status port). Once a policy selects a pod, every port it does not list is closed to
 * ingress, so nothing else reaches the CP pods.
 */
export function renderAdminNetworkPolicy(input: {
  meta: KubeObject['metadata'];
  selector: Record<string, string>;
  operator?: OperatorPeer;
}): KubeObject {
  const adminPeers: Record<string, unknown>[] = [
    { podSelector: { matchLabels: { [LABELS.adminAccess]: 'true' } } },
  ];
  if (input.operator) {
    adminPeers.push({
      namespaceSelector: { matchLabels: { [NAMESPACE_NAME_LABEL]: input.operator.namespace } },
      podSelector: { matchLabels: input.operator.podLabels },
    });
  }
  const tcp = (port: number) => ({ protocol: 'TCP', port });
  return {
    apiVersion: 'networking.k8s.io/v1',
    kind: 'NetworkPolicy',
    metadata: input.meta,
    spec: {
      podSelector: { matchLabels: input.selector },
      policyTypes: ['Ingress'],
      ingress: [
        { from: adminPeers, ports: [tcp(PORTS.adminSsl)] },
        { ports: [tcp(PORTS.cluster), tcp(PORTS.clusterTelemetry), tcp(PORTS.status)] },
      ],
    },
  } as KubeObject;
}

/**
 * Parses `k=v,k2=v2` (the operator pod labels option); throws on an entry without `=` or with an
 * empty key, naming the entry and what was expected.
 */
export function parsePodLabels(text: string, source: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const raw of text.split(',')) {
    const entry = raw.trim();
    if (!entry) continue;
    const i = entry.indexOf('=');
    if (i <= 0) {
      throw new OperatorError(
        'INVALID_OPTION',
        `${source}: "${entry}" is not a label (expected key=value, comma-separated)`,
        { source, entry },
      );
    }
    out[entry.slice(0, i).trim()] = entry.slice(i + 1).trim();
  }
  if (Object.keys(out).length === 0)
    throw new OperatorError('INVALID_OPTION', `${source}: no label (expected key=value, comma-separated)`, {
      source,
    });
  return out;
}
