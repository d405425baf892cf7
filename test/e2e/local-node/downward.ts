import type { Pod } from './pod-types.js';

/** The pod's fields the downward API and env fieldRefs may name, as strings (undefined: unsupported). */
export function downwardValue(
  pod: Pod,
  fieldPath: string,
  podIP?: string,
  hostIP?: string,
): string | undefined {
  const m = pod.metadata;
  const labelOrAnnotation = /^metadata\.(labels|annotations)\['(.+)'\]$/.exec(fieldPath);
  if (labelOrAnnotation) {
    const map = labelOrAnnotation[1] === 'labels' ? m.labels : m.annotations;
    return map?.[labelOrAnnotation[2]!] ?? '';
  }
  switch (fieldPath) {
    case 'metadata.name':
      return m.name;
    case 'metadata.namespace':
      return m.namespace;
    case 'metadata.uid':
      return m.uid;
    case 'metadata.labels':
      return formatMap(m.labels);
    case 'metadata.annotations':
      return formatMap(m.annotations);
    case 'spec.nodeName':
      return pod.spec.nodeName ?? '';
    case 'spec.serviceAccountName':
      return pod.spec.serviceAccountName ?? 'default';
    case 'status.podIP':
    case 'status.podIPs':
      return podIP ?? pod.status?.podIP ?? '';
    case 'status.hostIP':
    case 'status.hostIPs':
      return hostIP ?? '';
    default:
      return undefined;
  }
}

/** key="value" lines, sorted, as the kubelet writes labels and annotations. */
function formatMap(map: Record<string, string> | undefined): string {
  return Object.entries(map ?? {})
    .sort(([a], [b]) => (a < b ? -1 : 1))
    .map(([k, v]) => `${k}=${JSON.stringify(v)}`)
    .join('\n');
}
